import { dirname } from 'node:path';
import { createAnthropic } from '@lllm/anthropic';
import {
  type AgentConfig,
  type ApiType,
  type DiscoveryReport,
  discover,
  findLllmToml,
  type Invoker,
  loadSystemConfig,
  registerAgentDiscovery,
  registerInvokerFactory,
  resolveSystemConfigPath,
  type SystemConfig,
} from '@lllm/core';
import { registerLogBackends } from '@lllm/log';
import { createOpenAI } from '@lllm/openai';
import { registerPromptDiscovery } from '@lllm/prompts';
import { ProxyRuntime, registerProxyDiscovery } from '@lllm/proxy';

/** Which provider each `api_type` can use right now, from the environment. */
export interface ProviderAvailability {
  readonly openai: boolean;
  readonly openaiCompatible: boolean;
  readonly anthropic: boolean;
}

/** Provider keys and endpoints present in the environment (never their values). */
export function providerAvailability(env: NodeJS.ProcessEnv = process.env): ProviderAvailability {
  return {
    openai: Boolean(env.OPENAI_API_KEY),
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
    : 'OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as a local llama.cpp or Ollama)';
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
  registerLogBackends();
  const openai = createOpenAI({
    ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
    // An OpenAI-compatible local server accepts any key.
    ...(env.OPENAI_API_KEY ? {} : env.OPENAI_BASE_URL ? { apiKey: 'local' } : {}),
  });
  const anthropic = createAnthropic();
  const withBaseURL = (agent: AgentConfig) =>
    agent.base_url ? createOpenAI({ baseURL: agent.base_url, apiKey: env.OPENAI_API_KEY ?? 'local' }) : openai;
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
  return loadSystemConfig(resolveSystemConfigPath(project.root, config), { root: project.root });
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

/** A scripted invoker label, so output never passes a scripted run off as a real model. */
export const SCRIPTED_LABEL = 'SCRIPTED offline model';

export type { Invoker };
