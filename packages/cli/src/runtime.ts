import { dirname } from 'node:path';
import { createAnthropic } from '@lllm/anthropic';
import {
  type AgentConfig,
  type ApiType,
  ConfigError,
  type DiscoveryReport,
  discover,
  findLllmToml,
  type Invoker,
  type JsonObject,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  loadSystemConfig,
  type ReadQuery,
  rateLimitFetch,
  registerAgentDiscovery,
  registerInvokerFactory,
  registerLogBackendDiscovery,
  resolveSystemConfigPath,
  type SessionQuery,
  type SystemConfig,
} from '@lllm/core';
import { sharedFetch } from '@lllm/http';
import { registerLogBackends } from '@lllm/log';
import { createOpenAI } from '@lllm/openai';
import { registerPromptDiscovery } from '@lllm/prompts';
import { ProxyRuntime, registerProxyDiscovery } from '@lllm/proxy';
import { registerCliApiInterpreter } from './api-interpreter.js';
import { registerPackagedLogBackend } from './log-backend-loader.js';
import { cardEndpointReady, openaiKey, routeModel } from './model-routing.js';

/** Which provider each `api_type` can use right now, from the environment. */
export interface ProviderAvailability {
  readonly openai: boolean;
  readonly openaiCompatible: boolean;
  readonly anthropic: boolean;
}

/** Provider keys and endpoints present in the environment (never their values). */
export function providerAvailability(env: NodeJS.ProcessEnv = process.env): ProviderAvailability {
  return {
    openai: Boolean(openaiKey(env)),
    openaiCompatible: Boolean(env.OPENAI_BASE_URL),
    anthropic: Boolean(env.ANTHROPIC_API_KEY),
  };
}

/** Whether an agent's `api_type` has a provider configured. */
export function hasProvider(apiType: ApiType, available: ProviderAvailability): boolean {
  return apiType === 'anthropic' ? available.anthropic : available.openai || available.openaiCompatible;
}

/** What to set for an `api_type`. */
export function providerHint(apiType: ApiType): string {
  return apiType === 'anthropic'
    ? 'ANTHROPIC_API_KEY'
    : "OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as a local llama.cpp or Ollama; MY_OPENAI_KEY, the Python LLLM's name, works too)";
}

let prepared = false;

/**
 * Everything a command needs before discovery: TypeScript modules load without a build step (tsx's
 * loader, registered for this process so user modules share the CLI's `@lllm/*` instances), the
 * `[prompts]`, `[proxies]` and `[agents]` sections, the `sqlite`/`jsonl` log backends, and one invoker factory per
 * `api_type` reading the environment.
 */
export async function prepareRuntime(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (prepared) return;
  prepared = true;
  const { register } = await import('tsx/esm/api');
  register();
  registerPromptDiscovery();
  registerProxyDiscovery();
  registerAgentDiscovery();
  registerCliApiInterpreter(env);
  registerLogBackendDiscovery();
  registerLogBackends();
  // Every response's rate-limit headers (x-ratelimit-*, anthropic-ratelimit-*, retry-after) feed the
  // process-wide provider budget, so a batch slows down before the provider refuses it.
  const openai = createOpenAI({
    fetch: rateLimitFetch('openai', { fetch: sharedFetch() }),
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    // OPENAI_API_KEY, else the Python LLLM's MY_OPENAI_KEY; an OpenAI-compatible local server accepts any key.
    ...(env.OPENAI_API_KEY ? {} : env.MY_OPENAI_KEY ? { apiKey: env.MY_OPENAI_KEY } : env.OPENAI_BASE_URL ? { apiKey: 'local' } : {}),
  });
  const anthropic = createAnthropic({ fetch: rateLimitFetch('anthropic', { fetch: sharedFetch() }) });
  // A config's own base_url gets the key of its own variable (api_key_env), never OPENAI_API_KEY:
  // that key is for OpenAI (or OPENAI_BASE_URL), not for whatever host a YAML file names.
  const withBaseURL = (agent: AgentConfig) => {
    if (!agent.base_url) return openai;
    const keyEnv = agent.api_key_env;
    if (keyEnv && !env[keyEnv]) {
      throw new ConfigError(`The agent at base_url ${agent.base_url} reads its key from ${keyEnv} (api_key_env), which is not set.`);
    }
    return createOpenAI({
      baseURL: agent.base_url,
      apiKey: keyEnv ? (env[keyEnv] as string) : 'local',
      ignoreCardBaseURL: true,
      fetch: rateLimitFetch('openai', { fetch: sharedFetch() }),
    });
  };
  registerInvokerFactory('completion', (agent) => withBaseURL(agent).chat());
  registerInvokerFactory('response', (agent) => withBaseURL(agent).responses());
  registerInvokerFactory('anthropic', () => anthropic.messages());
}

