import { randomBytes } from 'node:crypto';
import { Agent, type AgentCallOptions, type AgentCallResult, type AgentOptions } from '../agent.js';
import type { Dialog } from '../dialog.js';
import { registerDiscoverySection } from '../discovery-sections.js';
import { ConfigError, NotFoundError } from '../errors.js';
import type { Invoker } from '../invoker.js';
import { createLogStore, type LogStore } from '../log-store.js';
import { type Cost, sumCosts } from '../model-card.js';
import type { PromptLike } from '../prompt-like.js';
import type { ScriptStep } from '../scripted-invoker.js';
import type { Stream } from '../stream.js';
import { closestMatches, safeName } from '../strings.js';
import { agentSystemPrompt } from './agent-prompt.js';
import type { AgentTooling } from './agent-tooling.js';
import { agentTypeRegistry } from './agent-type-registry.js';
import {
  closeToolings,
  configAgentOptions,
  type InvokerFactory,
  invokerFactories,
  invokerFromFactory,
  requireAgentConfigs,
} from './config-agents.js';
import { loadSystemPackages, packageResourceName } from './package-resources.js';
import type { AgentConfig, SystemConfig } from './system-config.js';

/** What an agent system's `run` receives. */
export interface AgentSystemContext {
  readonly config: SystemConfig;
  /** One configured agent per member of the group, by name. */
  readonly agents: Readonly<Record<string, Agent>>;
  readonly stream: Stream | undefined;
  readonly log: LogStore;
  /** The session every dialog of this run is logged to. */
  readonly session: string;
  readonly signal: AbortSignal | undefined;
  /**
   * What the host handed to `buildAgent` for the system to use: the `lllm` CLI puts the proxy
   * runtime of `activate_proxies` under `proxy` (an `@lllm/proxy` `ProxyRuntime`). Empty otherwise.
   */
  readonly services: Readonly<Record<string, unknown>>;
}

/** An agent system type, registered by `agent_type`. */
export interface AgentTypeDefinition<R = unknown> {
  /** The `agent_type` a system config names. */
  readonly agentType: string;
  /** The agents it needs: each must be a key of `agent_configs`. */
  readonly agentGroup: readonly string[];
  readonly description?: string;
  /** Run one task. */
  run(task: string, context: AgentSystemContext): Promise<R>;
  /**
   * Scripted replies per agent for offline runs (no provider configured), so the system can be
   * shown working end to end without a key. Runs using them are labelled as scripted.
   */
  offline?(task: string): Readonly<Record<string, readonly ScriptStep[]>>;
}

const agentTypes = agentTypeRegistry;

/** Register an agent system type by its `agent_type`. Registering the same definition twice is harmless. */
export function defineAgent<R>(definition: AgentTypeDefinition<R>): AgentTypeDefinition<R> {
  const existing = agentTypes().get(definition.agentType);
  if (existing && existing !== definition) {
    throw new ConfigError(`agent_type "${definition.agentType}" is already registered by another definition; give this one another name.`);
  }
  agentTypes().set(definition.agentType, definition as AgentTypeDefinition);
  return definition;
}

function isAgentTypeDefinition(value: unknown): value is AgentTypeDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AgentTypeDefinition).agentType === 'string' &&
    Array.isArray((value as AgentTypeDefinition).agentGroup) &&
    typeof (value as AgentTypeDefinition).run === 'function'
  );
}

/**
 * Register the `[agents]` section of `lllm.toml`: every agent system definition a discovered module
 * exports (a `defineAgent(...)` result) is registered by its `agent_type`.
 */
export function registerAgentDiscovery(): void {
  registerDiscoverySection('agents', (exports) => {
    for (const value of Object.values(exports)) if (isAgentTypeDefinition(value)) defineAgent(value);
  });
}

/** The definition of an `agent_type`; unknown types list the registered ones. */
export function getAgentType(agentType: string): AgentTypeDefinition {
  // `kit:review_desk`: the agent type package "kit" defines (loaded first by buildAgent / lllm run).
  const definition = agentTypes().get(agentType) ?? agentTypes().get(packageResourceName(agentType, 'agent_type', 'agent_type'));
  if (definition) return definition;
  const known = [...agentTypes().keys()];
  const suggestions = closestMatches(agentType, known);
  throw new NotFoundError(
    `Unknown agent_type "${agentType}". Registered: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none (define one with defineAgent and make sure discovery imports it)'}.${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''}`,
    { what: 'agent_type', key: agentType, suggestions },
  );
}

/** Registered agent types. */
export function listAgentTypes(): string[] {
  return [...agentTypes().keys()].sort();
}

export type { InvokerFactory } from './config-agents.js';

/** Say which invoker serves an `api_type` (`completion`, `response`, `anthropic`). Provider packages or the CLI call it. */
export function registerInvokerFactory(apiType: string, factory: InvokerFactory): void {
  invokerFactories().set(apiType, factory);
}

/** Options of `buildAgent`. */
export interface BuildAgentOptions {
  /** Resolves `system_prompt_path` (e.g. `@lllm/prompts`' `getPrompt`). */
  readonly promptLookup: (path: string) => PromptLike;
  /** Makes a prompt of an inline `system_prompt` (see `SystemPromptSources.inlinePrompt`). */
  readonly inlinePrompt?: (path: string, text: string) => PromptLike;
  readonly stream?: Stream;
  /** Default: `createLogStore({ type: log_type, directory: log_dir, options: log_options })`. */
  readonly log?: LogStore;
  /** Override the invoker of every agent (e.g. a scripted one for offline runs). */
  readonly invokerFor?: (name: string, agent: AgentConfig) => Invoker;
  /** Extra agent options, over the config's (tests inject `sleep`; `lllm run --timeout` sets `timeoutMs`). */
  readonly agentOptions?: Partial<AgentOptions>;
  /** Handed to every run as `context.services` (e.g. `{ proxy }`); core never looks inside. */
  readonly services?: Readonly<Record<string, unknown>>;
}

