import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { AbortError, InvalidArgumentError, LllmError, redactString, registerSecret } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import { type Cutoff, parseCutoff } from './cutoff.js';
import { ProxyError, type ProxyErrorKind } from './errors.js';
import type { ProxyRuntime } from './runtime.js';

/** How to serve the bridge. */
export interface ServeProxyOptions {
  /** Port (default: a free one). */
  readonly port?: number;
  /**
   * Interface to bind (default `127.0.0.1`: only this machine). Another loopback address (`127.x.x.x`,
   * `::1`, `localhost`) is fine; anything else needs `allowNonLoopback`.
   */
  readonly host?: string;
  /**
   * Bind a host that is not a loopback interface (`0.0.0.0`, a LAN address): every machine that can
   * reach the port can then call the bridge, guarded by the bearer token only. Off by default; without
   * it such a host is refused with an `InvalidArgumentError`.
   */
  readonly allowNonLoopback?: boolean;
  /** Bearer token clients must send (default: 32 random bytes, hex). */
  readonly token?: string;
  /** Largest request body accepted (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

/** What a session token may reach, fixed when it is created. */
export interface BridgeSessionOptions {
  /** A name for the session in error messages (e.g. the sandbox session id). Default: none. */
  readonly label?: string;
  /**
   * Proxies the token may call, each activated in the runtime. Empty or absent: every proxy the
   * runtime activated. A request can narrow this further, never widen it.
   */
  readonly proxies?: readonly string[];
  /**
   * Data cutoff for the token (`YYYY-MM-DD`, an ISO timestamp or a `Date`); the runtime's own cutoff
   * still applies when it is earlier. A request can move it earlier, never later.
   */
  readonly cutoffDate?: string | Date | null;
  /** How long the token is valid, in milliseconds. Default: until `revoke()` or the bridge closes. */
  readonly ttlMs?: number;
}

/**
 * A token bound to one sandbox session: its proxies and cutoff are held by the bridge, not sent by
 * the client, so code holding this token can reach nothing else. `{ url, token }` is what a kernel gets.
 */
export interface BridgeSession {
  /** The bridge's URL (same as `ProxyBridge.url`). */
  readonly url: string;
  /** The session's bearer token (registered as a secret). */
  readonly token: string;
  /** The label given at creation. */
  readonly label: string | undefined;
  /** The proxies the token may call; empty means every proxy the runtime activated. */
  readonly proxies: readonly string[];
  /** The session's cutoff (ISO), or null. */
  readonly cutoffDate: string | null;
  /** When the token stops working, if it has a lifetime. */
  readonly expiresAt: Date | undefined;
  /** Calls made with this token so far. */
  readonly calls: number;
  /** Whether the token still works (not revoked, not expired, bridge open). */
  readonly active: boolean;
  /** End the token now: later requests with it get 401. */
  revoke(): void;
}

/**
 * A running bridge. Its own `token` is the master token: it reaches every activated proxy and is for
 * this process only. Give each sandbox session a token of its own from `createSession()` (a
 * `JupyterSandbox` does so by itself when handed the bridge), so a kernel never holds the master token.
 */
export interface ProxyBridge extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`; `CALL_API` posts to `<url>/call`. */
  readonly url: string;
  /** The master token (registered as a secret). Never hand it to code you do not trust. */
  readonly token: string;
  /** Calls served so far (successful or not). */
  readonly calls: number;
  /**
   * A token bound server-side to `options.proxies` and `options.cutoffDate`: a request made with it
   * reaches only those proxies and data up to that cutoff, whatever its body says.
   */
  createSession(options?: BridgeSessionOptions): BridgeSession;
  close(): Promise<void>;
}

const STATUS: Record<ProxyErrorKind, number> = {
  validation: 400,
  not_found: 404,
  not_activated: 403,
  missing_key: 503,
  http: 502,
  api: 502,
  timeout: 504,
  connection: 502,
  response: 502,
  mcp: 502,
};

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: string,
  ) {
    super(message);
  }
}

/** What one request may reach: the master token's grant is everything the runtime activated. */
interface Grant {
  /** The session, for session tokens. */
  readonly session: SessionRecord | undefined;
  /** Allowed proxies; undefined means every activated proxy. */
  readonly proxies: readonly string[] | undefined;
  /** The session's cutoff, if any. */
  readonly cutoff: Cutoff | undefined;
}

interface SessionRecord {
  readonly label: string | undefined;
  readonly proxies: readonly string[];
  readonly cutoff: Cutoff | undefined;
  readonly expiresAtMs: number | undefined;
  revoked: boolean;
  calls: number;
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The path as the runtime reads it (trimmed, no outer slashes), and its proxy name. */
function splitPath(raw: string): { path: string; proxyName: string } {
  const path = raw.trim().replace(/^\/+|\/+$/g, '');
  const slash = path.indexOf('/');
  return { path, proxyName: slash < 0 ? path : path.slice(0, slash) };
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

function describeSession(record: SessionRecord): string {
  return record.label === undefined ? 'this session' : `session "${record.label}"`;
}

/**
 * Serve a proxy runtime over HTTP for code that runs elsewhere (a Jupyter kernel's `CALL_API`).
 * `POST /call` takes `{ path, params, proxies?, cutoffDate? }` with `Authorization: Bearer <token>`
 * and answers `{ result }`, or `{ error: { message, kind } }` with a status that fits the failure.
 *
 * A session token (`createSession()`) carries its proxies and cutoff on the server: the body's
 * `proxies` and `cutoffDate` can only narrow them further, and a body without them gets the
 * session's. The master token reaches everything the runtime activated (the body may narrow it).
 * `POST /docs` takes `{ paths }` and answers `{ result: <markdown> }`; `GET /endpoints` lists the
 * paths the token may call; `GET /health` needs no token. A wrong, revoked or expired token gets 401.
 */
export async function serveProxy(runtime: ProxyRuntime, options: ServeProxyOptions = {}): Promise<ProxyBridge> {
  const bindHost = options.host ?? '127.0.0.1';
  if (!options.allowNonLoopback && !isLoopbackHost(bindHost)) {
    throw new InvalidArgumentError(
      `serveProxy: host ${JSON.stringify(bindHost)} is not a loopback interface, so every machine that can reach the port could call the proxies with only the token in the way. Use 127.0.0.1 (the default), or pass allowNonLoopback: true if that is what you want.`,
      { argument: 'host' },
    );
  }
  const token = options.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new ProxyError('The bridge token must be at least 16 characters.', { kind: 'validation' });
  registerSecret(token);
  const expected = Buffer.from(`Bearer ${token}`);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const sessions = new Map<string, SessionRecord>();
  let calls = 0;
  let closed = false;

  const unauthorised = () =>
    new HttpProblem(
      401,
      'Missing or wrong bridge token: send Authorization: Bearer <token> with the token of this session (ProxyBridge.createSession()).',
      'unauthorized',
    );

  const authorise = (request: IncomingMessage): Grant => {
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header);
    if (given.length === expected.length && timingSafeEqual(given, expected)) {
      return { session: undefined, proxies: undefined, cutoff: undefined };
    }
    const match = /^Bearer (\S+)$/.exec(header);
    const record = match?.[1] === undefined ? undefined : sessions.get(tokenKey(match[1]));
    if (!record || record.revoked) throw unauthorised();
    if (record.expiresAtMs !== undefined && Date.now() >= record.expiresAtMs) {
      throw new HttpProblem(
        401,
        `The bridge token of ${describeSession(record)} expired at ${new Date(record.expiresAtMs).toISOString()}; create a new one with ProxyBridge.createSession().`,
        'expired',
      );
    }
    return { session: record, proxies: record.proxies.length > 0 ? record.proxies : undefined, cutoff: record.cutoff };
  };

  /** Refuse a proxy outside the grant or the request's own narrowing. */
  const checkProxy = (grant: Grant, proxyName: string, narrowed: readonly string[] | undefined) => {
    if (grant.proxies && !grant.proxies.includes(proxyName)) {
      throw new HttpProblem(
        403,
        `Proxy "${proxyName}" is not activated for ${grant.session ? describeSession(grant.session) : 'this session'}; activated: ${grant.proxies.join(', ')}.`,
        'not_activated',
      );
    }
    if (narrowed && narrowed.length > 0 && !narrowed.includes(proxyName)) {
      throw new HttpProblem(
        403,
        `Proxy "${proxyName}" is not activated for this session; activated: ${narrowed.join(', ')}.`,
        'not_activated',
      );
    }
  };

  const readJson = (request: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          // Read to the end and dropped, then answered 413: closing the connection while the client is
          // still sending resets it, and the client never sees the answer. A client that keeps sending
          // far past the limit is cut off.
          tooLarge = true;
          chunks.length = 0;
          if (size > maxBody * 16 + 1024 * 1024) {
            reject(new HttpProblem(413, `The request body is over ${maxBody} bytes.`, 'validation'));
            request.destroy();
          }
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => {
        if (tooLarge) return reject(new HttpProblem(413, `The request body is over ${maxBody} bytes.`, 'validation'));
        try {
          const value = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
          if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
          resolve(value as Record<string, unknown>);
        } catch {
          reject(
            new HttpProblem(
              400,
              'The request body must be a JSON object such as {"path": "proxy/category/endpoint", "params": {}}.',
              'validation',
            ),
          );
        }
      });
      request.on('error', reject);
    });

  const send = (response: ServerResponse, status: number, body: unknown) => {
    if (response.writableEnded || response.destroyed) return;
    const text = JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    response.end(text);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://bridge');
    if (request.method === 'GET' && url.pathname === '/health') {
      // Without a valid token: only that the bridge is up, not what it serves.
      let grant: Grant | undefined;
      try {
        grant = request.headers.authorization ? authorise(request) : undefined;
      } catch {
        grant = undefined;
      }
      return send(response, 200, grant ? { ok: true, proxies: grant.proxies ?? runtime.activated() } : { ok: true });
    }
    const grant = authorise(request);
    if (request.method === 'GET' && url.pathname === '/endpoints') {
      return send(response, 200, {
        result: runtime
          .endpoints(grant.proxies)
          .map((endpoint) => ({ path: endpoint.fullPath, name: endpoint.name, description: endpoint.description })),
      });
    }
    if (request.method === 'POST' && url.pathname === '/docs') {
      const body = await readJson(request);
      const paths = body.paths;
      if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string'))
        throw new HttpProblem(400, '"paths" must be a list of endpoint paths.', 'validation');
      for (const path of paths as string[]) checkProxy(grant, splitPath(path).proxyName, undefined);
      return send(response, 200, { result: runtime.retrieveApiDocs(paths as string[]) });
    }
    if (request.method !== 'POST' || url.pathname !== '/call')
      throw new HttpProblem(404, `No route ${request.method} ${url.pathname}: use POST /call, POST /docs or GET /endpoints.`, 'not_found');
    const body = await readJson(request);
    calls += 1;
    if (grant.session) grant.session.calls += 1;
    if (typeof body.path !== 'string' || !body.path.trim())
      throw new HttpProblem(400, '"path" must be an endpoint path such as "proxy/category/endpoint".', 'validation');
    const { path, proxyName } = splitPath(body.path);
    const params = body.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new HttpProblem(400, '"params" must be an object of named parameters.', 'validation');
    if (body.proxies !== undefined && body.proxies !== null) {
      if (!Array.isArray(body.proxies) || !body.proxies.every((name) => typeof name === 'string'))
        throw new HttpProblem(400, '"proxies" must be a list of proxy names.', 'validation');
    }
    checkProxy(grant, proxyName, (body.proxies as string[] | null | undefined) ?? undefined);
    if (body.cutoffDate !== undefined && body.cutoffDate !== null && typeof body.cutoffDate !== 'string') {
      throw new HttpProblem(400, '"cutoffDate" must be a date string such as "2024-06-30".', 'validation');
    }
    // The earlier of the session's cutoff and the request's; the runtime keeps its own if earlier still.
    const requested = typeof body.cutoffDate === 'string' ? parseCutoff(body.cutoffDate) : undefined;
    const cutoff = grant.cutoff && (!requested || grant.cutoff.beforeMs < requested.beforeMs) ? grant.cutoff : requested;
    // The client going away (a kernel interrupt) aborts the upstream call.
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableEnded) controller.abort(new AbortError('The bridge client disconnected.'));
    });
    const result = await runtime.call(path, params as Record<string, unknown>, {
      signal: controller.signal,
      ...(cutoff ? { cutoffDate: cutoff.iso } : {}),
    });
    send(response, 200, { result: result === undefined ? null : result });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpProblem) return send(response, error.status, { error: { message: error.message, kind: error.kind } });
      if (ProxyError.isInstance(error)) {
        return send(response, STATUS[error.kind] ?? 500, {
          error: { message: redactString(error.message), kind: error.kind, path: error.path ?? null, suggestions: error.suggestions },
        });
      }
      if (AbortError.isInstance(error)) return send(response, 499, { error: { message: error.message, kind: 'aborted' } });
      const message = LllmError.isInstance(error) || error instanceof Error ? error.message : String(error);
      send(response, 400, { error: { message: redactString(message), kind: 'invalid' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const bridgeUrl = `http://${host}:${address.port}`;

