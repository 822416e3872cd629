// A WHATWG `fetch` for the provider SDK clients, on undici's `request` API. Node's own fetch is the
// same undici underneath, wrapped in the fetch standard's machinery (Request and Response objects,
// web streams end to end, CORS bookkeeping); per request that machinery costs more CPU than the
// SDK's own work. An agent run makes thousands of requests, so the provider packages hand their SDK
// clients this one instead. It speaks the part of fetch an SDK uses (a URL, a method, headers, a body
// of text or bytes, an AbortSignal; a Response back) and hands anything else to Node's fetch.
import { STATUS_CODES } from 'node:http';
import { Readable } from 'node:stream';
import {
  brotliDecompressSync,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  gunzipSync,
  inflateRawSync,
  inflateSync,
} from 'node:zlib';
import { Agent, type Dispatcher, EnvHttpProxyAgent, interceptors, request } from 'undici';

export interface HttpFetchOptions {
  /**
   * Where requests go: an undici `Agent`, `Pool`, `ProxyAgent` or `EnvHttpProxyAgent`. Default: one
   * keep-alive `Agent` per `createFetch()` whose only timeout for a response's headers is the SDK's
   * own `timeout` (Node's fetch gives up after 300 s of waiting, whatever the SDK was told); when Node
   * is told to use the environment's proxies (`NODE_USE_ENV_PROXY=1` or `--use-env-proxy`, as its own
   * fetch then does), an `EnvHttpProxyAgent` reading `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY`.
   * Redirects are followed (up to 20), as fetch follows them.
   */
  readonly dispatcher?: Dispatcher;
  /** The fetch for what this one hands on (see `createFetch`). Default: Node's global `fetch`. */
  readonly fallback?: typeof fetch;
}

/**
 * A fetch init field (a registered symbol, so a wrapper in another package can name it) holding a
 * second `AbortSignal`: one the SDK never sees. The SDK clients compose every signal they are given
 * with `AbortSignal.any` and weak references, which under a few hundred concurrent requests costs
 * about a tenth of an agent call's CPU; a provider hands its caller's signal this way instead
 * (`{ fetchOptions: { [LINKED_SIGNAL]: signal } }`), and the request ends when either signal aborts.
 */
export const LINKED_SIGNAL: unique symbol = Symbol.for('lllm.http.linkedSignal') as never;

/**
 * Whether `fetch` reads `LINKED_SIGNAL`: an `@lllm/http` fetch, or a wrapper that hands its init on
 * unchanged and says so by carrying the same symbol as a property set to `true`.
 */
export function readsLinkedSignal(fetch: unknown): boolean {
  return typeof fetch === 'function' && (fetch as { [LINKED_SIGNAL]?: unknown })[LINKED_SIGNAL] === true;
}

/** The request bodies this fetch sends itself (the rest go to the fallback). */
type SendableBody = string | Uint8Array | ArrayBuffer | URLSearchParams | null | undefined;

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A `fetch` on undici's `request`, for SDK clients: `new OpenAI({ fetch: createFetch() })`.
 *
 * As Node's fetch does, it follows redirects, asks for and decodes gzip, deflate and brotli, rejects
 * with the signal's reason when the signal aborts (before the response or while its body is read) and
 * with `TypeError('fetch failed', { cause })` when the connection fails. A JSON or text response is
 * read whole before the `Response` is returned; an event stream (`text/event-stream`) is handed over
 * as it arrives. Requests it does not speak go to `fallback` unchanged: a `Request` object as input, a
 * scheme other than http(s), a body that is not text, bytes or `URLSearchParams` (a `FormData` file
 * upload, a stream), or `redirect: 'manual' | 'error'`.
 */
export function createFetch(options: HttpFetchOptions = {}): typeof fetch {
  const base = options.dispatcher ?? (usesEnvProxy() ? new EnvHttpProxyAgent({ headersTimeout: 0 }) : new Agent({ headersTimeout: 0 }));
  const dispatcher = base.compose(interceptors.redirect({ maxRedirections: 20 }));
  const fallback = options.fallback ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => globalThis.fetch(input, init));

  const lllmFetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const body = init?.body;
    const linked = init ? (init as { [LINKED_SIGNAL]?: AbortSignal })[LINKED_SIGNAL] : undefined;
    if (url === undefined || !speaks(url, body, init?.redirect)) {
      // Node's fetch knows one signal: the linked one joins it (a rare path, so AbortSignal.any will do).
      if (!linked) return fallback(input, init);
      return fallback(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, linked]) : linked });
    }
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = requestHeaders(init?.headers, body);
    const either = linked ? eitherSignal(init?.signal ?? undefined, linked) : undefined;
    const signal = either ? either.signal : (init?.signal ?? undefined);
    if (signal?.aborted) {
      either?.release();
      throw abortReason(signal);
    }
    return send(url, method, headers, body as SendableBody, signal, either?.release);
  };
  Object.defineProperty(lllmFetch, LINKED_SIGNAL, { value: true });
  return lllmFetch;

  async function send(
    url: string,
    method: string,
    headers: Record<string, string>,
    body: SendableBody,
    signal: AbortSignal | undefined,
    /** Called once the response is over (read whole, its stream ended, or failed). */
    done: (() => void) | undefined,
  ): Promise<Response> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body instanceof URLSearchParams ? body.toString() : body instanceof ArrayBuffer ? new Uint8Array(body) : body,
        signal,
        dispatcher,
      });
    } catch (error) {
      done?.();
      throw signal?.aborted ? abortReason(signal) : new TypeError('fetch failed', { cause: error });
    }

    const status = response.statusCode;
    const responseInit: ResponseInit = {
      status,
      statusText: response.statusText || (STATUS_CODES[status] ?? ''),
      headers: responseHeaders(response.headers),
    };
    const encoding = contentEncoding(response.headers['content-encoding']);
    let result: Response;
    try {
      if (NULL_BODY.has(status) || method === 'HEAD') {
        await response.body.dump();
        result = new Response(null, responseInit);
        done?.();
      } else if (String(response.headers['content-type'] ?? '').includes('text/event-stream')) {
        // The signals stay linked while the stream is read.
        if (done) response.body.once('close', done);
        result = new Response(Readable.toWeb(decodingStream(response.body, encoding)) as ReadableStream<Uint8Array>, responseInit);
      } else {
        result = new Response(decode(new Uint8Array(await response.body.arrayBuffer()), encoding), responseInit);
        done?.();
      }
    } catch (error) {
      done?.();
      throw signal?.aborted ? abortReason(signal) : new TypeError('fetch failed', { cause: error });
    }
    Object.defineProperty(result, 'url', { value: url, enumerable: true });
    return result;
  }
}

