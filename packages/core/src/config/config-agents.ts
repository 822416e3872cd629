// The agents of a system config, as both an agent system (`buildAgent`) and a tactic (`buildTactic`)
// make them: the invoker its `api_type` names, the tooling its keys ask for (skills, `proxy:`), the
// context budget, the model arguments and the system's retry limits.
import type { AgentOptions } from '../agent.js';
import { contextManagerFor } from '../context/context-config.js';
import { ConfigError } from '../errors.js';
import type { Invoker } from '../invoker.js';
import type { LogStore } from '../log-store.js';
import { processRegistry } from '../process-registry.js';
import type { PromptLike, ToolLike } from '../prompt-like.js';
import type { Stream } from '../stream.js';
import { type AgentTooling, agentTooling, withPromptAddendum } from './agent-tooling.js';
import { type AgentConfig, modelArguments, type SystemConfig } from './system-config.js';

/** Makes the invoker for one agent of a system (`api_type` → provider). */
export type InvokerFactory = (agent: AgentConfig, system: SystemConfig) => Invoker;

export const invokerFactories = () => processRegistry('invoker-factories', () => new Map<string, InvokerFactory>());

/** Every agent `owner` (`agent_type "desk"`, `tactic "review"`) needs has an entry in `agent_configs`, or a `ConfigError` naming the missing ones. */
export function requireAgentConfigs(config: SystemConfig, needed: Iterable<string>, owner: string): void {
  const missing = [...needed].filter((name) => !config.agent_configs[name]);
  if (missing.length === 0) return;
  throw new ConfigError(
    `${config.file}: ${owner} needs agent_configs for ${missing.map((m) => `"${m}"`).join(', ')}; it has ${
      Object.keys(config.agent_configs)
        .map((k) => `"${k}"`)
        .join(', ') || 'none'
    }.`,
    { file: config.file, problems: missing.map((name) => `agent_configs.${name}: missing`) },
  );
}

/** The invoker the registered factory for the agent's `api_type` makes. */
export function invokerFromFactory(name: string, agent: AgentConfig, config: SystemConfig): Invoker {
  const factory = invokerFactories().get(agent.api_type);
  if (!factory) {
    throw new ConfigError(
      `agent_configs.${name}.api_type is "${agent.api_type}", but no invoker is registered for it. Register one with registerInvokerFactory("${agent.api_type}", …) (the lllm CLI registers completion, response and anthropic).`,
      { file: config.file },
    );
  }
  return factory(agent, config);
}

/** What a config agent is made of besides its config. */
export interface ConfigAgentParts {
  readonly systemPrompt: PromptLike;
  readonly invoker: Invoker;
  /** What the host handed to the build (the CLI's proxy runtime under `proxy`). */
  readonly services: Readonly<Record<string, unknown>>;
  /** The log the agent's dialogs go to (none: not logged). */
  readonly log?: LogStore;
  readonly stream?: Stream;
  /** Last: options that win over the config's. */
  readonly agentOptions?: Partial<AgentOptions>;
}

/**
 * The options of agent `name` of `config`, and the tooling it started (released with `closeToolings`):
 * its skills and registered tooling keys (`proxy:` → the API interpreter), its context manager, model
 * arguments, its budgets (its own keys, else the system's) and timeouts.
 */
export async function configAgentOptions(
  name: string,
  agent: AgentConfig,
  config: SystemConfig,
  parts: ConfigAgentParts,
): Promise<{ options: AgentOptions; toolings: AgentTooling[] }> {
  const toolings = await agentTooling({ agentName: name, agent, config, services: parts.services });
  const addendum = toolings.map((part) => part.promptAddendum ?? '').join('');
  const tools: ToolLike[] = toolings.flatMap((part) => part.tools ?? []);
  const contextManager = contextManagerFor(name, agent.model_name, agent.context_manager, parts.invoker, config.file);
  const options: AgentOptions = {
    name,
    systemPrompt: withPromptAddendum(parts.systemPrompt, addendum),
    ...(tools.length > 0 ? { tools } : {}),
    ...(contextManager ? { contextManager } : {}),
    model: agent.model_name,
    invoker: parts.invoker,
    modelArgs: modelArguments(agent),
    // The agent's own budgets win over the system's.
    maxExceptionRetry: agent.max_exception_retry ?? config.max_exception_retry,
    maxInterruptTimes: agent.max_interrupt_times ?? agent.max_interrupt_steps ?? config.max_interrupt_times,
    maxLlmRecall: agent.max_llm_recall ?? config.max_llm_recall,
    ...(agent.timeout_ms === undefined ? {} : { timeoutMs: agent.timeout_ms }),
    ...(agent.stream_idle_timeout_ms === undefined ? {} : { streamIdleTimeoutMs: agent.stream_idle_timeout_ms }),
    ...(parts.log ? { log: parts.log } : {}),
    ...(parts.stream ? { stream: parts.stream } : {}),
    ...(parts.agentOptions ?? {}),
  };
  return { options, toolings };
}

/** Release every tooling; the first failure is thrown after all were tried. */
export async function closeToolings(toolings: AgentTooling[]): Promise<void> {
  const closing = toolings.splice(0).map((part) => part.close?.());
  const failures = (await Promise.allSettled(closing)).filter((outcome) => outcome.status === 'rejected');
  if (failures.length > 0) throw (failures[0] as PromiseRejectedResult).reason;
}
