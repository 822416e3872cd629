/**
 * The API interpreter (upstream's `proxy:` agent config): an agent gets `run_python`, which runs code
 * in its own Jupyter sandbox session whose `CALL_API(path, params)` reaches the agent's proxies through
 * the proxy bridge (with the agent's cutoff date, enforced by the bridge), and `query_api_doc`, which
 * returns a proxy's full endpoint docs. The API directory is appended to its system prompt.
 *
 * The proxy side comes in through `ApiInterpreterHost`, so this package needs no proxy runtime of its
 * own: the `lllm` CLI builds the host from `@lllm/proxy` (`ProxyRuntime` + `serveProxy`).
 */
import { AbortError, type AgentTooling, type ToolLike } from '@lllm/core';
import type { SandboxBridge } from '../jupyter/bridge-link.js';
import { clip, formatOutputs } from '../jupyter/outputs.js';
import type { JupyterSandbox } from '../jupyter/sandbox.js';
import type { JupyterSession } from '../jupyter/session.js';

/** The proxy side of one agent's interpreter. */
export interface ApiInterpreterHost {
  /** The proxies `CALL_API` may reach (empty: every proxy the bridge serves). */
  readonly proxies: readonly string[];
  /** One line per endpoint, by proxy and category: the API directory of the system prompt. */
  apiDirectory(): string;
  /** Known proxy names (for `query_api_doc` answers to unknown names). */
  proxyNames(): readonly string[];
  /** Full docs of one proxy (or `proxy/endpoint`): parameters, types, examples. */
  apiDocs(path: string): string;
  /** The bridge `CALL_API` posts to; started on first use. */
  bridge(): Promise<SandboxBridge>;
  /** Stop the bridge. */
  close?(): Promise<void>;
}

/** Options of `createApiInterpreter`. */
export interface ApiInterpreterOptions {
  readonly agentName: string;
  readonly host: ApiInterpreterHost;
  /** The sandbox sessions run in (its Jupyter server starts on the first `run_python`). */
  readonly sandbox: JupyterSandbox;
  /** Data cutoff handed to the bridge session (`YYYY-MM-DD`); none in deploy mode. */
  readonly cutoffDate?: string | undefined;
  /**
   * `interpreter` (default): `run_python` and `query_api_doc`. `jupyter`: only `query_api_doc` (the
   * agent's tactic runs cells itself). `null`: the API directory only.
   */
  readonly execEnv?: 'interpreter' | 'jupyter' | null;
  /** Longest `run_python` result; longer output keeps its head and tail. Default 5,000 characters. */
  readonly maxOutputChars?: number;
  /** Per-run limit in ms (the cell is interrupted). Default 60,000. */
  readonly timeoutMs?: number;
}

