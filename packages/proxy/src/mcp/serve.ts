import type { Readable, Writable } from 'node:stream';
import { AbortError, InvalidArgumentError, LllmError, redactString } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolRequestSchema, CallToolResult, ListToolsRequestSchema, Tool } from '@modelcontextprotocol/sdk/types.js';
import { ProxyError } from '../errors.js';
import type { ProxyRuntime } from '../runtime.js';
import { toolNameFor } from '../tools.js';

/** How to build an MCP server over a proxy runtime. */
export interface ProxyMcpServerOptions {
  /** The server name sent to clients at the handshake (default `lllm-proxy`). */
  readonly name?: string;
  /** The server version sent to clients at the handshake (default `0.1.0`). */
  readonly version?: string;
  /** Serve only the endpoints of these activated proxies (default: every activated proxy). */
  readonly proxies?: readonly string[];
  /** Instructions sent to clients at the handshake, e.g. `runtime.apiCatalog()` (default: none). */
  readonly instructions?: string;
}

/** The name of the tool that returns endpoint docs. */
export const PROXY_MCP_DOCS_TOOL = 'api_docs';

type ServerSdk = {
  Server: typeof Server;
  CallToolRequestSchema: typeof CallToolRequestSchema;
  ListToolsRequestSchema: typeof ListToolsRequestSchema;
};

let serverSdk: Promise<ServerSdk> | undefined;

// The SDK is loaded on first use, so importing @lllm/proxy does not load it (nor ajv, hono, …).
function loadServerSdk(): Promise<ServerSdk> {
  serverSdk ??= Promise.all([import('@modelcontextprotocol/sdk/server/index.js'), import('@modelcontextprotocol/sdk/types.js')]).then(
    ([server, types]) => ({
      Server: server.Server,
      CallToolRequestSchema: types.CallToolRequestSchema,
      ListToolsRequestSchema: types.ListToolsRequestSchema,
    }),
  );
  return serverSdk;
}

const DOCS_INPUT_SCHEMA: Tool['inputSchema'] = {
  type: 'object',
  properties: {
    paths: {
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      description: 'Endpoint paths (proxy/category/endpoint), or a proxy or proxy/category for all of its endpoints.',
    },
  },
  required: ['paths'],
  additionalProperties: false,
};

type ToolTarget = { readonly kind: 'endpoint'; readonly fullPath: string } | { readonly kind: 'docs' };

interface ToolCatalog {
  readonly tools: readonly Tool[];
  readonly targets: ReadonlyMap<string, ToolTarget>;
  readonly served: readonly string[];
}

function catalogFor(runtime: ProxyRuntime, proxies: readonly string[] | undefined): ToolCatalog {
  const activated = runtime.activated();
  if (proxies) {
    const unknown = proxies.filter((proxy) => !activated.includes(proxy));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        `Cannot serve ${unknown.map((proxy) => `"${proxy}"`).join(', ')} over MCP: not activated in this runtime; activated: ${activated.join(', ') || 'none'}.`,
        { argument: 'proxies' },
      );
    }
  }
  const served = proxies ? activated.filter((proxy) => proxies.includes(proxy)) : activated;
  const taken = new Set<string>([PROXY_MCP_DOCS_TOOL]);
  const targets = new Map<string, ToolTarget>();
  const tools: Tool[] = [];
  for (const endpoint of runtime.endpoints(served)) {
    const name = toolNameFor(endpoint.fullPath, taken);
    taken.add(name);
    targets.set(name, { kind: 'endpoint', fullPath: endpoint.fullPath });
    tools.push({
      name,
      title: endpoint.name,
      description: `${endpoint.name}: ${endpoint.description} (${endpoint.fullPath})`,
      inputSchema: { ...endpoint.parameters, type: 'object' },
    });
  }
  targets.set(PROXY_MCP_DOCS_TOOL, { kind: 'docs' });
  tools.push({
    name: PROXY_MCP_DOCS_TOOL,
    title: 'API docs',
    description:
      'Read the documentation of API endpoints: parameters with types, required marks and examples, and an example response. ' +
      `Served proxies: ${served.join(', ') || 'none'}.`,
    inputSchema: DOCS_INPUT_SCHEMA,
  });
  return { tools, targets, served };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function successResult(result: unknown): CallToolResult {
  const text = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return isPlainObject(result) ? { content: [{ type: 'text', text }], structuredContent: result } : { content: [{ type: 'text', text }] };
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

function errorMessage(error: unknown): string {
  if (ProxyError.isInstance(error)) return error.message;
  const message = LllmError.isInstance(error) || error instanceof Error ? error.message : String(error);
  return redactString(message);
}

function docsFor(runtime: ProxyRuntime, served: readonly string[], args: Record<string, unknown>): string {
  const paths = args.paths;
  if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === 'string')) {
    throw new ProxyError(
      `${PROXY_MCP_DOCS_TOOL}: "paths" must be a non-empty list of endpoint paths such as ["proxy/category/endpoint"], got ${JSON.stringify(paths) ?? 'nothing'}.`,
      { kind: 'validation' },
    );
  }
  // Docs of proxies this server does not serve stay hidden, as their tools are.
  return paths
    .map((path) => {
      const proxy = path.trim().replace(/^\/+/, '').split('/')[0] ?? '';
      if (served.includes(proxy)) return runtime.retrieveApiDocs([path]);
      const suggestions = closestMatches(proxy, served);
      return `## ${path}\nNo such endpoint here.${suggestions.length ? ` Did you mean ${suggestions.join(', ')}?` : ''} Served proxies: ${served.join(', ') || 'none'}.`;
    })
    .join('\n\n');
}

