import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentTooling, type AgentToolingContext, registerAgentTooling } from '@lllm/core';
import { JupyterSandbox } from '../jupyter/sandbox.js';
import { type ApiInterpreterHost, createApiInterpreter } from './api-interpreter.js';

/** The `proxy:` section of an agent config, as core's schema validated it. */
export interface AgentProxyConfig {
  readonly activate_proxies: readonly string[];
  readonly cutoff_date?: string | undefined;
  readonly deploy_mode: boolean;
  readonly exec_env: 'interpreter' | 'jupyter' | null;
  readonly max_output_chars: number;
  readonly timeout_ms: number;
}

/** How `proxy:` agent configs get their interpreters. */
export interface ApiInterpreterRegistration {
  /** The proxy side for one agent (its proxies, docs and bridge). */
  host(context: AgentToolingContext, proxy: AgentProxyConfig): ApiInterpreterHost;
  /**
   * The sandbox its sessions run in. Default: one per project root, at `<root>/.lllm/sandbox`, whose
   * Jupyter server starts on the first `run_python` and stops when the last interpreter closes.
   */
  sandbox?(context: AgentToolingContext): JupyterSandbox;
}

const shared = new Map<string, { sandbox: JupyterSandbox; users: number }>();

function sharedSandbox(root: string): { sandbox: JupyterSandbox; release(): Promise<void> } {
  const folder = join(root, '.lllm', 'sandbox');
  let entry = shared.get(folder);
  if (!entry) {
    mkdirSync(folder, { recursive: true });
    entry = { sandbox: new JupyterSandbox({ root: folder }), users: 0 };
    shared.set(folder, entry);
  }
  entry.users += 1;
  const current = entry;
  return {
    sandbox: current.sandbox,
    async release() {
      current.users -= 1;
      if (current.users > 0) return;
      shared.delete(folder);
      await current.sandbox.close();
    },
  };
}

/**
 * The API interpreter of one agent whose config has `proxy:` (undefined without it): `run_python`,
 * `query_api_doc` and the API directory. The cutoff is the agent's `proxy.cutoff_date`, else the
 * system's `cutoff_date`; none in deploy mode.
 */
export function apiInterpreterTooling(context: AgentToolingContext, registration: ApiInterpreterRegistration): AgentTooling | undefined {
  const proxy = (context.agent as { proxy?: AgentProxyConfig }).proxy;
  if (!proxy) return undefined;
  const host = registration.host(context, proxy);
  const own = registration.sandbox?.(context);
  const lease = own ? undefined : sharedSandbox(context.config.root);
  const cutoffDate = proxy.deploy_mode ? undefined : (proxy.cutoff_date ?? context.config.cutoff_date);
  const interpreter = createApiInterpreter({
    agentName: context.agentName,
    host,
    sandbox: own ?? (lease?.sandbox as JupyterSandbox),
    cutoffDate,
    execEnv: proxy.exec_env,
    maxOutputChars: proxy.max_output_chars,
    timeoutMs: proxy.timeout_ms,
  });
  return {
    tools: interpreter.tools,
    promptAddendum: interpreter.promptAddendum,
    async close() {
      try {
        await interpreter.close();
      } finally {
        await lease?.release();
      }
    },
  };
}

/** Serve the `proxy:` key of agent configs with the API interpreter (see `apiInterpreterTooling`). */
export function registerApiInterpreter(registration: ApiInterpreterRegistration): void {
  registerAgentTooling('proxy', (context) => apiInterpreterTooling(context, registration));
}