  const createSession = (sessionOptions: BridgeSessionOptions = {}): BridgeSession => {
    if (closed) throw new ProxyError('This proxy bridge is closed; start a new one with serveProxy().', { kind: 'validation' });
    const activated = runtime.activated();
    const proxies = [...new Set(sessionOptions.proxies ?? [])];
    for (const name of proxies) {
      if (!activated.includes(name)) {
        const suggestions = closestMatches(name, activated);
        throw new ProxyError(
          `Proxy "${name}" is not activated in the bridge's runtime, so a session cannot be given it${suggestions.length > 0 ? ` (did you mean ${suggestions.map((candidate) => `"${candidate}"`).join(', ')}?)` : ''}; activated: ${activated.join(', ') || 'none'}.`,
          { kind: 'not_activated', suggestions },
        );
      }
    }
    const ttlMs = sessionOptions.ttlMs;
    if (ttlMs !== undefined && !(ttlMs > 0 && Number.isFinite(ttlMs))) {
      throw new ProxyError(
        `ttlMs must be a positive number of milliseconds, got ${ttlMs}; leave it out for a token that lives until revoked.`,
        {
          kind: 'validation',
        },
      );
    }
    const cutoff = sessionOptions.cutoffDate ? parseCutoff(sessionOptions.cutoffDate) : undefined;
    const sessionToken = randomBytes(32).toString('hex');
    registerSecret(sessionToken);
    const record: SessionRecord = {
      label: sessionOptions.label,
      proxies,
      cutoff,
      expiresAtMs: ttlMs === undefined ? undefined : Date.now() + ttlMs,
      revoked: false,
      calls: 0,
    };
    const key = tokenKey(sessionToken);
    sessions.set(key, record);
    return {
      url: bridgeUrl,
      token: sessionToken,
      label: record.label,
      proxies: [...proxies],
      cutoffDate: cutoff?.iso ?? null,
      expiresAt: record.expiresAtMs === undefined ? undefined : new Date(record.expiresAtMs),
      get calls() {
        return record.calls;
      },
      get active() {
        return !closed && !record.revoked && (record.expiresAtMs === undefined || Date.now() < record.expiresAtMs);
      },
      revoke() {
        record.revoked = true;
        sessions.delete(key);
      },
    };
  };

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      for (const record of sessions.values()) record.revoked = true;
      sessions.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    url: bridgeUrl,
    token,
    get calls() {
      return calls;
    },
    createSession,
    close,
    [Symbol.asyncDispose]: close,
  };
}