/**
 * An MCP server (the SDK's low-level `Server`, not yet connected) whose tools are the runtime's
 * activated endpoints, one per endpoint, named by `toolNameFor` (`weather__forecast__daily`), with
 * the endpoint's JSON schema as input schema; plus `api_docs` (`{ paths }` → `retrieveApiDocs`).
 *
 * A tool call runs `runtime.call` (validation, cutoff date, cache, transform), aborted when the client
 * cancels the request. A result comes back as JSON text (a string result as it is), and also as
 * `structuredContent` when it is a plain object. A failed call (bad arguments, HTTP error, timeout, …)
 * is a tool result with `isError: true` and the `ProxyError` message, so a model can correct itself;
 * an unknown tool name is answered the same way, as the SDK's `McpServer` does.
 *
 * Connect it to any SDK transport: `await server.connect(transport)`. Rejects with an
 * `InvalidArgumentError` when `proxies` names a proxy the runtime has not activated.
 */
export async function createProxyMcpServer(runtime: ProxyRuntime, options: ProxyMcpServerOptions = {}): Promise<Server> {
  const catalog = catalogFor(runtime, options.proxies);
  const sdk = await loadServerSdk();
  const server = new sdk.Server(
    { name: options.name ?? 'lllm-proxy', version: options.version ?? '0.1.0' },
    { capabilities: { tools: {} }, ...(options.instructions ? { instructions: options.instructions } : {}) },
  );
  server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools: [...catalog.tools] }));
  server.setRequestHandler(sdk.CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const target = catalog.targets.get(name);
    if (!target) {
      const suggestions = closestMatches(name, catalog.targets.keys());
      return errorResult(
        `Tool ${name} not found.${suggestions.length ? ` Did you mean ${suggestions.map((candidate) => `"${candidate}"`).join(' or ')}?` : ''} List the tools with tools/list.`,
      );
    }
    try {
      if (target.kind === 'docs') return successResult(docsFor(runtime, catalog.served, args));
      return successResult(await runtime.call(target.fullPath, args, { signal: extra.signal }));
    } catch (error) {
      // A cancelled request gets no answer (the SDK drops it); rethrowing keeps that path.
      if (extra.signal.aborted || AbortError.isInstance(error)) throw error;
      return errorResult(errorMessage(error));
    }
  });
  return server;
}

/** How to serve over stdin/stdout. */
export interface ServeProxyMcpStdioOptions extends ProxyMcpServerOptions {
  /** Where requests are read from (default `process.stdin`). */
  readonly stdin?: Readable;
  /** Where answers are written (default `process.stdout`: nothing else may write to it; log to stderr). */
  readonly stdout?: Writable;
}

/** A proxy MCP server running over stdio. */
export interface ProxyMcpStdioServer extends AsyncDisposable {
  /** The SDK server, for notifications or extra handlers. */
  readonly server: Server;
  /** Settles when the server has closed: by `close()`, or when the client ends stdin. */
  readonly closed: Promise<void>;
  /** Stop serving: close the server and stop reading stdin. */
  close(): Promise<void>;
}

/**
 * Serve the runtime's endpoints as MCP tools over stdin/stdout, for clients that start a command
 * (`{ "command": "node", "args": ["serve-proxies.js"] }`). See `createProxyMcpServer` for the tools.
 * The server closes when the client ends stdin; `closed` settles then. Write logs to stderr: stdout
 * carries the protocol.
 */
export async function serveProxyMcpStdio(runtime: ProxyRuntime, options: ServeProxyMcpStdioOptions = {}): Promise<ProxyMcpStdioServer> {
  const { stdin = process.stdin, stdout = process.stdout, ...serverOptions } = options;
  const server = await createProxyMcpServer(runtime, serverOptions);
  const { StdioServerTransport: Transport } = (await import('@modelcontextprotocol/sdk/server/stdio.js')) as {
    StdioServerTransport: typeof StdioServerTransport;
  };
  const transport = new Transport(stdin, stdout);
  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    if (closing) return closing;
    // Deferred: closing the server closes the transport, whose onclose calls back here.
    closing = Promise.resolve()
      .then(() => server.close())
      .finally(() => {
        stdin.off('end', close);
        markClosed();
      });
    return closing;
  };
  // The SDK's stdio transport does not notice the client going away; end of input means it has.
  stdin.once('end', close);
  transport.onclose = () => {
    void close();
  };
  await server.connect(transport);
  return { server, closed, close, [Symbol.asyncDispose]: close };
}
