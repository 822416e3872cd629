import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError } from '@lllm/core';
import { SandboxError } from '../errors.js';
import type { OriginAllowlist } from './allowlist.js';

/** A request the egress proxy refused. */
export interface RefusedEgress {
  /** The full URL of a plain HTTP request; `host:port` for a tunnel (`CONNECT`: HTTPS, WSS and WS). */
  readonly target: string;
  /** `CONNECT` for a tunnel, else the HTTP method. */
  readonly method: string;
  /** The request's `Sec-Fetch-Dest` (`document`, `image`, `iframe`, `empty`, …) when the browser sent one. */
  readonly fetchDest: string | undefined;
  /** The request's `Sec-Fetch-Mode` (`navigate`, `cors`, `no-cors`, …) when the browser sent one. */
  readonly fetchMode: string | undefined;
}

/** Options for `EgressProxy.start`. */
export interface EgressProxyOptions {
  /** Which destinations may be reached; everything else is refused. */
  readonly allowlist: OriginAllowlist;
  /** Send allowed traffic through this HTTP proxy (`http://host:port`) instead of connecting directly. */
  readonly upstreamProxy?: string;
  /** Called for every refused request. */
  readonly onRefused?: (refused: RefusedEgress) => void;
}

/** Headers that belong to one hop and must not be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** `host:port` of a `CONNECT` (or an upstream proxy), strictly: no user info, path or stray characters. */
function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9.-]+)):(\d{1,5})$/i.exec(authority);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

/** Pipe two streams both ways; when either closes, the other is cut too. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase()),
  );
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    result[name] = value;
  }
  return result;
}

/**
 * The HTTP proxy every request of a `BrowserComputer`'s Chromium goes through (`--proxy-server`,
 * loopback included). It forwards only to destinations the allowlist admits and refuses the rest
 * before any byte leaves: redirect hops, WebSockets, and Chromium's own background traffic (update
 * checks, account and safe-browsing lookups) included. Listens on 127.0.0.1 only.
 */
