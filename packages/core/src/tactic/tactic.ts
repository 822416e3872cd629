import { Agent, type AgentOptions } from '../agent.js';
import { budgetedInvoker } from '../batch/budgeted-invoker.js';
import { createBatchingInvoker, firstRequestThrough } from '../batch/provider-batch.js';
import { budgetKey, type ProviderBudget } from '../batch/provider-budget.js';
import {
  type BatchOptions,
  type BatchOutcome,
  type BatchReport,
  type ProviderBatchSetting,
  runBatch,
  streamBatch,
} from '../batch/run-batch.js';
import { agentSystemPrompt } from '../config/agent-prompt.js';
import type { AgentTypeDefinition, BuildAgentOptions } from '../config/agent-system.js';
import { defineAgent, listAgentTypes, newSessionName } from '../config/agent-system.js';
import type { AgentTooling } from '../config/agent-tooling.js';
import { closeToolings, configAgentOptions, invokerFactories, invokerFromFactory, requireAgentConfigs } from '../config/config-agents.js';
import { loadPackageReferences, loadSystemPackages, packageResourceName } from '../config/package-resources.js';
import type { AgentConfig, SystemConfig } from '../config/system-config.js';
import { getDiscoverySection, registerDiscoverySection } from '../discovery-sections.js';
import { AbortError, AgentCallError, ConfigError, LllmError, throwIfAborted } from '../errors.js';
import type { Invoker } from '../invoker.js';
import { createLogStore, type LogStore, MemoryLogStore } from '../log-store.js';
import { type Cost, findModelCard } from '../model-card.js';
import type { PromptLike } from '../prompt-like.js';
import type { Stream } from '../stream.js';
import { collectAgents, getTactic, isTacticDefinition, type SubTactic, type TacticDefinition, tactics } from './definition.js';
import { literalPrompt } from './literal-prompt.js';
import { TacticSession, type TacticSessionSummary } from './session.js';
import { TacticAgent } from './tactic-agent.js';

/** One finished tactic call. */
export interface TacticRun<O> {
  readonly result: O;
  /** The log session of the call. */
  readonly session: string;
  /** Agent calls, attempts by kind, tool calls, tokens, exact cost and wall time, per agent. */
  readonly summary: TacticSessionSummary;
  readonly cost: Cost;
}

/** Options of one tactic call. */
export interface TacticCallOptions {
  /** The log session (default: the tactic's name, a timestamp and a random suffix). */
  readonly session?: string;
  readonly signal?: AbortSignal;
  /** Agents built by the host (e.g. an agent system's, for `lllm run`) to use instead of fresh ones from the config. */
  readonly agents?: Readonly<Record<string, Agent>>;
  /**
   * Send each agent's first request through the invoker registered here under its live invoker's
   * name (a provider batch job); later requests, and agents with no entry, stay live.
   */
  readonly firstRequests?: ReadonlyMap<string, Invoker>;
}

/** A tactic call failed: `cause` is what its code (or an agent call) threw; `summary` says what it did first. */
export class TacticCallError extends LllmError {
  readonly tactic: string;
  readonly session: string;
  readonly summary: TacticSessionSummary;
  /** The `AgentCallError` kind when an agent call ended it, else `error`. */
  readonly kind: AgentCallError['kind'] | 'error';