/** An agent's API interpreter: its tools, the system-prompt block, and the session it opened. */
export interface ApiInterpreter extends AgentTooling {
  readonly tools: readonly ToolLike[];
  readonly promptAddendum: string;
  /** The Jupyter session, once `run_python` has opened it. */
  readonly session: JupyterSession | undefined;
  /** Run code as `run_python` does and return what the model would see. */
  run(code: string, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

/** The system-prompt block: how to use the interpreter, and the API directory. */
function renderInterpreterBlock(directory: string, execEnv: 'interpreter' | 'jupyter' | null, maxOutputChars: number): string {
  const how =
    execEnv === 'interpreter'
      ? `Call the run_python tool to run Python in a persistent session: variables persist between calls, \`CALL_API(path, params)\` is defined and returns an endpoint's response (for example \`CALL_API("weather/forecast", {"city": "Oslo"})\`), and only what you print() comes back (at most ${maxOutputChars} characters; print the important part first). Before using an endpoint for the first time, call query_api_doc with its proxy name for its parameters.`
      : execEnv === 'jupyter'
        ? 'Write Python cells that call `CALL_API(path, params)`; call query_api_doc with a proxy name for its endpoints’ parameters first.'
        : 'These APIs are available to the system; call query_api_doc with a proxy name for details.';
  return `\n\n## APIs\n${how}\n\n<api_directory>\n${directory.trim()}\n</api_directory>`;
}

/** The agent's interpreter. Nothing starts until `run_python` is first called. */
export function createApiInterpreter(options: ApiInterpreterOptions): ApiInterpreter {
  const execEnv = options.execEnv === undefined ? 'interpreter' : options.execEnv;
  const maxOutputChars = options.maxOutputChars ?? 5000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  let session: JupyterSession | undefined;
  let opening: Promise<JupyterSession> | undefined;
  // One run at a time: a model that calls run_python twice in one reply gets them in order.
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const open = () => {
    opening ??= (async () => {
      const bridge = await options.host.bridge();
      session = await options.sandbox.createSession({
        name: `${options.agentName} interpreter`,
        proxies: options.host.proxies,
        ...(options.cutoffDate ? { cutoffDate: options.cutoffDate } : {}),
        bridge,
        cellTimeoutMs: timeoutMs,
      });
      return session;
    })();
    return opening;
  };

  const runNow = async (code: string, signal?: AbortSignal): Promise<string> => {
    if (closed) throw new Error(`The API interpreter of agent "${options.agentName}" is closed.`);
    if (signal?.aborted) throw new AbortError('run_python was cancelled.');
    const current = await open();
    const index = await current.appendCode(code);
    const result = await current.runCell(index, { timeoutMs, ...(signal ? { signal } : {}) });
    const text = formatOutputs(result.outputs);
    const parts: string[] = [];
    if (result.notice) parts.push(result.notice);
    if (text) parts.push(text);
    if (result.status === 'timeout') parts.push(`(stopped after ${timeoutMs / 1000} s)`);
    else if (result.error && !text.includes(result.error.ename)) parts.push(`${result.error.ename}: ${result.error.evalue}`);
    if (parts.length === 0) parts.push('(no output: print() what you want to see)');
    return clip(parts.join('\n'), maxOutputChars);
  };

  const run = (code: string, signal?: AbortSignal) => {
    const next = queue.then(() => runNow(code, signal));
    queue = next.catch(() => undefined);
    return next;
  };

  const queryApiDoc: ToolLike = {
    name: 'query_api_doc',
    description:
      'Full documentation of a proxy (or one endpoint, "proxy/endpoint"): every endpoint with its parameters, types and examples. Call it before using an endpoint you have not used yet. Proxy names are in the API directory.',
    parameters: {
      type: 'object',
      properties: { proxy_name: { type: 'string', description: 'A proxy name from the API directory, e.g. "weather".' } },
      required: ['proxy_name'],
      additionalProperties: false,
    },
    linked: true,
    execute(args) {
      const name = String(args.proxy_name ?? '').trim();
      const known = options.host.proxyNames();
      const root = name.split('/')[0] ?? '';
      if (!known.includes(root)) return `Proxy "${name}" not found. Available proxies: ${known.join(', ') || 'none'}.`;
      return options.host.apiDocs(name);
    },
  };
  const runPython: ToolLike = {
    name: 'run_python',
    description:
      'Run Python code in a persistent session (variables persist between calls). CALL_API(path, params) calls an API endpoint and returns its response. Only printed output comes back, cut when long; errors come back as the exception.',
    parameters: {
      type: 'object',
      properties: { code: { type: 'string', description: 'Python source; use print() for what you need to see.' } },
      required: ['code'],
      additionalProperties: false,
    },
    linked: true,
    validate(args) {
      const code = typeof args === 'object' && args !== null ? (args as { code?: unknown }).code : undefined;
      return typeof code === 'string' && code.trim() !== ''
        ? { success: true, data: { code } }
        : { success: false, error: `code must be non-empty Python source, got ${JSON.stringify(code)}` };
    },
    execute: (args, context) => run(String(args.code), context.signal),
  };

  return {
    tools: execEnv === 'interpreter' ? [runPython, queryApiDoc] : execEnv === 'jupyter' ? [queryApiDoc] : [],
    promptAddendum: renderInterpreterBlock(options.host.apiDirectory(), execEnv, maxOutputChars),
    get session() {
      return session;
    },
    run,
    async close() {
      closed = true;
      await queue;
      const opened = session;
      session = undefined;
      try {
        if (opened) await options.sandbox.shutdownSession(opened.id);
      } finally {
        await options.host.close?.();
      }
    },
  };
}
