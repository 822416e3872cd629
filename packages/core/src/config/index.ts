export type { SystemPromptSources } from './agent-prompt.js';
export { agentSystemPrompt } from './agent-prompt.js';
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
export type { AgentTooling, AgentToolingContext, AgentToolingFactory } from './agent-tooling.js';
export { agentTooling, registerAgentTooling, withPromptAddendum } from './agent-tooling.js';
export type { DiscoveredSection, DiscoverOptions, DiscoveryReport, ModuleImporter } from './discover.js';
export { discover, implicitLllmToml, moduleFiles, skillRoots } from './discover.js';
export type { PackageConfigResolver, ResolveConfigOptions, ResolvedConfig } from './inheritance.js';
export { originOf, resolveConfigFile, resolveConfigReference } from './inheritance.js';
export type { FindLllmTomlOptions, LllmToml, LllmTomlSection, SectionMount } from './lllm-toml.js';
export {
  autoDiscoverDisabled,
  findLllmToml,
  LLLM_TOML,
  LLLM_TOML_NAMES,
  LLLM_TOML_SUBFOLDERS,
  parseMount,
  readLllmToml,
} from './lllm-toml.js';
export type { ConfigMap, ConfigOrigins } from './merge.js';
export { deepMerge } from './merge.js';
export { loadPackageReferences, loadSystemPackages, packageResourceName } from './package-resources.js';
export type { DependencyEntry, DependencySource, LllmPackage, PackageGraph } from './packages.js';
export {
  dependencyFolder,
  findPackage,
  isPackageLoaded,
  loadPackage,
  loadReferencedPackages,
  packageConfigFile,
  packageGraph,
  packageIdentity,
  packageResources,
  packagesCache,
  parseDependency,
  readDependencies,
  referencedPackage,
  registerPackageResourceKind,
  resolvePackageGraph,
} from './packages.js';
export type { AgentConfig, ApiType, LoadSystemConfigOptions, SystemConfig } from './system-config.js';
export { API_TYPES, loadSystemConfig, modelArguments, resolveSystemConfigPath } from './system-config.js';
export { isTarball, listFiles, packTarball, unpackTarball } from './tarball.js';
export type { ConfigNote } from './upstream-keys.js';
export { satisfiesRange } from './versions.js';