/** The result of one run. */
export interface AgentSystemRun<R> {
  readonly result: R;
  readonly session: string;
  /** Exact cost of every agent call of the run. */
  readonly cost: Cost;
  /**
   * Set when the log could not be written at the end of the run. The result (already paid for) is
   * still returned; the transcript may be incomplete, and this says why.
   */
  readonly logError?: unknown;
}

/** A built system: its configured agents and a `run(task)`. */
export interface AgentSystem<R = unknown> {
  readonly config: SystemConfig;
  readonly definition: AgentTypeDefinition<R>;
  readonly agents: Readonly<Record<string, Agent>>;
  readonly log: LogStore;
  run(task: string, options?: { session?: string; signal?: AbortSignal }): Promise<AgentSystemRun<R>>;
  /** Release what the agents' tooling holds (an API interpreter's sandbox session). The log stays open. */
  close(): Promise<void>;
}

/**
 * A session name for a run: safe as a file name, never the raw task text. Made ones are
 * `<name>-<YYYYMMDD-HHMMSS>-<4 hex>`; within one second the hex part counts up from a random start,
 * so a process's names never repeat (a random suffix each did, at a thousand calls a second).
 */
export function newSessionName(systemName: string, given?: string): string {
  if (given) return safeName(given);
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== sessionClock.second) {
    sessionClock.second = second;
    sessionClock.stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
    sessionClock.next = randomBytes(2).readUInt16BE(0);
  }
  const suffix = (sessionClock.next++ & 0xffff).toString(16).padStart(4, '0');
  return `${safeName(systemName, 'system')}-${sessionClock.stamp}-${suffix}`;
}

/** The second the last session name was made in, its time stamp, and the next suffix in it. */
const sessionClock = { second: -1, stamp: '', next: 0 };

class TrackedAgent extends Agent {
  readonly costs: Cost[] = [];

  override call<T>(dialog: Dialog<T>, options?: AgentCallOptions): Promise<AgentCallResult<T>>;
  override call<T>(dialog: Dialog, options?: AgentCallOptions): Promise<AgentCallResult<T>>;
  override async call<T>(dialog: Dialog, options: AgentCallOptions = {}): Promise<AgentCallResult<T>> {
    const result = await super.call<T>(dialog, options);
    this.costs.push(result.cost);
    return result;
  }
}

/**
 * Build the system a config names: its `agent_type` definition, one `Agent` per group member with
 * its system prompt, invoker (by `api_type`) and budgets from the config, and the log store.
 */
export async function buildAgent<R = unknown>(config: SystemConfig, options: BuildAgentOptions): Promise<AgentSystem<R>> {
  // Dependency packages load when first referenced (`agent_type: kit:desk`, `kit:sys/writer`, `activate_proxies: [kit:fred]`).
  await loadSystemPackages(config);
  const definition = getAgentType(config.agent_type) as AgentTypeDefinition<R>;
  requireAgentConfigs(config, definition.agentGroup, `agent_type "${config.agent_type}"`);
  const log = options.log ?? (await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options }));
  const agentOptions: Record<string, AgentOptions> = {};
  const toolings: AgentTooling[] = [];
  try {
    for (const name of definition.agentGroup) {
      const agentConfig = config.agent_configs[name] as AgentConfig;
      const invoker = options.invokerFor ? options.invokerFor(name, agentConfig) : invokerFromFactory(name, agentConfig, config);
      const made = await configAgentOptions(name, agentConfig, config, {
        systemPrompt: agentSystemPrompt(name, agentConfig, options, config.file),
        invoker,
        services: options.services ?? {},
        log,
        ...(options.stream ? { stream: options.stream } : {}),
        ...(options.agentOptions ? { agentOptions: options.agentOptions } : {}),
      });
      toolings.push(...made.toolings);
      agentOptions[name] = made.options;
    }
  } catch (error) {
    // A later agent's config failed: what the earlier ones started is released, not leaked.
    await closeToolings(toolings).catch(() => undefined);
    throw error;
  }
  // Agents are cheap: each run gets its own, logging to the run's session and counting its cost.
  const makeAgents = (session?: string) =>
    Object.fromEntries(
      Object.entries(agentOptions).map(([name, agentOption]) => [
        name,
        new TrackedAgent({ ...agentOption, ...(session ? { session } : {}) }),
      ]),
    );
  return {
    config,
    definition,
    agents: makeAgents(),
    log,
    close: () => closeToolings(toolings),
    async run(task, runOptions = {}) {
      const session = newSessionName(config.name, runOptions.session);
      const agents = makeAgents(session);
      const result = await definition.run(task, {
        config,
        agents,
        stream: options.stream,
        log,
        session,
        signal: runOptions.signal,
        services: options.services ?? {},
      });
      const cost = sumCosts(Object.values(agents).flatMap((agent) => agent.costs));
      try {
        await log.flush();
      } catch (logError) {
        // A log that fails at the end must not throw away a result that was already paid for.
        return { result, session, cost, logError };
      }
      return { result, session, cost };
    },
  };
}
