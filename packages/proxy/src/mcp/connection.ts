// An open connection to an MCP server: its tools listed and called (with timeouts, cancellation and
// typed errors), offered to agents as tools or as a proxy, and closed with the server process.
import { ConfigError, type JsonSchema, type ToolLike, throwIfAborted, type ValidationResult } from '@lllm/core';
import { closestMatches, raceAbort } from '@lllm/core/utils';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { defineProxy, type EndpointDefinition, type ProxyDefinition, slugify } from '../define.js';
import { ProxyError } from '../errors.js';
import { killQuietly, waitForExit } from './child-process.js';
import type { McpAsProxyOptions, McpAsToolsOptions, McpCallOptions, McpListOptions, McpToolSelection } from './connect-options.js';
import { formatMcpResult, mcpResultText } from './format.js';
import { closedError, type ErrorScope, redactFor, toMcpError } from './mcp-errors.js';
import { agentToolNames, endpointKeys } from './names.js';
import type { McpImplementation, McpTool, McpToolResult } from './types.js';

const MAX_PAGES = 1000;

/**
 * A fresh signal per request: the SDK never removes the abort listener it adds, so handing it a
 * long-lived signal (the connection's, or a caller's reused one) would pile listeners up.
 */
export function requestSignal(closing: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
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
export interface ConnectionParts {
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
