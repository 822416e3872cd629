import { existsSync, statSync } from 'node:fs';
import {
  ConfigError,
  isSecretKey,
  type JsonSchema,
  registerSecret,
  type ToolLike,
  throwIfAborted,
  toAbortError,
  type ValidationResult,
} from '@lllm/core';
import { closestMatches, raceAbort } from '@lllm/core/utils';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { defineProxy, type EndpointDefinition, type ProxyDefinition, slugify } from '../define.js';
import { ProxyError } from '../errors.js';
import { formatMcpResult, mcpResultText } from './format.js';
import { closedError, type ErrorScope, redactFor, toMcpError } from './mcp-errors.js';
import { agentToolNames, endpointKeys } from './names.js';
import { StderrTail } from './stderr-tail.js';
import type { McpImplementation, McpTool, McpToolResult } from './types.js';

/** A header value: the text itself, or read from an environment variable when connecting. */
export type McpHeaderValue =
  | string
  | {
      /** The environment variable holding the value, e.g. `GITHUB_TOKEN`. */
      readonly env: string;
      /** Text before the value, e.g. `Bearer ` for an `Authorization` header. */
      readonly prefix?: string;
    };

/** Run the server as a child process and speak MCP over its stdin/stdout. */
export interface McpStdioTransportOptions {
  readonly type: 'stdio';
  /** The program, e.g. `npx` or `process.execPath`; looked up on PATH unless absolute. */
  readonly command: string;
  /** Its arguments. */
  readonly args?: readonly string[];
  /**
   * Extra environment variables. The child gets only these plus a safe default set from this
   * process (`HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM`, `USER`), so secrets are passed on purpose.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child (default: this process's). */
  readonly cwd?: string;
  /** Receives every line the server writes to stderr (by default it is kept, not printed). */
  readonly onStderr?: (line: string) => void;
}

/** Connect to a server over Streamable HTTP. */
export interface McpHttpTransportOptions {
  readonly type: 'http';
  /** The MCP endpoint, e.g. `http://127.0.0.1:3001/mcp`. */
  readonly url: string | URL;
  /** Headers for every request (e.g. `Authorization`); their values never appear in error messages. */
  readonly headers?: Readonly<Record<string, McpHeaderValue>>;
  /** A `fetch` to use instead of the global one (tests, proxies, custom agents). */
  readonly fetch?: typeof fetch;
}

/** How to reach an MCP server. */
export type McpTransportOptions = McpStdioTransportOptions | McpHttpTransportOptions;

/** How to connect to an MCP server. */
export interface McpConnectOptions {
  /**
   * A short name (`^[a-z0-9][a-z0-9_-]*$`): the prefix of its agent tools (`<name>_<tool>`), the path
   * of its proxy, and the name in error messages.
   */
  readonly name: string;
  /** How to reach the server. */
  readonly transport: McpTransportOptions;
  /** Aborting while connecting closes the transport (the child is killed) and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
  /** How long to wait for any one answer, the handshake included (default 60,000 ms). */
  readonly timeoutMs?: number;
  /** How this client introduces itself (default `{ name: 'lllm', version: '0.1.0' }`). */
  readonly clientInfo?: McpImplementation;
}

/** Which tools to offer and how to name them. */
export interface McpToolSelection {
  /** Only these tools (server names); a name the server does not have is a `ConfigError`. */
  readonly include?: readonly string[];
  /** Leave these tools out (server names). */
  readonly exclude?: readonly string[];
}

/** Options of `McpConnection.asTools()`. */
export interface McpAsToolsOptions extends McpToolSelection {
  /** Tool names are `<prefix>_<tool>`; defaults to the connection name, `''` for no prefix. */
  readonly prefix?: string;
}

/** Options of `McpConnection.asProxy()`. */
export interface McpAsProxyOptions extends McpToolSelection {
  /** The proxy path (default: the connection name). */
  readonly path?: string;
  /** A human name (default: the server's title or name). */
  readonly name?: string;
  /** What the server offers (default: a line naming the server; its `instructions` can be long). */
  readonly description?: string;
}

