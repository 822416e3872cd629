import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { InvalidArgumentError, redactString } from '@lllm/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { ProxyRuntime } from '../runtime.js';
import { createProxyMcpServer, type ProxyMcpServerOptions } from './serve.js';

/** How to serve over Streamable HTTP. */
export interface ServeProxyMcpHttpOptions extends ProxyMcpServerOptions {
  /** Port (default: a free one; read it from `url`). */
  readonly port?: number;
  /**
   * A loopback interface to bind: `127.0.0.1` (default), another `127.x.x.x`, `::1` or `localhost`.
   * The server has no authentication, so it never listens on other interfaces.
   */
  readonly host?: string;
  /** The MCP endpoint's path (default `/mcp`). */
  readonly path?: string;
  /** Largest request body accepted (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /**
   * Most sessions open at once (default 64). Past it an `initialize` request is answered 503 with
   * `retry-after`, until a client ends its session (`DELETE`) or one expires.
   */
  readonly maxSessions?: number;
  /**
   * A session with no request for this long is ended (default 30 minutes); its client starts a new one
   * when it comes back (an unknown session id is answered 404). A request still being answered, such
   * as an open `GET` stream, keeps its session alive.
   */
  readonly sessionIdleMs?: number;
}

/** A proxy MCP server running over Streamable HTTP. */
export interface ProxyMcpHttpServer extends AsyncDisposable {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`: give it to clients. */
  readonly url: string;
  /** Sessions open now (each has its own SDK server and transport). */
  readonly sessions: number;
  /** End every session (open streams are closed) and stop listening; new connections are refused. */
  close(): Promise<void>;
}

type HttpSdk = {
  StreamableHTTPServerTransport: typeof StreamableHTTPServerTransport;
  isInitializeRequest: typeof isInitializeRequest;
};

let httpSdk: Promise<HttpSdk> | undefined;

function loadHttpSdk(): Promise<HttpSdk> {
  httpSdk ??= Promise.all([
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/types.js'),
  ]).then(([http, types]) => ({
    StreamableHTTPServerTransport: http.StreamableHTTPServerTransport,
    isInitializeRequest: types.isInitializeRequest,
  }));
  return httpSdk;
}

interface Session {
  readonly server: Server;
  readonly transport: StreamableHTTPServerTransport;
  /** Requests of this session still being answered. */
  active: number;
  /** Ends the session when it stays idle; refreshed when its last request is answered. */
  idle?: NodeJS.Timeout;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

function hostnameOf(value: string): string | undefined {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

function sendProblem(response: ServerResponse, problem: HttpProblem, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) {
    response.destroy();
    return;
  }
  const text = JSON.stringify({ jsonrpc: '2.0', error: { code: problem.code, message: problem.message }, id: null });
  response.writeHead(problem.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function readJson(request: IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new HttpProblem(413, -32600, `The request body is over ${maxBytes} bytes.`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        reject(new HttpProblem(400, -32700, 'Parse error: the request body is not JSON.'));
      }
    });
    request.on('error', reject);
  });
}

/**
 * Serve the runtime's endpoints as MCP tools over Streamable HTTP on a loopback interface
 * (`http://127.0.0.1:<port>/mcp`). See `createProxyMcpServer` for the tools.
 *
 * Sessions are stateful: an `initialize` request opens one (a new server and transport, its id in
 * the `mcp-session-id` header), later requests carry that id, an unknown id is answered 404 (the
 * client starts a new session) and `DELETE` ends it. Requests whose `Host` or `Origin` is not a
 * loopback name are refused (403), so a web page cannot reach the server by DNS rebinding. At most
 * `maxSessions` are open at once (past it: 503 with `retry-after`), and a session idle for
 * `sessionIdleMs` is ended.
 * Rejects with an `InvalidArgumentError` for a host other than a loopback interface.
 */
export async function serveProxyMcpHttp(runtime: ProxyRuntime, options: ServeProxyMcpHttpOptions = {}): Promise<ProxyMcpHttpServer> {
  const {
    port = 0,
    host = '127.0.0.1',
    path = '/mcp',
    maxBodyBytes = 4 * 1024 * 1024,
    maxSessions = 64,
    sessionIdleMs = 30 * 60 * 1000,
    ...serverOptions
  } = options;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) {
    throw new InvalidArgumentError(
      `serveProxyMcpHttp: maxSessions ${JSON.stringify(maxSessions)} must be a whole number of at least 1, e.g. 64.`,
      { argument: 'maxSessions' },
    );
  }
  if (!(typeof sessionIdleMs === 'number' && Number.isFinite(sessionIdleMs) && sessionIdleMs > 0)) {
    throw new InvalidArgumentError(
      `serveProxyMcpHttp: sessionIdleMs ${JSON.stringify(sessionIdleMs)} must be a positive number of milliseconds, e.g. 1800000 (30 minutes).`,
      { argument: 'sessionIdleMs' },
    );
  }
  if (!isLoopback(host)) {
    throw new InvalidArgumentError(
      `serveProxyMcpHttp: host ${JSON.stringify(host)} is not a loopback interface. The MCP server has no authentication, so it only listens on 127.0.0.1, ::1 or localhost; put a reverse proxy with authentication in front to reach it from elsewhere.`,
      { argument: 'host' },
    );
  }
  if (!path.startsWith('/')) {
    throw new InvalidArgumentError(`serveProxyMcpHttp: path ${JSON.stringify(path)} must start with "/", e.g. "/mcp".`, {
      argument: 'path',
    });
  }
  // Build one server up front: a bad `proxies` option fails here, not at the first client.
  await (await createProxyMcpServer(runtime, serverOptions)).close();
  const sdk = await loadHttpSdk();
  const sessions = new Map<string, Session>();
  // Sessions whose initialize request is still being answered (no id yet).
  const opening = new Set<Session>();
  let closing: Promise<void> | undefined;