/** Where the project is, what discovery found, and the system config (when one is needed). */
export interface Project {
  readonly report: DiscoveryReport;
  readonly root: string;
}

/** Run discovery from `cwd` (or `$LLLM_CONFIG`). */
export async function loadProject(options: { cwd: string; strict?: boolean; env?: NodeJS.ProcessEnv }): Promise<Project> {
  await prepareRuntime(options.env);
  const report = await discover({
    startPath: options.cwd,
    ...(options.strict ? { strict: true } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  const file = report.config?.file ?? findLllmToml({ startPath: options.cwd, ...(options.env ? { env: options.env } : {}) });
  return { report, root: file ? dirname(file) : options.cwd };
}

/** The system config for `--config` (a name or a YAML path) under the project root. */
export function loadConfig(project: Project, config: string | undefined): SystemConfig {
  const loaded = loadSystemConfig(resolveSystemConfigPath(project.root, config), { root: project.root });
  // `log_type: postgres` with nothing registering it: @lllm/log-postgres is imported from the project
  // when the log is opened.
  registerPackagedLogBackend(loaded.log_type, project.root);
  return loaded;
}

/**
 * The proxy runtime a system config asks for (`activate_proxies`, `cutoff_date`, `deploy_mode`), or
 * undefined when it activates none. Proxies that cannot be activated are reported through `warn`.
 */
export function proxyRuntimeFor(
  config: SystemConfig,
  options: { env?: NodeJS.ProcessEnv; warn?: (message: string) => void } = {},
): ProxyRuntime | undefined {
  if (config.activate_proxies.length === 0) return undefined;
  return new ProxyRuntime({
    activate: config.activate_proxies,
    ...(config.cutoff_date ? { cutoffDate: config.cutoff_date } : {}),
    deployMode: config.deploy_mode,
    ...(options.env ? { env: options.env } : {}),
    ...(options.warn ? { onWarning: options.warn } : {}),
  });
}

/** The Anthropic model `lllm run` uses when only `ANTHROPIC_API_KEY` is set and the config names an OpenAI model. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-haiku-4-5';
/** The OpenAI model used when only an OpenAI provider is set and the config names an Anthropic model. */
export const DEFAULT_OPENAI_MODEL = 'gpt-4o-mini';

/** Which provider and model each agent of a run uses. */
export interface ProviderChoice {
  /** The config with `api_type` / `model_name` adjusted for what the environment offers. */
  readonly config: SystemConfig;
  /** One line per change made (printed, so a run never silently uses another model). */
  readonly notices: readonly string[];
  /** One line per model with no model card (sent as written, cost unknown), naming the closest known names. */
  readonly warnings: readonly string[];
  /** Agents with no provider at all. */
  readonly missing: readonly string[];
}

/**
 * Match each agent of `group` to a provider the environment has: `model` (`--model` or `LLLM_MODEL`)
 * replaces every agent's model; `provider` (`--provider` or `LLLM_PROVIDER`: `openai` | `anthropic`)
 * sends every agent there; otherwise an agent whose provider is missing moves to the one that is set
 * (OpenAI-type agents to Anthropic when only `ANTHROPIC_API_KEY` is set, and back), each move noted.
 */
export function chooseProviders(
  config: SystemConfig,
  group: readonly string[],
  env: NodeJS.ProcessEnv,
  overrides: { model?: string | undefined; provider?: string | undefined } = {},
): ProviderChoice {
  const available = providerAvailability(env);
  const model = overrides.model ?? env.LLLM_MODEL ?? undefined;
  const forced = overrides.provider ?? env.LLLM_PROVIDER ?? undefined;
  if (forced !== undefined && forced !== 'openai' && forced !== 'anthropic') {
    throw new ConfigError(
      `Provider ${JSON.stringify(forced)} is not known: use "openai" (OPENAI_API_KEY or OPENAI_BASE_URL) or "anthropic" (ANTHROPIC_API_KEY).`,
    );
  }
  const notices: string[] = [];
  const warnings: string[] = [];
  const missing: string[] = [];
  const agents: Record<string, AgentConfig> = { ...config.agent_configs };
  for (const name of group) {
    const agent = agents[name];
    if (!agent) continue;
    let apiType: ApiType = agent.api_type;
    let modelName = model ?? agent.model_name;
    if (forced === 'anthropic') apiType = 'anthropic';
    else if (forced === 'openai' && apiType === 'anthropic') apiType = 'completion';
    else if (!forced && !agent.base_url && !hasProvider(apiType, available) && !cardEndpointReady(modelName, apiType, env)) {
      if (apiType !== 'anthropic' && available.anthropic) apiType = 'anthropic';
      else if (apiType === 'anthropic' && (available.openai || available.openaiCompatible)) apiType = 'completion';
    }
    if (apiType !== agent.api_type) {
      if (!model) modelName = apiType === 'anthropic' ? DEFAULT_ANTHROPIC_MODEL : DEFAULT_OPENAI_MODEL;
      notices.push(
        `"${name}" uses ${apiType === 'anthropic' ? 'Anthropic' : 'OpenAI'} (${modelName}) instead of ${agent.api_type} (${agent.model_name}): ${forced ? `the provider is set to ${forced}` : `only ${apiType === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'an OpenAI provider'} is configured`}. Set --model or LLLM_MODEL to choose the model.`,
      );
    } else if (model && model !== agent.model_name) {
      notices.push(`"${name}" uses ${model} instead of ${agent.model_name} (--model / LLLM_MODEL).`);
    } else if (apiType !== 'anthropic' && !agent.base_url && available.openaiCompatible && !available.openai && !model) {
      notices.push(
        `"${name}" sends model "${agent.model_name}" to OPENAI_BASE_URL; if your server serves another model, set LLLM_MODEL or --model.`,
      );
    }
    const route = routeModel(name, agent, modelName, apiType, env);
    if (route.notice) notices.push(route.notice);
    if (route.warning) warnings.push(route.warning);
    agents[name] = { ...agent, api_type: apiType, model_name: route.model };
    const reachable = route.endpoint ? route.endpointReady : hasProvider(apiType, available);
    if (!agent.base_url && !reachable) missing.push(name);
  }
  return { config: { ...config, agent_configs: agents }, notices, warnings, missing };
}

/**
 * The log of an `lllm run`: a failing `flush()` during the run is remembered instead of thrown, so a
 * log problem never discards a model reply already paid for; `close()` reports it (the CLI then
 * prints the result anyway and exits 3). Everything else goes straight to the store.
 */
export class RunLog implements LogStore {
  readonly #store: LogStore;
  readonly #onWrite: ((collection: LogCollection, data: JsonObject) => void) | undefined;
  #failure: unknown;

  /** `onWrite` sees every entry as it is written (the progress display); it must not throw. */
  constructor(store: LogStore, onWrite?: (collection: LogCollection, data: JsonObject) => void) {
    this.#store = store;
    this.#onWrite = onWrite;
  }

  get type(): string {
    return this.#store.type;
  }

  write(collection: LogCollection, session: string, data: JsonObject): void {
    this.#store.write(collection, session, data);
    this.#onWrite?.(collection, data);
  }

  read(collection: LogCollection, session: string, query?: ReadQuery): Promise<LogEntry[]> {
    return this.#store.read(collection, session, query);
  }

  sessions(query?: SessionQuery): Promise<LogSessionInfo[]> {
    return this.#store.sessions(query);
  }

  deleteSession(session: string): Promise<void> {
    return this.#store.deleteSession(session);
  }

  async flush(): Promise<void> {
    try {
      await this.#store.flush();
    } catch (error) {
      this.#failure ??= error;
    }
  }

  async close(): Promise<void> {
    let failure = this.#failure;
    try {
      await this.#store.close();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw failure;
  }
}

/** A scripted invoker label, so output never passes a scripted run off as a real model. */
export const SCRIPTED_LABEL = 'SCRIPTED offline model';

export type { Invoker };