/** Options of `McpConnection.callTool()`. */
export interface McpCallOptions {
  /** Aborting cancels the request (the server is told) and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
  /** Overrides the connection's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** Options of `McpConnection.listTools()`. */
export interface McpListOptions {
  /** Aborting rejects with `AbortError`. */
  readonly signal?: AbortSignal;
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CLIENT_INFO: McpImplementation = { name: 'lllm', version: '0.1.0' };
const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE/i;
const MAX_PAGES = 1000;

type SdkModules = {
  Client: typeof Client;
  StdioClientTransport: typeof StdioClientTransport;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  AjvJsonSchemaValidator: typeof AjvJsonSchemaValidator;
};

let sdkModules: Promise<SdkModules> | undefined;

// The SDK is loaded on first use, so importing @lllm/proxy does not load it (nor ajv, express, …).
function loadSdk(): Promise<SdkModules> {
  sdkModules ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/validation/ajv'),
  ]).then(([client, stdio, http, ajv]) => ({
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    AjvJsonSchemaValidator: ajv.AjvJsonSchemaValidator,
  }));
  return sdkModules;
}

function checkOptions(options: McpConnectOptions): string[] {
  const problems: string[] = [];
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
    problems.push(
      `name: ${JSON.stringify(options?.name)} must be lower-case letters, digits, "-" or "_", starting with a letter or digit (e.g. "github")`,
    );
  }
  const transport = options?.transport as McpTransportOptions | undefined;
  if (!transport || (transport.type !== 'stdio' && transport.type !== 'http')) {
    problems.push(
      `transport.type: must be "stdio" (a command to run) or "http" (a Streamable HTTP URL), got ${JSON.stringify((transport as { type?: unknown } | undefined)?.type)}`,
    );
  } else if (transport.type === 'stdio') {
    if (typeof transport.command !== 'string' || !transport.command.trim())
      problems.push('transport.command: the program to run is required, e.g. "npx"');
    if (transport.args !== undefined && (!Array.isArray(transport.args) || transport.args.some((arg) => typeof arg !== 'string'))) {
      problems.push('transport.args: must be a list of strings');
    }
    for (const [key, value] of Object.entries(transport.env ?? {})) {
      if (typeof value !== 'string') problems.push(`transport.env.${key}: must be a string, got ${typeof value}`);
    }
    if (transport.cwd !== undefined && !(existsSync(transport.cwd) && statSync(transport.cwd).isDirectory())) {
      problems.push(`transport.cwd: ${JSON.stringify(transport.cwd)} is not a directory`);
    }
  } else {
    let url: URL | undefined;
    try {
      url = new URL(String(transport.url));
    } catch {
      problems.push(`transport.url: ${JSON.stringify(String(transport.url))} is not a URL (e.g. "http://127.0.0.1:3001/mcp")`);
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
      problems.push(`transport.url: must be http(s), got ${JSON.stringify(url.protocol)}`);
    for (const [key, value] of Object.entries(transport.headers ?? {})) {
      if (typeof value === 'object' && value !== null) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.env ?? ''))
          problems.push(`transport.headers.${key}.env: ${JSON.stringify(value.env)} is not an environment variable name`);
      } else if (typeof value !== 'string') {
        problems.push(`transport.headers.${key}: must be a string or { env: "VARIABLE" }`);
      }
    }
  }
  if (options?.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    problems.push(`timeoutMs: must be a positive number of milliseconds, got ${JSON.stringify(options.timeoutMs)}`);
  }
  return problems;
}