  constructor(tactic: string, summary: TacticSessionSummary, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Tactic "${tactic}" failed (log session "${summary.session}"): ${detail}`, { cause });
    this.name = 'TacticCallError';
    this.tactic = tactic;
    this.session = summary.session;
    this.summary = summary;
    this.kind = AgentCallError.isInstance(cause) ? cause.kind : 'error';
  }

  static override isInstance = (value: unknown): value is TacticCallError =>
    LllmError.isInstance(value) && value.name === 'TacticCallError';
}

/** Register a tactic by its `name` and return it. Registering the same definition twice is harmless. */
export function defineTactic<I, O>(definition: TacticDefinition<I, O>): TacticDefinition<I, O> {
  if (!definition.name || !/^[A-Za-z0-9_./:-]+$/.test(definition.name)) {
    throw new ConfigError(`Tactic name ${JSON.stringify(definition.name)} is not valid: use letters, digits and "_ . / : -".`);
  }
  const existing = tactics().get(definition.name);
  if (existing && existing !== definition) {
    throw new ConfigError(`Tactic "${definition.name}" is already registered by another definition; give this one another name.`);
  }
  tactics().set(definition.name, definition as unknown as TacticDefinition);
  // `lllm run` (and anything else that runs agent systems) runs a tactic as it runs an agent system.
  if (!listAgentTypes().includes(definition.name)) defineAgent(tacticAgentType(definition as unknown as TacticDefinition));
  return definition;
}

/**
 * A tactic as an agent system type (`agent_type` = the tactic's name): `run(task)` calls the tactic
 * with the task text as its input, on the agents the system built, so costs and logs are the run's.
 */
export function tacticAgentType(definition: TacticDefinition): AgentTypeDefinition {
  return {
    agentType: definition.name,
    // Computed when the system is built: sub-tactics named by string may be discovered after this one.
    get agentGroup() {
      const group = new Set<string>();
      collectAgents(definition, group, new Set());
      return [...group];
    },
    ...(definition.description ? { description: definition.description } : {}),
    ...(definition.offline ? { offline: (task: string) => definition.offline?.(task) ?? {} } : {}),
    async run(task, context) {
      const tactic = new Tactic(definition, {
        templates: {},
        log: context.log,
        config: context.config,
        stream: context.stream,
        services: context.services,
      });
      const run = await tactic.call(task, {
        session: context.session,
        agents: context.agents,
        ...(context.signal ? { signal: context.signal } : {}),
      });
      return run.result;
    },
  };
}

const TACTICS_TOO = Symbol.for('lllm.agents-section-with-tactics');

/**
 * Register the `[tactics]` section of `lllm.toml` (every exported `defineTactic(...)` result is
 * registered), and make the `[agents]` section, if registered before, register the tactics its
 * modules export as well.
 */
export function registerTacticDiscovery(): void {
  const handler = (exports: Readonly<Record<string, unknown>>) => {
    for (const value of Object.values(exports)) if (isTacticDefinition(value)) defineTactic(value);
  };
  registerDiscoverySection('tactics', handler);
  const agents = getDiscoverySection('agents');
  if (agents && !(agents as { [TACTICS_TOO]?: boolean })[TACTICS_TOO]) {
    const both = async (exports: Readonly<Record<string, unknown>>, info: Parameters<typeof agents>[1]) => {
      await agents(exports, info);
      handler(exports);
    };
    registerDiscoverySection('agents', Object.assign(both, { [TACTICS_TOO]: true }));
  }
}

/** Options of `buildTactic`: those of `buildAgent`, the tactic, and the shared budget. */
export interface BuildTacticOptions<I = unknown, O = unknown> extends BuildAgentOptions {
  /** The tactic: a definition (types flow to `call` and `batch`) or a registered name. Default: the config's `agent_type`. */
  readonly tactic?: TacticDefinition<I, O> | string;
  /** The provider budget every model request acquires from (default: the process-wide one). */
  readonly budget?: ProviderBudget;
}

/** Build a tactic from a system config: one agent template per `agent_configs` entry it (or a sub-tactic) needs. */
export async function buildTactic<I = unknown, O = unknown>(
  config: SystemConfig,
  options: BuildTacticOptions<I, O>,
): Promise<Tactic<I, O>> {
  // Dependency packages load when first referenced (`agent_type: kit:summarize`, `kit:sys/writer`, `kit:fred`).
  await loadSystemPackages(config);
  if (typeof options.tactic === 'string') await loadPackageReferences([options.tactic]);
  const definition = (
    typeof options.tactic === 'object'
      ? options.tactic
      : getTactic(
          packageResourceName(options.tactic ?? config.agent_type, 'tactic', options.tactic ? 'tactic' : `${config.file}: agent_type`),
        )
  ) as TacticDefinition<I, O>;
  await loadSubTacticPackages(definition as TacticDefinition, new Set());
  const needed = new Set<string>();
  collectAgents(definition, needed, new Set());
  requireAgentConfigs(config, needed, `tactic "${definition.name}"`);
  const log = options.log ?? (await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options }));
  const templates: Record<string, AgentOptions> = {};
  const toolings: AgentTooling[] = [];
  try {
    for (const name of needed) {
      const agentConfig = config.agent_configs[name] as AgentConfig;
      const live = options.invokerFor ? options.invokerFor(name, agentConfig) : invokerFromFactory(name, agentConfig, config);
      // Skills, the API interpreter (`proxy:`) and the context budget, as buildAgent gives an agent system's agents.
      const made = await configAgentOptions(name, agentConfig, config, {
        systemPrompt: agentSystemPrompt(name, agentConfig, options, config.file),
        invoker: budgetedInvoker(live, options.budget ? { budget: options.budget } : {}),
        services: options.services ?? {},
        ...dialogLog(log),
        ...(options.stream ? { stream: options.stream } : {}),
        ...(options.agentOptions ? { agentOptions: options.agentOptions } : {}),
      });
      toolings.push(...made.toolings);
      templates[name] = made.options;
    }
  } catch (error) {
    // A later agent's config failed: what the earlier ones started is released, not leaked.
    await closeToolings(toolings).catch(() => undefined);
    throw error;
  }
  return new Tactic<I, O>(definition, {
    templates,
    log,
    config,
    stream: options.stream,
    services: options.services ?? {},
    close: () => closeToolings(toolings),
  });
}

/** Load the dependency packages that sub-tactics named by string come from (`tactics: { tidy: 'kit:tidy' }`), at any depth. */
async function loadSubTacticPackages(definition: TacticDefinition, seen: Set<TacticDefinition>): Promise<void> {
  if (seen.has(definition)) return;
  seen.add(definition);
  for (const sub of Object.values(definition.tactics ?? {})) {
    if (typeof sub === 'string') await loadPackageReferences([sub]);
    await loadSubTacticPackages(typeof sub === 'string' ? getTactic(sub) : (sub as TacticDefinition), seen);
  }
}

/** What a built tactic holds besides its definition. */
export interface TacticParts {
  /** Options of each agent; a fresh `Agent` is made from them on every call. */
  readonly templates: Readonly<Record<string, AgentOptions>>;
  readonly log: LogStore;
  readonly config: SystemConfig | undefined;
  readonly stream: Stream | undefined;
  readonly services: Readonly<Record<string, unknown>>;
  /** Releases what the agents' tooling holds (an API interpreter's sandbox session); `Tactic.close()` calls it. */
  readonly close?: () => Promise<void>;
}

/** Options of `Tactic.quick`. */
export interface QuickTacticOptions {
  readonly model: string;
  /** The invoker (default: the one registered for the model's provider: `anthropic` or `completion`). */
  readonly invoker?: Invoker;
  readonly log?: LogStore;
  readonly name?: string;
  readonly budget?: ProviderBudget;
  /** Extra agent options (`modelArgs`, budgets, `timeoutMs`, …). */
  readonly agentOptions?: Partial<AgentOptions>;
}

/**
 * A built tactic: `call(input)` runs the definition with fresh agents and a session summary;
 * `batch(inputs)` and `stream(inputs)` run many calls within a concurrency limit, the shared
 * provider budget and a spend cap, resumably.
 */
export class Tactic<I = unknown, O = unknown> {
  readonly definition: TacticDefinition<I, O>;
  readonly log: LogStore;
  readonly config: SystemConfig | undefined;
  readonly #parts: TacticParts;

  constructor(definition: TacticDefinition<I, O>, parts: TacticParts) {
    this.definition = definition;
    this.#parts = parts;
    this.log = parts.log;
    this.config = parts.config;
  }

  get name(): string {
    return this.definition.name;
  }

  /**
   * Release what the agents' tooling holds (an API interpreter's Jupyter session and proxy bridge).
   * The log stays open. Safe to call twice. Call it when the tactic's calls are done.
   */
  async close(): Promise<void> {
    await this.#parts.close?.();
  }

  /** The provider budget key (`provider:model`) of each configured agent, by agent name. */
  budgetKeys(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.#parts.templates).map(([name, template]) => [name, budgetKey(template.model, template.invoker.name)]),
    );
  }

  /**
   * A one-agent tactic without a config: the system prompt (text or a prompt) and a model. Its
   * input is the task text; its result is the reply (parsed by the prompt's parser when given one).
   */
  static quick<T = string>(systemPrompt: string | PromptLike<T>, options: QuickTacticOptions): Tactic<string, T> {
    const name = options.name ?? 'quick';
    const prompt = (typeof systemPrompt === 'string' ? literalPrompt(`${name}/system`, systemPrompt) : systemPrompt) as PromptLike<T>;
    const invoker = options.invoker ?? quickInvoker(options.model);
    const definition: TacticDefinition<string, T> = {
      name,
      agents: ['assistant'],
      async run(input, { agents }) {
        const agent = agents.assistant as TacticAgent;
        agent.receive(input);
        return (await agent.respond<T>()).parsed;
      },
    };
    const log = options.log ?? new MemoryLogStore();
    return new Tactic(definition, {
      templates: {
        assistant: {
          name: 'assistant',
          systemPrompt: prompt,
          model: options.model,
          invoker: budgetedInvoker(invoker, options.budget ? { budget: options.budget } : {}),
          ...dialogLog(log),
          ...(options.agentOptions ?? {}),
        },
      },
      log,
      config: undefined,
      stream: undefined,
      services: {},
    });
  }

  /** Run one call. A failure is a `TacticCallError` (with the session summary); an abort an `AbortError`. */
  async call(input: I, options: TacticCallOptions = {}): Promise<TacticRun<O>> {
    throwIfAborted(options.signal);
    const session = newSessionName(this.name, options.session);
    const tacticSession = new TacticSession(this.name, session);
    let result: O;
    try {
      result = await this.#run(input, session, tacticSession, options.signal, options.agents, options.firstRequests);
    } catch (error) {
      tacticSession.finish(error);
      const summary = tacticSession.summary();
      this.log.write('messages', session, { ...summary });
      await this.log.flush();
      if (AbortError.isInstance(error)) throw error;
      throw new TacticCallError(this.name, summary, error);
    }
    tacticSession.finish();
    const summary = tacticSession.summary();
    this.log.write('messages', session, { ...summary });
    await this.log.flush();
    return { result, session, summary, cost: tacticSession.cost };
  }

  /**
   * Run one call per input, at most `concurrency` at a time, within the shared provider budget and
   * `maxCostUsd`. Results come back in input order; one input's failure is its own entry, never the
   * batch's. With `id` (and a log store that persists), a second run skips the inputs that finished.
   */
  batch(inputs: readonly I[], options: BatchOptions = {}): Promise<BatchReport<O>> {
    return runBatch(inputs, this.#worker(options), this.#batchOptions(inputs, options));
  }

  /** As `batch`, but yields each outcome as it finishes (for pipelines); breaking out of the loop stops the batch. */
  stream(inputs: readonly I[], options: BatchOptions = {}): AsyncIterable<BatchOutcome<O>> {
    return streamBatch(inputs, this.#worker(options), this.#batchOptions(inputs, options));
  }

  #batchOptions(inputs: readonly I[], options: BatchOptions) {
    const concurrency = options.concurrency ?? (options.providerBatch ? Math.max(1, inputs.length) : undefined);
    return { ...options, name: this.name, log: options.log ?? this.log, ...(concurrency === undefined ? {} : { concurrency }) };
  }

  #worker(options: BatchOptions) {
    // One batching invoker per provider, by the live invoker it stands in for.
    const settings =
      options.providerBatch === undefined ? [] : Array.isArray(options.providerBatch) ? options.providerBatch : [options.providerBatch];
    const firstRequests = new Map<string, Invoker>();
    for (const setting of settings as readonly ProviderBatchSetting[]) {
      const submitter = 'run' in setting ? setting : setting.submitter;
      const window: { readonly windowMs?: number; readonly maxBatchSize?: number } = 'run' in setting ? {} : setting;
      firstRequests.set(
        submitter.invokerName,
        createBatchingInvoker(submitter, {
          ...(window.windowMs === undefined ? {} : { windowMs: window.windowMs }),
          ...(window.maxBatchSize === undefined ? {} : { maxBatchSize: window.maxBatchSize }),
        }),
      );
    }
    return async (input: I, context: { signal: AbortSignal; session: string }) => {
      const run = await this.call(input, {
        signal: context.signal,
        session: context.session,
        ...(firstRequests.size > 0 ? { firstRequests } : {}),
      });
      return { value: run.result, cost: run.cost, summary: run.summary };
    };
  }

  async #run(
    input: I,
    session: string,
    tacticSession: TacticSession,
    signal: AbortSignal | undefined,
    given?: Readonly<Record<string, Agent>>,
    firstRequests?: ReadonlyMap<string, Invoker>,
  ): Promise<O> {
    const agents: Record<string, TacticAgent> = {};
    for (const name of this.definition.agents) {
      const template = this.#parts.templates[name];
      const first = template ? firstRequests?.get(template.invoker.name) : undefined;
      // A batch job takes minutes to hours: the per-request timeout would end its wait and send every
      // call live. The job's own maxWaitMs bounds it instead (and the idle-stream limit still applies).
      const fresh = template
        ? new Agent({ ...template, session, ...(first ? { invoker: firstRequestThrough(first, template.invoker), timeoutMs: 0 } : {}) })
        : undefined;
      const agent = given?.[name] ?? fresh;
      if (!agent) throw new ConfigError(`Tactic "${this.name}" has no configured agent "${name}".`);
      agents[name] = new TacticAgent(agent, tacticSession, session, signal);
    }
    const subTactics: Record<string, SubTactic> = {};
    for (const [alias, sub] of Object.entries(this.definition.tactics ?? {})) {
      const child = new Tactic(typeof sub === 'string' ? getTactic(sub) : (sub as TacticDefinition), this.#parts);
      subTactics[alias] = {
        name: child.name,
        call: async (subInput) => {
          const childSession = new TacticSession(child.name, session);
          try {
            const value = await child.#run(subInput, session, childSession, signal, given, firstRequests);
            childSession.finish();
            return value;
          } catch (error) {
            childSession.finish(error);
            throw error;
          } finally {
            tacticSession.recordSubTactic(childSession);
          }
        },
      };
    }
    return await this.definition.run(input, {
      agents,
      tactics: subTactics,
      config: this.config,
      log: this.log,
      session,
      signal,
      stream: this.#parts.stream,
      services: this.#parts.services,
    });
  }
}

/** The agents' log: none for a store that keeps nothing (`log_type: none`), so dialogs skip serializing every message for it. */
function dialogLog(log: LogStore): { log?: LogStore } {
  return log.type === 'none' ? {} : { log };
}

function quickInvoker(model: string): Invoker {
  const apiType = findModelCard(model)?.provider === 'anthropic' ? 'anthropic' : 'completion';
  const factory = invokerFactories().get(apiType);
  if (!factory) {
    throw new ConfigError(
      `Tactic.quick("…", { model: "${model}" }) needs an invoker: pass { invoker } (e.g. createOpenAI().chat()), or register one for "${apiType}" with registerInvokerFactory.`,
    );
  }
  const agent = { model_name: model, system_prompt_path: 'quick/system', api_type: apiType } as AgentConfig;
  return factory(agent, { name: 'quick', agent_configs: { assistant: agent } } as unknown as SystemConfig);
}