  const checkOrigin = (request: IncomingMessage) => {
    const hostHeader = request.headers.host;
    const hostname = hostHeader ? hostnameOf(hostHeader) : undefined;
    if (!hostname || !isLoopback(hostname)) {
      throw new HttpProblem(403, -32000, `Forbidden: Host ${JSON.stringify(hostHeader ?? '')} is not a loopback name.`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const originHost = hostnameOf(origin);
      if (!originHost || !isLoopback(originHost))
        throw new HttpProblem(403, -32000, `Forbidden: Origin ${JSON.stringify(origin)} is not allowed.`);
    }
  };

  const expire = (session: Session) => {
    if (session.active > 0) return;
    void session.server.close().catch(() => {});
  };
  /** Count a request against its session while it is answered; the idle clock starts when none is left. */
  const track = (session: Session, response: ServerResponse) => {
    session.active += 1;
    if (session.idle) clearTimeout(session.idle);
    response.once('close', () => {
      session.active -= 1;
      if (session.active > 0 || closing) return;
      session.idle = setTimeout(() => expire(session), sessionIdleMs);
      session.idle.unref();
    });
  };

  const openSession = async (request: IncomingMessage, response: ServerResponse, body: unknown) => {
    if (sessions.size + opening.size >= maxSessions) {
      throw new HttpProblem(
        503,
        -32000,
        `Too many sessions: ${maxSessions} are open (maxSessions). End one with DELETE, wait for an idle one to expire, or raise maxSessions.`,
      );
    }
    const server = await createProxyMcpServer(runtime, serverOptions);
    const transport: StreamableHTTPServerTransport = new sdk.StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, session);
        opening.delete(session);
      },
    });
    const session: Session = { server, transport, active: 0 };
    // Runs on DELETE, on close(), on expiry and on a transport fault; the SDK server then lets go of the transport.
    transport.onclose = () => {
      if (session.idle) clearTimeout(session.idle);
      opening.delete(session);
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    opening.add(session);
    track(session, response);
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
    if (!transport.sessionId) {
      opening.delete(session);
      await server.close();
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) throw new HttpProblem(404, -32601, `No MCP endpoint at ${url.pathname}; it is at ${path}.`);
    checkOrigin(request);
    if (closing) throw new HttpProblem(503, -32000, 'The server is shutting down.');
    const method = request.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      throw new HttpProblem(405, -32000, `Method ${method} is not allowed; use POST, GET or DELETE.`);
    }
    const header = request.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? header[0] : header;
    const body = method === 'POST' ? await readJson(request, maxBodyBytes) : undefined;
    if (sessionId) {
      const session = sessions.get(sessionId);
      if (!session) throw new HttpProblem(404, -32001, 'Session not found: start a new session with an initialize request.');
      track(session, response);
      await session.transport.handleRequest(request, response, body);
      return;
    }
    if (method === 'POST' && sdk.isInitializeRequest(body)) {
      await openSession(request, response, body);
      return;
    }
    throw new HttpProblem(400, -32000, 'Bad Request: no mcp-session-id header; send an initialize request first.');
  };

  const listener = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const problem =
        error instanceof HttpProblem
          ? error
          : new HttpProblem(500, -32603, `Internal error: ${redactString((error as Error)?.message ?? String(error))}`);
      const headers: Record<string, string> =
        problem.status === 405 ? { allow: 'POST, GET, DELETE' } : problem.status === 503 && !closing ? { 'retry-after': '1' } : {};
      sendProblem(response, problem, headers);
    });
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(port, host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('The MCP HTTP server has no TCP address.');
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
      const open = [...sessions.values(), ...opening];
      for (const session of open) if (session.idle) clearTimeout(session.idle);
      sessions.clear();
      opening.clear();
      await Promise.allSettled(open.map((session) => session.server.close()));
      listener.closeAllConnections();
      await stopped;
    })();
    return closing;
  };

  return {
    url: `http://${urlHost}:${address.port}${path}`,
    get sessions() {
      return sessions.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
