import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { ConfigError, type LogStore, NotFoundError, redactSecrets } from '@lllm/core';
import { codeOf, messageOf } from './errors.js';
import { ReplaySession } from './replay.js';
import { type LogFilter, searchLog } from './search.js';
import { VIEWER_PAGE } from './viewer-page.js';

/** Options of the replay viewer. */
export interface ReplayViewerOptions {
  readonly store: LogStore;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`: the viewer is local only. A host that is not loopback needs `allowNonLoopback`. */
  readonly host?: string;
  /**
   * Serve on a host that is not loopback (`0.0.0.0`, a LAN address). Every transcript becomes
   * reachable from the network, guarded by the token alone; off by default.
   */
  readonly allowNonLoopback?: boolean;
  /** The access token every request must carry (default: 32 random bytes, base64url). */
  readonly token?: string;
}

/** A running replay viewer. */
export interface ReplayViewer extends AsyncDisposable {
  /** The page's address, with the token: open this one. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  /** The access token. */
  readonly token: string;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * Serve a local web page listing logged sessions and showing one as a timeline: its dialog tree
 * (forks and pruned branches), messages with collapsible pruned attempts, tool calls, and a
 * cost, tokens and latency summary per agent, filters, and full-text search. JSON at `/api/sessions`,
 * `/api/sessions/<name>` and `/api/search?q=…` (with the filters of `LogFilter` as parameters).
 *
 * Transcripts are private, so the viewer binds to loopback only (unless `allowNonLoopback`), every
 * request needs the random token of `url` (as `?token=`, then a cookie the first visit sets, or an
 * `Authorization: Bearer` header; compared in constant time), and a request naming a foreign `Host`
 * or `Origin` (DNS rebinding, another site's page) gets 403. What it serves is redacted of secrets.
 */
export async function serveReplayViewer(options: ReplayViewerOptions): Promise<ReplayViewer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.allowNonLoopback !== true) {
    throw new ConfigError(
      `The replay viewer serves private transcripts and binds to loopback only; host ${JSON.stringify(host)} is not loopback. Use 127.0.0.1, or pass allowNonLoopback: true to expose it to the network (the token is still required).`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`The replay viewer port must be an integer from 0 to 65535, got ${JSON.stringify(port)}. Use 0 for a free port.`);
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  if (token.length < 16) throw new ConfigError('The replay viewer token must be at least 16 characters: leave it out for a random one.');
  const tokenDigest = digest(token);
  const hostInUrl = isIP(host) === 6 ? `[${host}]` : host;
  // Filled in once the port is known.
  const allowedHosts = new Set<string>();
  let cookieName = 'lllm_replay';

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        ...headers,
      });
      response.end(body);
    };
    const json = (status: number, value: unknown) => send(status, 'application/json', JSON.stringify(redactSecrets(value)));
    // A page on another site reaching this port through DNS rebinding names its own host; a page on
    // another origin sends its Origin. Neither gets anything.
    const hostHeader = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader))
      return send(403, 'text/plain; charset=utf-8', `Forbidden: Host ${JSON.stringify(hostHeader)} is not this viewer.`);
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedHosts.has(origin.toLowerCase().replace(/^http:\/\//, '')))
      return send(403, 'text/plain; charset=utf-8', 'Forbidden: requests from other origins are refused.');
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const queryToken = url.searchParams.get('token') ?? undefined;
    const given = queryToken ?? bearer ?? cookieValue(request, cookieName);
    if (given === undefined || !timingSafeEqual(digest(given), tokenDigest)) {
      return send(
        401,
        'text/plain; charset=utf-8',
        'This replay viewer needs its token: open the URL lllm printed (it ends with ?token=…).',
      );
    }
    if (queryToken !== undefined && request.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      // Keep the token out of the address bar and history: a cookie carries it from now on.
      url.searchParams.delete('token');
      return send(303, 'text/plain; charset=utf-8', '', {
        'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
      });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Only GET is served.');
    void (async () => {
      if (url.pathname === '/' || url.pathname === '/index.html') return send(200, 'text/html; charset=utf-8', VIEWER_PAGE);
      if (url.pathname === '/api/sessions') {
        const prefix = url.searchParams.get('prefix') ?? undefined;
        const requested = Number(url.searchParams.get('limit') ?? 200);
        const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 10_000) : 200;
        return json(200, await options.store.sessions({ ...(prefix ? { prefix } : {}), limit }));
      }
      if (url.pathname === '/api/search') {
        const query = url.searchParams.get('q') ?? '';
        const filter: Record<string, string | boolean> = {};
        for (const key of ['session', 'agent', 'role', 'prompt', 'tool', 'error'] as const) {
          const value = url.searchParams.get(key);
          if (value) filter[key] = value;
        }
        const pruned = url.searchParams.get('pruned');
        if (pruned === 'true' || pruned === 'false') filter.pruned = pruned === 'true';
        const requested = Number(url.searchParams.get('limit') ?? 50);
        try {
          return json(
            200,
            await searchLog(options.store, query, { ...(filter as LogFilter), limit: Number.isInteger(requested) ? requested : 50 }),
          );
        } catch (error) {
          if (ConfigError.isInstance(error)) return json(400, { error: error.message });
          throw error;
        }
      }
      const match = /^\/api\/sessions\/(.+)$/.exec(url.pathname);
      if (match?.[1]) {
        let name: string;
        try {
          name = decodeURIComponent(match[1]);
        } catch {
          return json(400, { error: `Session name ${JSON.stringify(match[1])} is not valid percent-encoding.` });
        }
        try {
          const replay = await ReplaySession.load(options.store, name);
          return json(200, replay.toJSON());
        } catch (error) {
          if (NotFoundError.isInstance(error)) return json(404, { error: error.message });
          throw error;
        }
      }
      send(404, 'text/plain; charset=utf-8', 'Not found');
    })().catch((error: unknown) => json(500, { error: messageOf(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      const code = codeOf(error);
      reject(
        code === 'EADDRINUSE'
          ? new ConfigError(`Port ${port} on ${host} is already in use: choose another with --port, or --port 0 for a free one.`, {
              cause: error,
            })
          : code === 'EACCES' || code === 'EPERM'
            ? new ConfigError(
                `Port ${port} on ${host} needs privileges this process lacks: choose a port above 1023, or 0 for a free one.`,
                {
                  cause: error,
                },
              )
            : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
              ? new ConfigError(`Host ${JSON.stringify(host)} is not an address of this machine: use 127.0.0.1.`, { cause: error })
              : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  for (const name of [hostInUrl, '127.0.0.1', 'localhost', '[::1]']) {
    if (name === hostInUrl || isLoopback(host)) allowedHosts.add(`${name.toLowerCase()}:${address.port}`);
  }
  cookieName = `lllm_replay_${address.port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const origin = `http://${hostInUrl}:${address.port}`;
  return { url: `${origin}/?token=${token}`, origin, token, close, [Symbol.asyncDispose]: close };
}