/**
 * One signal that aborts (with the first one's reason) when either `first` or `second` does, by two
 * listeners `release()` removes: cheaper than `AbortSignal.any`, whose weak references the garbage
 * collector must clear.
 */
function eitherSignal(first: AbortSignal | undefined, second: AbortSignal): { signal: AbortSignal; release(): void } {
  if (!first) return { signal: second, release: () => {} };
  if (first.aborted) return { signal: first, release: () => {} };
  if (second.aborted) return { signal: second, release: () => {} };
  const controller = new AbortController();
  const onFirst = () => controller.abort(first.reason);
  const onSecond = () => controller.abort(second.reason);
  first.addEventListener('abort', onFirst, { once: true });
  second.addEventListener('abort', onSecond, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      first.removeEventListener('abort', onFirst);
      second.removeEventListener('abort', onSecond);
    },
  };
}

/** Whether this fetch sends the request itself (else it goes to the fallback). */
function speaks(url: string, body: RequestInit['body'], redirect: RequestRedirect | undefined): boolean {
  return (
    (url.startsWith('https://') || url.startsWith('http://')) &&
    (body === undefined ||
      body === null ||
      typeof body === 'string' ||
      body instanceof Uint8Array ||
      body instanceof ArrayBuffer ||
      body instanceof URLSearchParams) &&
    (redirect === undefined || redirect === 'follow')
  );
}

/** Whether Node was told to send its own HTTP clients through the environment's proxies. */
function usesEnvProxy(): boolean {
  return process.env.NODE_USE_ENV_PROXY === '1' || process.execArgv.includes('--use-env-proxy');
}

let shared: typeof fetch | undefined;

/**
 * The process's one `createFetch()`: one connection pool for every provider client that was given
 * no `fetch` of its own, as Node's fetch shares one.
 */
export function sharedFetch(): typeof fetch {
  shared ??= createFetch();
  return shared;
}

/** A request's headers as one lowercase record, with the defaults fetch adds. */
function requestHeaders(given: HeadersInit | undefined, body: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (given instanceof Headers) {
    given.forEach((value, name) => {
      headers[name] = value;
    });
  } else if (Array.isArray(given)) {
    for (const [name, value] of given) add(headers, name, value);
  } else if (given) {
    for (const name of Object.keys(given)) {
      const value = (given as Record<string, string | undefined>)[name];
      if (value !== undefined) add(headers, name, value);
    }
  }
  headers.accept ??= '*/*';
  headers['accept-encoding'] ??= 'gzip, deflate, br';
  headers['user-agent'] ??= 'node';
  if (typeof body === 'string') headers['content-type'] ??= 'text/plain;charset=UTF-8';
  else if (body instanceof URLSearchParams) headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
  return headers;
}

function add(headers: Record<string, string>, name: string, value: string): void {
  const key = name.toLowerCase();
  const known = headers[key];
  headers[key] = known === undefined ? String(value) : `${known}, ${value}`;
}

function responseHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) headers.append(name, one);
    else headers.append(name, value);
  }
  return headers;
}

type Encoding = 'gzip' | 'deflate' | 'br' | undefined;

function contentEncoding(header: string | string[] | undefined): Encoding {
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
  if (value === '' || value === 'identity') return undefined;
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate' || value === 'br') return value;
  // Not one this fetch asked for (or a chain of them): the bytes are handed over as they came, as
  // Node's fetch hands over what it cannot decode.
  return undefined;
}

function decode(bytes: Uint8Array<ArrayBuffer>, encoding: Encoding): Uint8Array<ArrayBuffer> {
  if (encoding === 'gzip') return gunzipSync(bytes);
  if (encoding === 'br') return brotliDecompressSync(bytes);
  if (encoding === 'deflate') {
    // Servers send "deflate" both zlib-wrapped (as specified) and raw, as fetch tolerates.
    try {
      return inflateSync(bytes);
    } catch {
      return inflateRawSync(bytes);
    }
  }
  return bytes;
}

function decodingStream(body: Readable, encoding: Encoding): Readable {
  if (encoding === undefined) return body;
  const decoder = encoding === 'gzip' ? createGunzip() : encoding === 'br' ? createBrotliDecompress() : createInflate();
  body.on('error', (error) => decoder.destroy(error));
  return body.pipe(decoder);
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