function resolveHeaders(name: string, headers: Readonly<Record<string, McpHeaderValue>>): Record<string, string> {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      resolved[key] = value;
      continue;
    }
    const fromEnv = process.env[value.env];
    if (!fromEnv) {
      missing.push(value.env);
      continue;
    }
    registerSecret(fromEnv);
    resolved[key] = `${value.prefix ?? ''}${fromEnv}`;
  }
  if (missing.length > 0) {
    throw new ProxyError(
      `MCP server "${name}" needs the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for its headers; set ${missing.length > 1 ? 'them' : 'it'} and connect again.`,
      {
        kind: 'missing_key',
      },
    );
  }
  return resolved;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const deadline = Date.now() + ms;
  while (alive()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * A fresh signal per request: the SDK never removes the abort listener it adds, so handing it a
 * long-lived signal (the connection's, or a caller's reused one) would pile listeners up.
 */
function requestSignal(closing: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
  return AbortSignal.any(caller ? [closing, caller] : [closing]);
}

function normaliseSchema(schema: unknown): JsonSchema {
  const copy: JsonSchema = typeof schema === 'object' && schema !== null && !Array.isArray(schema) ? { ...(schema as JsonSchema) } : {};
  // `$schema` is noise to providers (some reject it); an object without `properties` is rejected by some.
  delete copy.$schema;
  copy.type = 'object';
  if (typeof copy.properties !== 'object' || copy.properties === null) copy.properties = {};
  return copy;
}

function toMcpTool(raw: Record<string, unknown>): McpTool {
  const execution = raw.execution as { taskSupport?: McpTool['taskSupport'] } | undefined;
  return {
    name: String(raw.name),
    ...(typeof raw.title === 'string' ? { title: raw.title } : {}),
    ...(typeof raw.description === 'string' ? { description: raw.description } : {}),
    inputSchema: (raw.inputSchema ?? { type: 'object' }) as JsonSchema,
    ...(raw.outputSchema ? { outputSchema: raw.outputSchema as JsonSchema } : {}),
    ...(raw.annotations ? { annotations: raw.annotations as Record<string, unknown> } : {}),
    ...(execution?.taskSupport ? { taskSupport: execution.taskSupport } : {}),
  };
}

/** Internal wiring handed from `connectMcp` to the connection. */
interface ConnectionParts {
  readonly name: string;
  readonly client: Client;
  readonly transport: StdioClientTransport | StreamableHTTPClientTransport;
  readonly kind: 'stdio' | 'http';
  readonly scope: ErrorScope;
  readonly timeoutMs: number;
  readonly pid: number | undefined;
  readonly closing: AbortController;
  readonly validator: AjvJsonSchemaValidator;
  readonly state: { serverClosed: boolean; toolsStale: boolean };
}

/**
 * A live connection to one MCP server, made by `connectMcp()`. Its tools can be called directly,
 * offered to agents (`asTools()`) or listed in the proxy catalog (`asProxy()`). Close it when done
 * (`await using connection = await connectMcp(…)` does so): a stdio server's process is ended.
 */
export class McpConnection implements AsyncDisposable {
  /** The name given to `connectMcp()`. */
  readonly name: string;
  /** What the server says it is (name, version, title). */
  readonly serverInfo: McpImplementation;
  /** The server's usage instructions, if it sent any. */
  readonly instructions: string | undefined;
  /** The process id of a stdio server (undefined over HTTP). */
  readonly pid: number | undefined;
  readonly #parts: ConnectionParts;
  #tools: readonly McpTool[] = [];
  #byName = new Map<string, McpTool>();
  #closePromise: Promise<void> | undefined;

  /** @internal Use `connectMcp()`. */
  constructor(parts: ConnectionParts) {
    this.#parts = parts;
    this.name = parts.name;
    const info = parts.client.getServerVersion();
    this.serverInfo = {
      name: info?.name ?? 'unknown',
      version: info?.version ?? 'unknown',
      ...(info?.title ? { title: info.title } : {}),
    };
    this.instructions = parts.client.getInstructions();
    this.pid = parts.pid;
  }

  /** The tools as last listed (at connect time, or by the latest `listTools()`). */
  get tools(): readonly McpTool[] {
    return this.#tools;
  }

  /** Whether the connection is closed: `close()` was called or the server went away. */
  get closed(): boolean {
    return this.#closePromise !== undefined || this.#parts.state.serverClosed;
  }

  /** Ask the server for its tools, following pagination cursors; updates `tools`. */
  async listTools(options: McpListOptions = {}): Promise<readonly McpTool[]> {
    this.#assertOpen('tools/list');
    const { client, closing, timeoutMs, scope } = this.#parts;
    const signal = requestSignal(closing.signal, options.signal);
    const tools: McpTool[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        throwIfAborted(options.signal);
        const result = await raceAbort(
          client.listTools(cursor === undefined ? undefined : { cursor }, { signal, timeout: timeoutMs }),
          options.signal,
        );
        tools.push(...result.tools.map((tool) => toMcpTool(tool as unknown as Record<string, unknown>)));
        cursor = result.nextCursor;
        if (cursor === undefined || cursors.has(cursor)) break;
        cursors.add(cursor);
      }
    } catch (error) {
      throw toMcpError(error, scope, {
        operation: 'tools/list',
        connecting: false,
        timeoutMs,
        signal: options.signal,
        closing: closing.signal,
      });
    }
    this.#setTools(tools);
    return this.#tools;
  }

  #setTools(tools: readonly McpTool[]): void {
    this.#tools = Object.freeze([...tools]);
    this.#byName = new Map(tools.map((tool) => [tool.name, tool]));
    this.#parts.state.toolsStale = false;
  }

  /**
   * Call a tool by its server name and resolve with its result. An `isError` result or a JSON-RPC
   * error throws a `ProxyError` (kind `mcp`) carrying the server's text; a timeout throws one of kind
   * `timeout`; an unknown name one of kind `not_found` listing close names. Aborting `signal` cancels
   * the request on the server (`notifications/cancelled`) and rejects with `AbortError`; `close()`
   * rejects a running call at once with a `ProxyError`.
   */
  async callTool(name: string, args: Readonly<Record<string, unknown>> = {}, options: McpCallOptions = {}): Promise<McpToolResult> {
    const operation = `tools/call "${name}"`;
    this.#assertOpen(operation);
    throwIfAborted(options.signal);
    const { client, closing, scope } = this.#parts;
    const timeoutMs = options.timeoutMs ?? this.#parts.timeoutMs;
    const path = `${this.name}/tools/${slugify(name)}`;
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      throw new ProxyError(
        `The arguments of MCP tool "${name}" (server "${this.name}") must be an object of named values, got ${Array.isArray(args) ? 'a list' : typeof args}.`,
        {
          kind: 'validation',
          path,
        },
      );
    }
    if (!this.#byName.has(name)) {
      // The list may have changed since it was read; look again before calling the name unknown.
      await this.listTools({ ...(options.signal ? { signal: options.signal } : {}) });
      if (!this.#byName.has(name)) {
        const names = this.#tools.map((tool) => tool.name);
        const suggestions = closestMatches(name, names);
        throw new ProxyError(
          `MCP server "${this.name}" has no tool "${name}".${suggestions.length ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : ''} Its tools: ${names.join(', ') || 'none'}.`,
          { kind: 'not_found', path, suggestions },
        );
      }
    }
    const signal = requestSignal(closing.signal, options.signal);
    let raw: Record<string, unknown>;
    try {
      raw = (await raceAbort(
        client.callTool({ name, arguments: { ...args } }, undefined, { signal, timeout: timeoutMs }),
        options.signal,
      )) as Record<string, unknown>;
    } catch (error) {
      throw toMcpError(error, scope, { operation, connecting: false, timeoutMs, signal: options.signal, closing: closing.signal, path });
    }
    const result: McpToolResult = {
      content: Array.isArray(raw.content) ? (raw.content as McpToolResult['content']) : [],
      ...(raw.structuredContent !== undefined ? { structuredContent: raw.structuredContent as Record<string, unknown> } : {}),
      ...(raw.isError ? { isError: true } : {}),
    };
    if (result.isError) {
      throw new ProxyError(redactFor(scope, `MCP tool "${name}" of server "${this.name}" failed: ${mcpResultText(result)}`), {
        kind: 'mcp',
        path,
        body: result,
      });
    }
    return result;
  }

  #select(selection: McpToolSelection, what: string): McpTool[] {
    const callable = this.#tools.filter((tool) => tool.taskSupport !== 'required');
    const names = this.#tools.map((tool) => tool.name);
    if (selection.include) {
      const unknown = selection.include.filter((name) => !this.#byName.has(name));
      if (unknown.length > 0) {
        const problems = unknown.map((name) => {
          const suggestions = closestMatches(name, names);
          return `include: MCP server "${this.name}" has no tool "${name}"${suggestions.length ? ` (did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?)` : ''}`;
        });
        throw new ConfigError(
          `${what} of MCP server "${this.name}":\n${problems.map((p) => `- ${p}`).join('\n')}\nIts tools: ${names.join(', ') || 'none'}.`,
          {
            problems,
          },
        );
      }
    }
    const include = selection.include ? new Set(selection.include) : undefined;
    const exclude = new Set(selection.exclude ?? []);
    return callable.filter((tool) => (!include || include.has(tool.name)) && !exclude.has(tool.name));
  }

  /**
   * The server's tools as agent tools (`ToolLike`), for a prompt's `functions`. Names are
   * `<prefix>_<tool>` made safe for providers (`^[a-zA-Z0-9_-]{1,64}$`, distinct); parameters are
   * the tool's input schema; arguments are checked against it before the call; the result the model
   * sees is the text of the content blocks (see `formatMcpResult`). Tools that can only run as MCP
   * tasks are left out. Uses the tool list read at connect time or by the latest `listTools()`.
   */
  asTools(options: McpAsToolsOptions = {}): ToolLike[] {
    const selected = this.#select(options, 'asTools()');
    const names = agentToolNames(
      options.prefix ?? this.name,
      selected.map((tool) => tool.name),
    );
    return selected.map((tool) => this.#toolLike(tool, names.get(tool.name) ?? tool.name));
  }

  #toolLike(tool: McpTool, agentName: string): ToolLike {
    const parameters = normaliseSchema(tool.inputSchema);
    let check: ((input: unknown) => { valid: boolean; errorMessage?: string | undefined }) | null | undefined;
    const connection = this;
    return {
      name: agentName,
      description: tool.description ?? tool.title ?? `The tool "${tool.name}" of the MCP server "${this.name}".`,
      parameters,
      linked: true,
      validate(args: unknown): ValidationResult {
        if (check === undefined) {
          try {
            check = connection.#parts.validator.getValidator(parameters as never);
          } catch {
            // A schema ajv cannot compile is left to the server to enforce.
            check = null;
          }
        }
        if (!check) return { success: true, data: args };
        const outcome = check(args ?? {});
        if (outcome.valid) return { success: true, data: args ?? {} };
        // ajv calls the checked value `data`; the model knows it as the arguments.
        const detail = (outcome.errorMessage ?? 'they do not match the schema').replace(/\bdata(?=[/ ])/g, 'arguments');
        return { success: false, error: detail };
      },
      execute: (args, context) => this.callTool(tool.name, args, { signal: context.signal }),
      formatResult: (result: unknown) => formatMcpResult(result as McpToolResult),
    };
  }

  /**
   * The server as a proxy definition for the proxy catalog: one endpoint per tool (category `tools`,
   * key = the tool name in lower case with dashes), parameters = its input schema, and a `handler`
   * that calls the tool and returns its `structuredContent`, else its text (see `formatMcpResult`).
   */
  asProxy(options: McpAsProxyOptions = {}): ProxyDefinition {
    const selected = this.#select(options, 'asProxy()');
    const keys = endpointKeys(selected.map((tool) => tool.name));
    const label = this.serverInfo.title ?? this.serverInfo.name;
    const endpoints: EndpointDefinition[] = selected.map((tool) => ({
      category: 'tools',
      endpoint: tool.name.replace(/[{}]/g, '_'),
      key: keys.get(tool.name) ?? slugify(tool.name),
      name: tool.title ?? tool.name,
      description: tool.description ?? `The tool "${tool.name}" of the MCP server "${label}".`,
      parameters: normaliseSchema(tool.inputSchema),
      handler: async (params, context) => {
        const result = await this.callTool(tool.name, params, { signal: context.signal });
        return result.structuredContent ?? formatMcpResult(result);
      },
    }));
    return defineProxy({
      path: options.path ?? this.name,
      name: options.name ?? label,
      description: options.description ?? `Tools of the MCP server "${label}" ${this.serverInfo.version}.`,
      endpoints,
    });
  }

  /**
   * Close the connection: calls still running reject at once with a `ProxyError`, an HTTP session is
   * ended, a stdio server's stdin is closed and the process is ended (SIGTERM, then SIGKILL) if it
   * does not exit. Safe to call more than once; every call resolves when the server is gone.
   */
  close(): Promise<void> {
    this.#closePromise ??= this.#close();
    return this.#closePromise;
  }

  async #close(): Promise<void> {
    const { client, transport, closing, kind, pid } = this.#parts;
    closing.abort(new Error('the connection was closed'));
    if (kind === 'http' && !this.#parts.state.serverClosed) {
      const http = transport as StreamableHTTPClientTransport;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([http.terminateSession().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
    }
    await client.close().catch(() => {});
    if (pid !== undefined && !(await waitForExit(pid, 3000))) {
      killQuietly(pid, 'SIGKILL');
      await waitForExit(pid, 2000);
    }
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #assertOpen(operation: string): void {
    if (this.#closePromise) throw closedError(this.#parts.scope, operation, false);
    if (this.#parts.state.serverClosed) throw closedError(this.#parts.scope, operation, true);
  }

  /**
   * Whether the server announced (`notifications/tools/list_changed`) that its tools changed since
   * they were last listed; `asTools()` and `asProxy()` use the last list until `listTools()` runs.
   */
  get toolsChanged(): boolean {
    return this.#parts.state.toolsStale;
  }
}

/**
 * Connect to an MCP server: start the stdio process (or open the HTTP session), do the MCP
 * handshake and read its tool list. Failures are `ProxyError`s whose message names the server, what
 * went wrong (a stdio server's last stderr lines included) and the fix; bad options are a
 * `ConfigError` listing every problem; aborting `signal` ends the attempt with an `AbortError`.
 */
export async function connectMcp(options: McpConnectOptions): Promise<McpConnection> {
  const problems = checkOptions(options);
  if (problems.length > 0) {
    throw new ConfigError(
      `MCP server ${JSON.stringify(options?.name)} is not configured correctly:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      { problems },
    );
  }
  throwIfAborted(options.signal);
  const sdk = await loadSdk();
  throwIfAborted(options.signal);
  const { name, transport: spec } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let secrets: string[] = [];
  // Lines are redacted before they are kept, cut or handed to onStderr.
  const stderr = new StderrTail(20, 400, (line) => redactFor({ secrets }, line));
  let lastTransportError: unknown;
  let target: string;
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  let pid: number | undefined;
  if (spec.type === 'stdio') {
    const env = Object.entries(spec.env ?? {}).filter(([, value]) => typeof value === 'string' && value.length >= 8);
    secrets = env.filter(([key]) => SECRET_ENV_NAME.test(key) || isSecretKey(key)).map(([, value]) => value);
    // What the server is given under a secret name is a secret wherever LLLM writes (tool results in the log too).
    for (const [key, value] of env) if (isSecretKey(key)) registerSecret(value);
    target = redactFor({ secrets }, [spec.command, ...(spec.args ?? [])].map(quoteArg).join(' '));
    if (target.length > 240) target = `${target.slice(0, 239)}…`;
    const stdio = new sdk.StdioClientTransport({
      command: spec.command,
      args: [...(spec.args ?? [])],
      ...(spec.env ? { env: { ...spec.env } } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      stderr: 'pipe',
    });
    const decoder = new TextDecoder();
    stdio.stderr?.on('data', (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      for (const line of stderr.push(text)) spec.onStderr?.(line);
    });
    const start = stdio.start.bind(stdio);
    stdio.start = async () => {
      await start();
      pid = stdio.pid ?? undefined;
    };
    transport = stdio;
  } else {
    const headers = resolveHeaders(name, spec.headers ?? {});
    secrets = Object.values(headers)
      .flatMap((value) => [value, value.replace(/^\S+\s+/, '')])
      .filter((value) => value.length >= 8);
    for (const [header, value] of Object.entries(headers)) {
      if (isSecretKey(header)) for (const secret of [value, value.replace(/^\S+\s+/, '')]) registerSecret(secret);
    }
    const url = new URL(String(spec.url));
    target = redactFor({ secrets }, url.href);
    transport = new sdk.StreamableHTTPClientTransport(url, {
      requestInit: { headers },
      ...(spec.fetch ? { fetch: spec.fetch } : {}),
    });
  }
  const state = { serverClosed: false, toolsStale: false };
  const closing = new AbortController();
  const client = new sdk.Client(
    { ...(options.clientInfo ?? DEFAULT_CLIENT_INFO) },
    {
      capabilities: {},
      listChanged: {
        tools: {
          autoRefresh: false,
          debounceMs: 0,
          onChanged: () => {
            state.toolsStale = true;
          },
        },
      },
    },
  );
  client.onerror = (error) => {
    lastTransportError = error;
  };
  client.onclose = () => {
    if (!closing.signal.aborted) state.serverClosed = true;
  };
  const scope: ErrorScope = {
    server: name,
    target,
    transport: spec.type,
    secrets,
    stderr: () => stderr.lines(),
    lastTransportError: () => lastTransportError,
  };
  let operation = 'the MCP handshake';
  try {
    await raceAbort(
      client.connect(transport, { signal: requestSignal(closing.signal, options.signal), timeout: timeoutMs }),
      options.signal,
    );
    const connection = new McpConnection({
      name,
      client,
      transport,
      kind: spec.type,
      scope,
      timeoutMs,
      pid,
      closing,
      validator: new sdk.AjvJsonSchemaValidator(),
      state,
    });
    if (client.getServerCapabilities()?.tools) {
      operation = 'tools/list';
      try {
        await connection.listTools({ ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error) {
        await connection.close();
        throw error;
      }
    }
    return connection;
  } catch (error) {
    // Nothing was agreed with the server yet, so there is nothing to shut down gracefully.
    if (pid !== undefined) killQuietly(pid, 'SIGTERM');
    await client.close().catch(() => {});
    if (pid !== undefined && !(await waitForExit(pid, 3000))) killQuietly(pid, 'SIGKILL');
    if (options.signal?.aborted) throw toAbortError(options.signal.reason);
    // Let the last stderr chunks of a dying server arrive before summarising them.
    await new Promise((resolve) => setImmediate(resolve));
    throw toMcpError(error, scope, { operation, connecting: true, timeoutMs, signal: options.signal });
  }
}
