// Sending one endpoint call: a handler run in code, or an HTTP request built from the endpoint's
// template with the API key from the environment, its response decoded, checked and redacted.
import { AbortError, LllmError, REDACTED, redactSecrets, redactString, registerSecret, toAbortError } from '@lllm/core';
import { raceAbort, truncate } from '@lllm/core/utils';
import type { ProxyDefinition, ProxyEndpoint } from './define.js';
import { ProxyError } from './errors.js';

/** Sends the calls of one proxy. */
export class EndpointSender {
  readonly #definition: ProxyDefinition;
  readonly #fetch: typeof fetch;
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(definition: ProxyDefinition, fetcher: typeof fetch, env: Readonly<Record<string, string | undefined>>) {
    this.#definition = definition;
    this.#fetch = fetcher;
    this.#env = env;
  }

  /**
   * Send one validated call: run the endpoint's handler, or make the HTTP request with the key from
   * the environment. Every failure is a `ProxyError` (an `AbortError` when `signal` aborts); what
   * comes back is redacted of known secrets.
   */
  async send(endpoint: ProxyEndpoint, params: Record<string, unknown>, signal: AbortSignal | undefined): Promise<unknown> {
    const definition = this.#definition;
    const timeout = AbortSignal.timeout(definition.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const timedOut = () => timeout.aborted && !signal?.aborted;
    if (endpoint.handler) {
      try {
        // Like an HTTP response, what a handler (an MCP tool, an SDK) returns is redacted before the model sees it.
        return redactSecrets(await raceAbort(endpoint.handler(params, { signal: combined, endpoint }), combined));
      } catch (error) {
        if (signal?.aborted) throw toAbortError(signal.reason);
        if (timedOut()) throw timeoutError(endpoint, definition.timeoutMs);
        if (ProxyError.isInstance(error) || AbortError.isInstance(error)) throw error;
        const message = LllmError.isInstance(error) || error instanceof Error ? error.message : String(error);
        throw new ProxyError(`${endpoint.fullPath} failed: ${redactString(message)}`, {
          kind: 'api',
          path: endpoint.fullPath,
          cause: error,
        });
      }
    }
    const { url, display, init } = this.#request(endpoint, params);
    let response: Response;
    try {
      response = await this.#fetch(url, { ...init, signal: combined });
    } catch (error) {
      if (signal?.aborted) throw toAbortError(signal.reason);
      if (timedOut()) throw timeoutError(endpoint, definition.timeoutMs, display);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ProxyError(
        `${endpoint.fullPath} could not reach ${display}: ${redactString(cause?.code ?? cause?.message ?? (error as Error).message)}. Check the proxy's baseUrl and the network.`,
        { kind: 'connection', path: endpoint.fullPath, cause: error },
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw toAbortError(signal.reason);
      if (timedOut()) throw timeoutError(endpoint, definition.timeoutMs, display);
      throw new ProxyError(`${endpoint.fullPath}: the response from ${display} broke off: ${(error as Error).message}`, {
        kind: 'connection',
        path: endpoint.fullPath,
        cause: error,
      });
    }
    // An API that echoes the key (in a "request" block, an error message, the request URL with the key
    // percent-encoded) must not hand it to the model, the cache or the log: the key is a known secret,
    // and redaction finds it in its encoded forms too. The text stays valid JSON.
    text = redactString(text);
    const body = decodeBody(text, response.headers.get('content-type'));
    if (!response.ok) {
      const detail =
        definition.detectError(body.value) ??
        (typeof body.value === 'string' ? truncate(body.value, 300) : truncate(JSON.stringify(body.value), 300));
      throw new ProxyError(
        `${endpoint.fullPath} failed with HTTP ${response.status} from ${display}: ${redactString(detail || response.statusText)}${hintFor(response.status, definition)}`,
        { kind: 'http', path: endpoint.fullPath, statusCode: response.status, body: redactSecrets(body.value) },
      );
    }
    if (body.invalidJson) {
      throw new ProxyError(
        `${endpoint.fullPath}: ${display} said it sent JSON but the body is not JSON: ${redactString(truncate(text, 200))}`,
        {
          kind: 'response',
          path: endpoint.fullPath,
          statusCode: response.status,
        },
      );
    }
    const apiError = definition.detectError(body.value);
    if (apiError !== undefined) {
      throw new ProxyError(`${endpoint.fullPath}: the API reported an error: ${redactString(apiError)}`, {
        kind: 'api',
        path: endpoint.fullPath,
        statusCode: response.status,
        body: redactSecrets(body.value),
      });
    }
    return body.value;
  }

  #request(endpoint: ProxyEndpoint, params: Record<string, unknown>): { url: string; display: string; init: RequestInit } {
    const definition = this.#definition;
    let path = endpoint.endpoint;
    const query: [string, string][] = [];
    const body: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      const location = endpoint.locations[name] ?? 'query';
      if (location === 'path') path = path.split(`{${name}}`).join(pathSegment(endpoint, name, value));
      else if (location === 'body') body[name] = value;
      else if (Array.isArray(value)) for (const item of value) query.push([name, queryValue(item)]);
      else query.push([name, queryValue(value)]);
    }
    const base = (definition.baseUrl ?? '').replace(/\/+$/, '');
    const url = new URL(`${base}/${path.replace(/^\/+/, '')}`);
    // The key goes only below the base URL: a "." or ".." in the declared endpoint path would climb out.
    const baseUrl = new URL(`${base}/`);
    if (url.origin !== baseUrl.origin || !url.pathname.startsWith(baseUrl.pathname)) {
      throw new ProxyError(
        `${endpoint.fullPath}: the request path ${JSON.stringify(url.pathname)} leaves the proxy's base URL path ${JSON.stringify(baseUrl.pathname)}; remove "." and ".." segments from the endpoint "${endpoint.endpoint}".`,
        { kind: 'validation', path: endpoint.fullPath },
      );
    }
    for (const [name, value] of query) url.searchParams.append(name, value);
    const display = new URL(url);
    const headers: Record<string, string> = { accept: 'application/json', ...definition.headers, ...endpoint.headers };
    const spec = definition.apiKey;
    const key = spec ? this.#env[spec.env] : undefined;
    if (spec && key) {
      registerSecret(key);
      if (spec.in === 'query') {
        url.searchParams.set(spec.name, `${spec.prefix ?? ''}${key}`);
        display.searchParams.set(spec.name, REDACTED);
      } else headers[spec.name] = `${spec.prefix ?? ''}${key}`;
    } else if (spec && !spec.optional) {
      throw new ProxyError(`${endpoint.fullPath} needs an API key: set ${spec.env}.`, { kind: 'missing_key', path: endpoint.fullPath });
    }
    const init: RequestInit = { method: endpoint.method, headers };
    if (endpoint.method === 'POST') {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return { url: url.toString(), display: redactString(display.toString().replace(encodeURIComponent(REDACTED), REDACTED)), init };
  }
}

/** How many times a path parameter is percent-decoded when looking for "." and ".." segments. */
const MAX_DECODINGS = 4;

/**
 * A path parameter as one encoded path segment: a "/" in it is sent as %2F, never as a separator, and
 * a value that is (or decodes to, even twice encoded) "." or ".." anywhere between slashes is refused,
 * so no parameter moves the request — and the key with it — to another path of the API.
 */
function pathSegment(endpoint: ProxyEndpoint, name: string, value: unknown): string {
  const text = String(value);
  let decoded = text;
  for (let round = 0; round < MAX_DECODINGS; round++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  const climbs = decoded.split(/[/\\]/).some((segment) => segment === '.' || segment === '..');
  if (text === '' || climbs) {
    throw new ProxyError(
      `Cannot call ${endpoint.fullPath}: path parameter "${name}" is ${JSON.stringify(text)}, ${
        text === '' ? 'an empty path segment' : 'a "." or ".." path segment that would leave the endpoint'
      }. Give the value itself (e.g. ${JSON.stringify(String(endpoint.examples[name] ?? 'AAPL'))}); a "/" inside it is sent encoded.`,
      { kind: 'validation', path: endpoint.fullPath },
    );
  }
  return encodeURIComponent(text);
}

function queryValue(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function decodeBody(text: string, contentType: string | null): { value: unknown; invalidJson: boolean } {
  const claimsJson = contentType?.includes('json') ?? false;
  if (text.length === 0) return { value: null, invalidJson: false };
  try {
    return { value: JSON.parse(text), invalidJson: false };
  } catch {
    return { value: text, invalidJson: claimsJson };
  }
}

function timeoutError(endpoint: ProxyEndpoint, timeoutMs: number, display?: string): ProxyError {
  return new ProxyError(
    `${endpoint.fullPath} timed out after ${timeoutMs} ms${display ? ` waiting for ${display}` : ''}; raise the proxy's timeoutMs or try again later.`,
    { kind: 'timeout', path: endpoint.fullPath },
  );
}

function hintFor(status: number, definition: ProxyDefinition): string {
  if ((status === 401 || status === 403) && definition.apiKey) return ` (check ${definition.apiKey.env})`;
  if (status === 429) return ' (rate limited: try again later)';
  return '';
}
