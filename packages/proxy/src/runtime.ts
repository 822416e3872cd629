import {
  AbortError,
  InvalidArgumentError,
  LllmError,
  REDACTED,
  redactSecrets,
  redactString,
  registerSecret,
  type Stream,
  throwIfAborted,
  toAbortError,
} from '@lllm/core';
import { closestMatches, raceAbort, truncate } from '@lllm/core/utils';
import { ProxyCache, type ProxyCacheOptions } from './cache.js';
import { applyCutoff, type Cutoff, parseCutoff, removeKeyPath } from './cutoff.js';
import { ProxyDefinition, type ProxyEndpoint } from './define.js';
import { describeParameters, renderApiCatalog, renderApiDirectory, renderEndpointDirectory, renderEndpointDocs } from './docs.js';
import { ProxyError } from './errors.js';
import { findProxy, getProxy, listProxies } from './registry.js';

/** How to build a proxy runtime. */
export interface ProxyOptions {
  /**
   * Proxies to activate: registered paths or definitions (an MCP server's `asProxy()`, a proxy you
   * did not register). Default: every registered proxy.
   */
  readonly activate?: readonly (string | ProxyDefinition)[];
  /**
   * Data cutoff: responses of endpoints with a `dtCutoff` keep only entries dated on or before it
   * (`YYYY-MM-DD` allows that whole day). For backtests: an agent never sees later data.
   */
  readonly cutoffDate?: string | Date | null;
  /**
   * Deploy mode: the system runs live, so the cutoff date is not applied and every call goes to the
   * API (the cache is neither read nor written).
   */
  readonly deployMode?: boolean;
  /** The response cache on disk, or `false` (the default) for none. */
  readonly cache?: ProxyCacheOptions | false;
  /** `fetch` to send requests with (tests, custom agents). */
  readonly fetch?: typeof fetch;
  /** Where API keys are read from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with every warning (an unknown or failing proxy skipped at activation). */
  readonly onWarning?: (message: string) => void;
}

/** Per-call options. */
export interface ProxyCallOptions {
  /** Abort the request. */
  readonly signal?: AbortSignal;
  /** Apply this cutoff instead (a later date than the runtime's is ignored: a caller can only narrow it). */
  readonly cutoffDate?: string | Date;
  /** Skip the cache for this call (the response is still stored). */
  readonly fresh?: boolean;
}

/** What `checkPaths` found. */
export interface PathCheck {
  readonly valid: readonly string[];
  readonly invalid: readonly { readonly path: string; readonly suggestions: readonly string[] }[];
}

/** One endpoint's outcome in `autoTest()`. */
export interface AutoTestResult {
  readonly path: string;
  readonly category: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly error?: string;
  readonly ms: number;
}

/** What `autoTest()` found, per endpoint and per `proxy/category`. */
export interface AutoTestReport {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly results: readonly AutoTestResult[];
  readonly byCategory: Readonly<Record<string, { passed: number; failed: number; skipped: number }>>;
}

