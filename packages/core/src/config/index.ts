export type {
  AgentSystem,
  AgentSystemContext,
  AgentSystemRun,
  AgentTypeDefinition,
  BuildAgentOptions,
  InvokerFactory,
} from './agent-system.js';
export {
  buildAgent,
  defineAgent,
  getAgentType,
  listAgentTypes,
  newSessionName,
  registerAgentDiscovery,
  registerInvokerFactory,
} from './agent-system.js';
export type { DiscoveredSection, DiscoverOptions, DiscoveryReport, ModuleImporter } from './discover.js';
export { discover, moduleFiles } from './discover.js';
export type { LllmToml } from './lllm-toml.js';
export { autoDiscoverDisabled, findLllmToml, LLLM_TOML, readLllmToml } from './lllm-toml.js';
export type { AgentConfig, ApiType, SystemConfig } from './system-config.js';
export { API_TYPES, loadSystemConfig, modelArguments, resolveSystemConfigPath } from './system-config.js';
