import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AbortError, LllmError, redactString } from '@lllm/core';
import { ProxyError, type ProxyErrorKind } from './errors.js';
import type { ProxyRuntime } from './runtime.js';

/** How to serve the bridge. */
export interface ServeProxyOptions {
  /** Port (default: a free one). */
  readonly port?: number;
  /** Interface to bind (default `127.0.0.1`: only this machine). */
  readonly host?: string;
  /** Bearer token clients must send (default: 32 random bytes, hex). */
  readonly token?: string;
  /** Largest request body accepted (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

/** A running bridge: hand `{ url, token }` to a sandbox session. */
export interface ProxyBridge extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`; `CALL_API` posts to `<url>/call`. */
  readonly url: string;
  readonly token: string;
  /** Calls served so far (successful or not). */
  readonly calls: number;
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

/**
 * Serve a proxy runtime over HTTP for code that runs elsewhere (a Jupyter kernel's `CALL_API`).
 * `POST /call` takes `{ path, params, proxies?, cutoffDate? }` with `Authorization: Bearer <token>`
 * and answers `{ result }`, or `{ error: { message, kind } }` with a status that fits the failure.
 * `proxies` can only narrow what the runtime activated, and `cutoffDate` can only move the cutoff
 * earlier. `POST /docs` takes `{ paths }` and answers `{ result: <markdown> }`; `GET /endpoints` lists
 * the paths; `GET /health` needs no token.
 */
export async function serveProxy(runtime: ProxyRuntime, options: ServeProxyOptions = {}): Promise<ProxyBridge> {
  const token = options.token ?? randomBytes(32).toString('hex');
  if (token.length < 16) throw new ProxyError('The bridge token must be at least 16 characters.', { kind: 'validation' });
  const expected = Buffer.from(`Bearer ${token}`);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  let calls = 0;

  const authorised = (request: IncomingMessage) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const readJson = (request: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBody) {
          reject(new HttpProblem(413, `The request body is over ${maxBody} bytes.`, 'validation'));
          request.destroy();
          return;
        }
        chunks.push(chunk);
      });
      request.on('end', () => {
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
    if (request.method === 'GET' && url.pathname === '/health') return send(response, 200, { ok: true, proxies: runtime.activated() });
    if (!authorised(request))
      throw new HttpProblem(
        401,
        'Missing or wrong bridge token: send Authorization: Bearer <token> as serveProxy() returned it.',
        'unauthorized',
      );
    if (request.method === 'GET' && url.pathname === '/endpoints') {
      return send(response, 200, {
        result: runtime
          .endpoints()
          .map((endpoint) => ({ path: endpoint.fullPath, name: endpoint.name, description: endpoint.description })),
      });
    }
    if (request.method === 'POST' && url.pathname === '/docs') {
      const body = await readJson(request);
      const paths = body.paths;
      if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string'))
        throw new HttpProblem(400, '"paths" must be a list of endpoint paths.', 'validation');
      return send(response, 200, { result: runtime.retrieveApiDocs(paths as string[]) });
    }
    if (request.method !== 'POST' || url.pathname !== '/call')
      throw new HttpProblem(404, `No route ${request.method} ${url.pathname}: use POST /call, POST /docs or GET /endpoints.`, 'not_found');
    const body = await readJson(request);
    calls += 1;
    const path = body.path;
    if (typeof path !== 'string' || !path)
      throw new HttpProblem(400, '"path" must be an endpoint path such as "proxy/category/endpoint".', 'validation');
    const params = body.params ?? {};
    if (typeof params !== 'object' || params === null || Array.isArray(params))
      throw new HttpProblem(400, '"params" must be an object of named parameters.', 'validation');
    if (body.proxies !== undefined) {
      if (!Array.isArray(body.proxies)) throw new HttpProblem(400, '"proxies" must be a list of proxy names.', 'validation');
      const proxyName = path.split('/')[0] ?? '';
      if (body.proxies.length > 0 && !body.proxies.includes(proxyName)) {
        throw new HttpProblem(
          403,
          `Proxy "${proxyName}" is not activated for this session; activated: ${body.proxies.join(', ')}.`,
          'not_activated',
        );
      }
    }
    if (body.cutoffDate !== undefined && body.cutoffDate !== null && typeof body.cutoffDate !== 'string') {
      throw new HttpProblem(400, '"cutoffDate" must be a date string such as "2024-06-30".', 'validation');
    }
    // The client going away (a kernel interrupt) aborts the upstream call.
    const controller = new AbortController();
    response.on('close', () => {
      if (!response.writableEnded) controller.abort(new AbortError('The bridge client disconnected.'));
    });
    const result = await runtime.call(path, params as Record<string, unknown>, {
      signal: controller.signal,
      ...(typeof body.cutoffDate === 'string' ? { cutoffDate: body.cutoffDate } : {}),
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
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    url: `http://${host}:${address.port}`,
    token,
    get calls() {
      return calls;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