export class EgressProxy implements AsyncDisposable {
  private readonly sockets = new Set<Duplex>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly options: EgressProxyOptions,
    private readonly upstream: { host: string; port: number } | undefined,
    /** The proxy's address for `--proxy-server`: `http://127.0.0.1:<port>`. */
    readonly url: string,
  ) {}

  /** Start listening on a free port of 127.0.0.1. */
  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    let upstream: { host: string; port: number } | undefined;
    if (options.upstreamProxy !== undefined) {
      const match = /^http:\/\/([^/]+?)\/?$/.exec(options.upstreamProxy);
      upstream = match?.[1] ? parseAuthority(match[1]) : undefined;
      if (!upstream) {
        throw new InvalidArgumentError(
          `upstreamProxy "${options.upstreamProxy}" is not an HTTP proxy address; write it like "http://127.0.0.1:3128".`,
          { argument: 'upstreamProxy' },
        );
      }
    }
    const server = createServer();
    const address = await new Promise<{ port: number }>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server.address() as { port: number }));
    }).catch((error: unknown) => {
      throw new SandboxError(`The browser's egress proxy could not listen on 127.0.0.1: ${(error as Error).message}`, {
        kind: 'browser',
        cause: error,
      });
    });
    const proxy = new EgressProxy(server, options, upstream, `http://127.0.0.1:${address.port}`);
    server.on('connection', (socket: Socket) => proxy.track(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => proxy.onRequest(request, response));
    server.on('connect', (request: IncomingMessage, socket: Duplex, head: Buffer) => proxy.onConnect(request, socket, head));
    server.on('upgrade', (request: IncomingMessage, socket: Duplex) => proxy.onUpgrade(request, socket));
    return proxy;
  }

  /** Stop listening and cut every open connection and tunnel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ——— internals ———

  private track(socket: Duplex): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // A browser that goes away mid-request resets the connection: not the proxy's error.
    socket.on('error', () => socket.destroy());
  }

  private refuse(request: IncomingMessage, target: string): void {
    const dest = request.headers['sec-fetch-dest'];
    const mode = request.headers['sec-fetch-mode'];
    try {
      this.options.onRefused?.({
        target: target.length > 300 ? `${target.slice(0, 300)}…` : target,
        method: request.method ?? 'GET',
        fetchDest: typeof dest === 'string' ? dest : undefined,
        fetchMode: typeof mode === 'string' ? mode : undefined,
      });
    } catch {
      // A throwing listener must neither stop the refusal nor take the process down from an event handler.
    }
  }

  /** A plain HTTP request in absolute form (`GET http://host:port/path`). */
  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    let url: URL | undefined;
    try {
      url = new URL(request.url ?? '');
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'http:') {
      response.writeHead(400, { 'content-type': 'text/plain' }).end('This is a forward proxy: send absolute http:// URLs.\n');
      return;
    }
    if (!this.options.allowlist.allows(url.href)) {
      this.refuse(request, url.href);
      const navigation = request.headers['sec-fetch-mode'] === 'navigate' && request.headers['sec-fetch-dest'] === 'document';
      // "204 No Content" keeps a top-level navigation (e.g. a redirect hop) on the page it came from.
      response
        .writeHead(navigation ? 204 : 403, { 'content-type': 'text/plain', 'x-lllm-blocked': 'allowlist', 'cache-control': 'no-store' })
        .end(navigation ? undefined : `Blocked: ${url.origin} is not in this browser's origin allowlist.\n`);
      return;
    }
    const port = Number(url.port || 80);
    const upstream = this.upstream;
    const outgoing = httpRequest({
      host: upstream ? upstream.host : url.hostname.replace(/^\[|\]$/g, ''),
      port: upstream ? upstream.port : port,
      method: request.method,
      path: upstream ? url.href : `${url.pathname}${url.search}`,
      headers: { ...forwardedHeaders(request.headers), host: url.host },
      agent: false,
    });
    outgoing.on('response', (incoming) => {
      response.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, forwardedHeaders(incoming.headers));
      incoming.pipe(response);
    });
    response.once('close', () => {
      if (!response.writableFinished) outgoing.destroy();
    });
    outgoing.on('error', (error) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(502, { 'content-type': 'text/plain' }).end(`Upstream error: ${error.message}\n`);
    });
    request.pipe(outgoing);
  }

  /** A tunnel (`CONNECT host:port`): HTTPS, WSS, and WS through a proxy. */
  private onConnect(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const authority = request.url ?? '';
    const target = parseAuthority(authority);
    if (!target || !this.options.allowlist.allowsTunnel(authority)) {
      this.refuse(request, authority);
      socket.end('HTTP/1.1 403 Forbidden\r\nX-LLLM-Blocked: allowlist\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.openTunnel(target, authority, (error, remote) => {
      if (error || !remote) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) remote.write(head);
      splice(socket, remote);
    });
  }

  /** A WebSocket upgrade sent to the proxy in absolute form: Chromium tunnels instead, but refuse or forward it the same way. */
  private onUpgrade(request: IncomingMessage, socket: Duplex): void {
    let url: URL | undefined;
    try {
      url = new URL(request.url ?? '');
    } catch {
      url = undefined;
    }
    if (!url || !this.options.allowlist.allows(url.href)) {
      this.refuse(request, url?.href ?? String(request.url));
      socket.end('HTTP/1.1 403 Forbidden\r\nX-LLLM-Blocked: allowlist\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const authority = `${url.hostname}:${url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80)}`;
    const target = parseAuthority(authority);
    if (!target) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.openTunnel(target, authority, (error, remote) => {
      if (error || !remote) {
        socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const headers = Object.entries(request.headers).flatMap(([name, value]) =>
        name === 'proxy-connection' || name === 'proxy-authorization' ? [] : [value].flat().map((item) => `${name}: ${item}`),
      );
      remote.write(`${request.method} ${url.pathname}${url.search} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      splice(socket, remote);
    });
  }

  /** A TCP stream to `target`: direct, or through the upstream proxy's own `CONNECT`. */
  private openTunnel(
    target: { host: string; port: number },
    authority: string,
    done: (error: Error | undefined, remote?: Socket) => void,
  ): void {
    const upstream = this.upstream;
    let settled = false;
    const settle = (error: Error | undefined, socket?: Socket) => {
      if (settled) return;
      settled = true;
      done(error, socket);
    };
    const remote = connect(upstream ?? target);
    this.track(remote);
    remote.once('error', (error) => settle(error));
    remote.once('connect', () => {
      if (!upstream) {
        settle(undefined, remote);
        return;
      }
      remote.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
      let buffered = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buffered.length > 16_384) remote.destroy(new Error('upstream proxy sent an oversized response head'));
          return;
        }
        remote.off('data', onData);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(buffered.subarray(0, end).toString('latin1'))?.[1];
        if (status !== '200') {
          remote.destroy();
          settle(new Error(`upstream proxy answered CONNECT with ${status ?? 'garbage'}`));
          return;
        }
        const rest = buffered.subarray(end + 4);
        if (rest.length > 0) remote.unshift(rest);
        settle(undefined, remote);
      };
      remote.on('data', onData);
    });
  }
}