/** The activation state, for `Proxy.fromJSON`. */
export interface ProxyJSON {
  readonly activated: readonly string[];
  readonly cutoffDate: string | null;
  readonly deployMode: boolean;
  readonly cache: { readonly dir: string; readonly ttlMs: number } | false;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The proxy runtime: activates proxies, and calls their endpoints by full path
 * (`proxy/category/endpoint`) with parameter validation, the API key from the environment, timeouts,
 * typed errors, key removal, the cutoff filter, the post-call transform and an optional disk cache.
 * It also writes the docs agents read (`apiCatalog`, `apiDirectory`, `retrieveApiDocs`, …).
 */
export class ProxyRuntime {
  readonly cutoff: Cutoff | undefined;
  readonly deployMode: boolean;
  readonly cache: ProxyCache | undefined;
  /** Warnings from activation (skipped proxies), in order. */
  readonly warnings: readonly string[];
  readonly #active = new Map<string, ProxyDefinition>();
  readonly #skipped = new Map<string, string>();
  readonly #fetch: typeof fetch;
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(options: ProxyOptions = {}) {
    this.cutoff = options.cutoffDate ? parseCutoff(options.cutoffDate) : undefined;
    this.deployMode = options.deployMode ?? false;
    this.cache = options.cache ? new ProxyCache(options.cache) : undefined;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#env = options.env ?? process.env;
    const warnings: string[] = [];
    const warn = (message: string) => {
      warnings.push(message);
      options.onWarning?.(message);
    };
    for (const entry of options.activate ?? listProxies()) {
      const definition = ProxyDefinition.isInstance(entry) ? entry : findProxy(entry);
      if (!definition) {
        let detail = '';
        try {
          getProxy(String(entry));
        } catch (error) {
          detail = (error as Error).message;
        }
        this.#skipped.set(String(entry), detail);
        warn(`Proxy "${String(entry)}" is skipped: ${detail}`);
        continue;
      }
      const keyProblem = this.#apiKeyProblem(definition);
      if (keyProblem) {
        this.#skipped.set(definition.path, keyProblem);
        warn(`Proxy "${definition.path}" is skipped: ${keyProblem}`);
        continue;
      }
      // Known from activation on, so nothing written before the first call can hold it either.
      if (definition.apiKey) registerSecret(this.#env[definition.apiKey.env]);
      this.#active.set(definition.path, definition);
    }
    this.warnings = warnings;
  }

  /** Rebuild a runtime from `toJSON()`; `options` supplies what is not serialisable (fetch, env, warnings). */
  static fromJSON(json: ProxyJSON, options: Omit<ProxyOptions, 'activate' | 'cutoffDate' | 'deployMode' | 'cache'> = {}): ProxyRuntime {
    return new ProxyRuntime({
      ...options,
      activate: json.activated,
      cutoffDate: json.cutoffDate,
      deployMode: json.deployMode,
      cache: json.cache,
    });
  }

  /** The activation state: activated proxy paths, cutoff date, deploy mode and cache settings. */
  toJSON(): ProxyJSON {
    return {
      activated: this.activated(),
      cutoffDate: this.cutoff?.iso ?? null,
      deployMode: this.deployMode,
      cache: this.cache ? { dir: this.cache.dir, ttlMs: this.cache.ttlMs } : false,
    };
  }

  /** Activated proxy paths, in activation order. */
  activated(): string[] {
    return [...this.#active.keys()];
  }

  /** The activated proxy definitions. */
  proxies(): ProxyDefinition[] {
    return [...this.#active.values()];
  }

  /** Every activated endpoint (of the given proxies, when named). */
  endpoints(proxies?: readonly string[]): ProxyEndpoint[] {
    return this.proxies()
      .filter((definition) => !proxies || proxies.includes(definition.path))
      .flatMap((definition) => definition.endpoints);
  }

  /** The endpoint at a full path; a `ProxyError` (`not_found` with suggestions, or `not_activated`) otherwise. */
  resolve(fullPath: string): ProxyEndpoint {
    const path = String(fullPath ?? '')
      .trim()
      .replace(/^\/+|\/+$/g, '');
    const slash = path.indexOf('/');
    const proxyPath = slash < 0 ? path : path.slice(0, slash);
    const key = slash < 0 ? '' : path.slice(slash + 1);
    const definition = this.#active.get(proxyPath);
    if (!definition) {
      const skipped = this.#skipped.get(proxyPath);
      if (skipped !== undefined || findProxy(proxyPath)) {
        throw new ProxyError(
          `Proxy "${proxyPath}" is not activated in this runtime${skipped ? ` (${skipped})` : ''}; activated: ${this.activated().join(', ') || 'none'}.`,
          { kind: 'not_activated', path },
        );
      }
    }
    const endpoint = definition?.endpoint(key);
    if (endpoint) return endpoint;
    const all = this.endpoints().map((candidate) => candidate.fullPath);
    const suggestions = suggestPaths(path, all);
    throw new ProxyError(
      `No endpoint "${path}".${suggestions.length ? ` Did you mean ${suggestions.map((candidate) => `"${candidate}"`).join(' or ')}?` : ''} Paths are proxy/category/endpoint; list them with endpointDirectory().`,
      { kind: 'not_found', path, suggestions },
    );
  }

  /**
   * Call an endpoint: validate the parameters, send the request (or run its handler), then remove
   * keys, filter by the cutoff date and transform. Every failure is a `ProxyError`; aborting rejects
   * with an `AbortError`.
   */
  async call(fullPath: string, params: Readonly<Record<string, unknown>> = EMPTY, options: ProxyCallOptions = {}): Promise<unknown> {
    throwIfAborted(options.signal);
    const endpoint = this.resolve(fullPath);
    const validation = endpoint.validate(params ?? EMPTY);
    if (!validation.success) {
      throw new ProxyError(`Cannot call ${endpoint.fullPath}: ${validation.error}. Expected: ${describeParameters(endpoint)}.`, {
        kind: 'validation',
        path: endpoint.fullPath,
      });
    }
    const valid = (validation.data ?? EMPTY) as Record<string, unknown>;
    const useCache = this.cache && !this.deployMode;
    let raw: unknown;
    const cached = useCache && !options.fresh ? await this.cache?.get(endpoint.fullPath, valid) : undefined;
    if (cached) raw = cached.value;
    else {
      raw = await this.#send(endpoint, valid, options.signal);
      if (useCache) await this.cache?.set(endpoint.fullPath, valid, raw);
    }
    return this.#postProcess(endpoint, raw, valid, options);
  }

  #postProcess(endpoint: ProxyEndpoint, raw: unknown, params: Record<string, unknown>, options: ProxyCallOptions): unknown {
    let value = raw;
    for (const removeKey of endpoint.removeKeys) value = removeKeyPath(value, removeKey);
    const cutoff = this.#cutoffFor(options.cutoffDate);
    if (cutoff && endpoint.dtCutoff) value = applyCutoff(value, endpoint.dtCutoff, cutoff, endpoint.fullPath).value;
    if (endpoint.transform) {
      try {
        value = endpoint.transform(value, params);
      } catch (error) {
        throw new ProxyError(`The transform of ${endpoint.fullPath} failed: ${redactString((error as Error).message ?? String(error))}`, {
          kind: 'response',
          path: endpoint.fullPath,
          cause: error,
        });
      }
    }
    return value;
  }

  #cutoffFor(override: string | Date | undefined): Cutoff | undefined {
    if (this.deployMode) return undefined;
    if (override === undefined || override === null) return this.cutoff;
    const requested = parseCutoff(override);
    return this.cutoff && this.cutoff.limitMs < requested.limitMs ? this.cutoff : requested;
  }

  #apiKeyProblem(definition: ProxyDefinition): string | undefined {
    const spec = definition.apiKey;
    if (!spec || spec.optional || this.#env[spec.env]) return undefined;
    return `its API key variable ${spec.env} is not set (export ${spec.env}=… or mark the key optional)`;
  }

  async #send(endpoint: ProxyEndpoint, params: Record<string, unknown>, signal: AbortSignal | undefined): Promise<unknown> {
    const definition = this.#active.get(endpoint.proxyPath) as ProxyDefinition;
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
    const { url, display, init } = this.#request(definition, endpoint, params);
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

  #request(
    definition: ProxyDefinition,
    endpoint: ProxyEndpoint,
    params: Record<string, unknown>,
  ): { url: string; display: string; init: RequestInit } {
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

  /** Which of `paths` name activated endpoints, and the closest matches for those that do not. */
  checkPaths(paths: readonly string[]): PathCheck {
    const all = this.endpoints().map((endpoint) => endpoint.fullPath);
    const known = new Set(all);
    const valid: string[] = [];
    const invalid: { path: string; suggestions: string[] }[] = [];
    for (const path of paths) {
      if (known.has(path)) valid.push(path);
      else invalid.push({ path, suggestions: suggestPaths(path, all) });
    }
    return { valid, invalid };
  }

  /** An overview of the activated proxies, for a system prompt. */
  apiCatalog(): string {
    return renderApiCatalog(this.proxies());
  }

  /** Each activated proxy's endpoints by category, with one line each. */
  apiDirectory(proxies?: readonly string[]): string {
    return renderApiDirectory(this.proxies().filter((definition) => !proxies || proxies.includes(definition.path)));
  }

  /** Every activated endpoint path with its method and name, one per line. */
  endpointDirectory(proxies?: readonly string[]): string {
    return renderEndpointDirectory(this.endpoints(proxies));
  }

  /**
   * Full docs of endpoints: parameters with types, required marks, descriptions and examples, and an
   * example response. A proxy path or `proxy/category` gives every endpoint below it; an unknown path
   * gets the closest matches.
   */
  retrieveApiDocs(paths: readonly string[]): string {
    const all = this.endpoints();
    const sections: string[] = [];
    for (const raw of paths) {
      const path = raw.trim().replace(/^\/+|\/+$/g, '');
      const exact = all.find((endpoint) => endpoint.fullPath === path);
      const below = exact ? [exact] : all.filter((endpoint) => endpoint.fullPath.startsWith(`${path}/`));
      if (below.length === 0) {
        const suggestions = suggestPaths(
          path,
          all.map((endpoint) => endpoint.fullPath),
        );
        sections.push(`## ${path}\nNo such endpoint.${suggestions.length ? ` Did you mean: ${suggestions.join(', ')}?` : ''}`);
        continue;
      }
      for (const endpoint of below)
        sections.push(renderEndpointDocs(endpoint, this.cutoff && !this.deployMode ? this.cutoff.iso : undefined));
    }
    return sections.join('\n\n');
  }

  /**
   * Call every endpoint (or those under `paths`) with its example parameters and report
   * passed/failed per `proxy/category`, with a progress bar on `stream`. Endpoints whose required
   * parameters have no example are skipped.
   */
  async autoTest(options: { paths?: readonly string[]; stream?: Stream; signal?: AbortSignal } = {}): Promise<AutoTestReport> {
    const selected = this.endpoints().filter(
      (endpoint) =>
        !options.paths ||
        options.paths.some((path) => endpoint.fullPath === path || endpoint.fullPath.startsWith(`${path.replace(/\/+$/, '')}/`)),
    );
    if (options.paths && selected.length === 0) {
      const check = this.checkPaths(options.paths);
      throw new InvalidArgumentError(
        `autoTest: nothing matches ${options.paths.map((path) => JSON.stringify(path)).join(', ')}.${check.invalid[0]?.suggestions.length ? ` Did you mean ${check.invalid[0].suggestions.join(', ')}?` : ''}`,
        { argument: 'paths' },
      );
    }
    const progress = options.stream?.progress('Testing endpoints', selected.length);
    const results: AutoTestResult[] = [];
    const byCategory: Record<string, { passed: number; failed: number; skipped: number }> = {};
    for (const endpoint of selected) {
      throwIfAborted(options.signal);
      const category = `${endpoint.proxyPath}/${endpoint.category}`;
      const tally = byCategory[category] ?? { passed: 0, failed: 0, skipped: 0 };
      byCategory[category] = tally;
      const started = performance.now();
      const missing = endpoint.required.filter((name) => !(name in endpoint.examples));
      let result: AutoTestResult;
      if (missing.length > 0) {
        result = { path: endpoint.fullPath, category, status: 'skipped', error: `no example for ${missing.join(', ')}`, ms: 0 };
      } else {
        try {
          await this.call(endpoint.fullPath, endpoint.examples, { fresh: true, ...(options.signal ? { signal: options.signal } : {}) });
          result = { path: endpoint.fullPath, category, status: 'passed', ms: performance.now() - started };
        } catch (error) {
          if (AbortError.isInstance(error)) throw error;
          result = {
            path: endpoint.fullPath,
            category,
            status: 'failed',
            error: (error as Error).message,
            ms: performance.now() - started,
          };
        }
      }
      tally[result.status] += 1;
      results.push(result);
      progress?.advance();
    }
    progress?.done();
    const count = (status: AutoTestResult['status']) => results.filter((result) => result.status === status).length;
    return { passed: count('passed'), failed: count('failed'), skipped: count('skipped'), results, byCategory };
  }
}

/**
 * The endpoint paths closest to `path`: by the whole path, else by the same number of leading
 * segments (so `weather/forcast` finds `weather/forecast/daily`).
 */
export function suggestPaths(path: string, all: readonly string[], limit = 3): string[] {
  const direct = closestMatches(path, all, limit);
  if (direct.length > 0) return direct;
  const depth = path.split('/').length;
  const prefixes = new Map<string, string[]>();
  for (const candidate of all) {
    const prefix = candidate.split('/').slice(0, depth).join('/');
    prefixes.set(prefix, [...(prefixes.get(prefix) ?? []), candidate]);
  }
  return closestMatches(path, prefixes.keys(), limit)
    .flatMap((prefix) => prefixes.get(prefix) ?? [])
    .slice(0, limit);
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
