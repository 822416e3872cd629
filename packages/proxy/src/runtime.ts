import { AbortError, InvalidArgumentError, redactString, registerSecret, type Stream, throwIfAborted } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import { ProxyCache, type ProxyCacheOptions } from './cache.js';
import { applyCutoff, type Cutoff, parseCutoff, removeKeyPath } from './cutoff.js';
import { ProxyDefinition, type ProxyEndpoint } from './define.js';
import {
  describeParameters,
  renderAdditionalDocs,
  renderApiCatalog,
  renderApiDirectory,
  renderEndpointDirectory,
  renderEndpointDocs,
} from './docs.js';
import { ProxyError } from './errors.js';
import { findProxy, getProxy, listProxies } from './registry.js';
import { EndpointSender } from './request.js';

/** How to build a proxy runtime. */
export interface ProxyOptions {
  /**
   * Proxies to activate: registered paths or definitions (an MCP server's `asProxy()`, a proxy you
   * did not register). Default: every registered proxy.
   */
  readonly activate?: readonly (string | ProxyDefinition)[];
  /**
   * Data cutoff: responses of endpoints with a `dtCutoff` keep only entries dated strictly before it,
   * as upstream (`YYYY-MM-DD` withholds that whole day and everything after). For backtests: an
   * agent never sees data of the cutoff day or later. Ignored in deploy mode.
   */
  readonly cutoffDate?: string | Date | null;
  /**
   * Deploy mode: the system runs live, so no cutoff date is applied and every call goes to the API
   * (the cache is neither read nor written). Switch at run time with `deploy()` / `develop()`.
   */
  readonly deployMode?: boolean;
  /**
   * Take the cutoff date and deploy mode from another runtime at every call instead of holding its own
   * (`cutoffDate` and `deployMode` are then ignored): an agent's API interpreter follows its system's
   * `services.proxy`, so `deploy()` / `develop()` / `setCutoffDate()` there reach the agent too. Calling
   * one of those on this runtime gives it a mode of its own again.
   */
  readonly modeFrom?: ProxyRuntime;
  /**
   * The response cache on disk: on by default (as upstream), in `defaultProxyCacheDir()`
   * (`$LLLM_CACHE_DIR/proxies`, else `~/.lllm/cache/proxies`); give `{ dir, ttlMs }` to place it, or
   * `false` for none. Only HTTP endpoints are cached: a `handler` (an MCP tool) may act, not only read.
   */
  readonly cache?: ProxyCacheOptions | boolean;
  /**
   * Upstream's `use_cache` switch (default true): read cached responses. When false, every call goes
   * to the API and its response is still stored for later runs, as upstream.
   */
  readonly useCache?: boolean;
  /** `fetch` to send requests with (tests, custom agents). */
  readonly fetch?: typeof fetch;
  /** Where API keys are read from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Called with every warning (an unknown or failing proxy skipped at activation, a cache that cannot be written). */
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

/** How `autoTest()` runs. */
export interface AutoTestOptions {
  /** Only the endpoints at or under these paths (a proxy, `proxy/category` or a full path). */
  readonly paths?: readonly string[];
  /**
   * Skip the first `skip` selected endpoints, in catalog order, as upstream's `auto_test(skip_k)`
   * (resume a long run after the part that passed). They are reported as skipped.
   */
  readonly skip?: number;
  /** Where the progress bar goes. */
  readonly stream?: Stream;
  /** Stops the run: rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
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
  /** Upstream's `use_cache` (absent in states written before it existed: true). */
  readonly useCache?: boolean;
}

/** What `retrieveApiDocs` adds. */
export interface ApiDocsOptions {
  /**
   * Append each proxy's `additionalDocs` after its endpoints (default false, as upstream's
   * `retrieve_api_docs(additional_doc=False)`: the catalog shows them already).
   */
  readonly additionalDocs?: boolean;
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * The proxy runtime: activates proxies, and calls their endpoints by full path
 * (`proxy/category/endpoint`) with parameter validation, the API key from the environment, timeouts,
 * typed errors, key removal, the cutoff filter, the post-call transform and a disk cache (on by default).
 * It also writes the docs agents read (`apiCatalog`, `apiDirectory`, `retrieveApiDocs`, …).
 */
export class ProxyRuntime {
  readonly cache: ProxyCache | undefined;
  /** Upstream's `use_cache`: whether cached responses are read (they are written either way). */
  readonly useCache: boolean;
  /** Warnings (proxies skipped at activation, a cache that cannot be written), in order. */
  readonly warnings: readonly string[];
  #cutoff: Cutoff | undefined;
  #deployMode: boolean;
  #modeFrom: ProxyRuntime | undefined;
  readonly #active = new Map<string, ProxyDefinition>();
  readonly #senders = new Map<string, EndpointSender>();
  readonly #skipped = new Map<string, string>();
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #warn: (message: string) => void;
  #cacheWarned = false;

  constructor(options: ProxyOptions = {}) {
    this.#deployMode = options.deployMode ?? false;
    // Checked either way; as upstream's Proxy, a runtime built in deploy mode holds no cutoff.
    const cutoff = options.cutoffDate ? parseCutoff(options.cutoffDate) : undefined;
    this.#cutoff = this.#deployMode ? undefined : cutoff;
    this.#modeFrom = options.modeFrom;
    const cache = options.cache ?? true;
    this.cache = cache === false ? undefined : new ProxyCache(cache === true ? {} : cache);
    this.useCache = options.useCache ?? true;
    const fetcher = options.fetch ?? globalThis.fetch;
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
      this.#senders.set(definition.path, new EndpointSender(definition, fetcher, this.#env));
    }
    this.warnings = warnings;
    this.#warn = warn;
  }

  /** Rebuild a runtime from `toJSON()`; `options` supplies what is not serialisable (fetch, env, warnings). */
  static fromJSON(
    json: ProxyJSON,
    options: Omit<ProxyOptions, 'activate' | 'cutoffDate' | 'deployMode' | 'cache' | 'useCache'> = {},
  ): ProxyRuntime {
    return new ProxyRuntime({
      ...options,
      activate: json.activated,
      cutoffDate: json.cutoffDate,
      deployMode: json.deployMode,
      cache: json.cache,
      useCache: json.useCache ?? true,
    });
  }

  /** The activation state: activated proxy paths, cutoff date, deploy mode and cache settings. */
  toJSON(): ProxyJSON {
    return {
      activated: this.activated(),
      cutoffDate: this.cutoff?.iso ?? null,
      deployMode: this.deployMode,
      cache: this.cache ? { dir: this.cache.dir, ttlMs: this.cache.ttlMs } : false,
      useCache: this.useCache,
    };
  }

  /** The cutoff applied to calls now (none in deploy mode). */
  get cutoff(): Cutoff | undefined {
    return this.#modeFrom ? this.#modeFrom.cutoff : this.#cutoff;
  }

  /** Whether the runtime runs live: no cutoff, no cache. */
  get deployMode(): boolean {
    return this.#modeFrom ? this.#modeFrom.deployMode : this.#deployMode;
  }

  /** The runtime whose cutoff and deploy mode this one follows (`modeFrom`), until it is given its own. */
  get modeFrom(): ProxyRuntime | undefined {
    return this.#modeFrom;
  }

  /**
   * Go live, as upstream's `Proxy.deploy()`: the cutoff date is dropped and every call goes to the API.
   * Everything holding this runtime (an agent system's `services.proxy`, the HTTP bridge of a sandbox
   * session) sees the change from its next call on; a call already under way finishes in the mode it
   * started in. Returns the runtime.
   */
  deploy(): this {
    this.#modeFrom = undefined;
    this.#deployMode = true;
    this.#cutoff = undefined;
    return this;
  }

  /**
   * Leave deploy mode, as upstream's `Proxy.develop()`. `deploy()` dropped the cutoff date and, as
   * upstream, leaving deploy mode does not bring it back: pass one to backtest again. Returns the runtime.
   */
  develop(cutoffDate: string | Date | null = null): this {
    const cutoff = cutoffDate ? parseCutoff(cutoffDate) : undefined;
    this.#modeFrom = undefined;
    this.#deployMode = false;
    this.#cutoff = cutoff;
    return this;
  }

  /**
   * Change the cutoff date at run time (upstream's `cutoff_date` setter); `null` removes it. In
   * deploy mode upstream silently keeps no cutoff; here that is an `InvalidArgumentError` (call
   * `develop(date)`), so a backtest never runs on live data by mistake. Returns the runtime.
   */
  setCutoffDate(cutoffDate: string | Date | null): this {
    if (this.#modeFrom) {
      // Its own mode from now on: the followed runtime's, with this cutoff.
      this.#deployMode = this.#modeFrom.deployMode;
      this.#modeFrom = undefined;
    }
    if (this.#deployMode && cutoffDate) {
      throw new InvalidArgumentError(
        `Cannot set the cutoff date ${JSON.stringify(cutoffDate instanceof Date ? cutoffDate.toISOString() : cutoffDate)} in deploy mode: a live runtime applies no cutoff. Call develop(${JSON.stringify(cutoffDate instanceof Date ? cutoffDate.toISOString() : cutoffDate)}) to backtest again.`,
        { argument: 'cutoffDate' },
      );
    }
    this.#cutoff = cutoffDate ? parseCutoff(cutoffDate) : undefined;
    return this;
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
   * with an `AbortError`. The mode (deploy, cutoff) is read once, when the call starts.
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
    const cutoff = this.#cutoffFor(options.cutoffDate);
    const sender = this.#senders.get(endpoint.proxyPath) as EndpointSender;
    // Stored and read as upstream's `call_api` cache: by request (endpoint, API, parameters); only HTTP calls.
    const cache = this.cache && !this.deployMode && !endpoint.handler ? this.cache : undefined;
    const lookup = { scope: (this.#active.get(endpoint.proxyPath) as ProxyDefinition).baseUrl ?? '' };
    const cached = cache && this.useCache && !options.fresh ? await cache.get(endpoint.fullPath, valid, lookup) : undefined;
    let raw: unknown;
    if (cached) raw = cached.value;
    else {
      raw = await sender.send(endpoint, valid, options.signal);
      if (cache) await this.#store(cache, endpoint, valid, raw, lookup);
    }
    return this.#postProcess(endpoint, raw, valid, cutoff);
  }

  // The cache is on by default, so a folder that cannot be written (a read-only home) must not fail
  // the call it was only meant to speed up: the answer is returned, and the runtime warns once.
  async #store(
    cache: ProxyCache,
    endpoint: ProxyEndpoint,
    params: Record<string, unknown>,
    raw: unknown,
    lookup: { scope: string },
  ): Promise<void> {
    try {
      await cache.set(endpoint.fullPath, params, raw, lookup);
    } catch (error) {
      if (this.#cacheWarned) return;
      this.#cacheWarned = true;
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.#warn(
        `The proxy response cache at ${cache.dir} cannot be written (${reason}); calls go on without it. Set LLLM_CACHE_DIR to a writable folder, or pass cache: false.`,
      );
    }
  }

  #postProcess(endpoint: ProxyEndpoint, raw: unknown, params: Record<string, unknown>, cutoff: Cutoff | undefined): unknown {
    let value = raw;
    for (const removeKey of endpoint.removeKeys) value = removeKeyPath(value, removeKey);
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
    const own = this.cutoff;
    if (override === undefined || override === null) return own;
    const requested = parseCutoff(override);
    return own && own.beforeMs < requested.beforeMs ? own : requested;
  }

  #apiKeyProblem(definition: ProxyDefinition): string | undefined {
    const spec = definition.apiKey;
    if (!spec || spec.optional || this.#env[spec.env]) return undefined;
    return `its API key variable ${spec.env} is not set (export ${spec.env}=… or mark the key optional)`;
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

  /** An overview of the activated proxies, for a system prompt: with each one's enumerations and additional docs, as upstream. */
  apiCatalog(): string {
    return renderApiCatalog(this.proxies());
  }

  /** Each activated proxy's endpoints by category, with one line each, then its enumerations and additional docs (as upstream). */
  apiDirectory(proxies?: readonly string[]): string {
    return renderApiDirectory(this.proxies().filter((definition) => !proxies || proxies.includes(definition.path)));
  }

  /** Every activated endpoint path with its method and name, one per line. */
  endpointDirectory(proxies?: readonly string[]): string {
    return renderEndpointDirectory(this.endpoints(proxies));
  }

  /**
   * Full docs of endpoints: parameters with types, required marks, descriptions and examples, and an
   * example response; a parameter named in the proxy's `enums` lists its values. A proxy path or
   * `proxy/category` gives every endpoint below it; an unknown path gets the closest matches. With
   * `additionalDocs`, each proxy's additional docs follow its endpoints (once per proxy).
   */
  retrieveApiDocs(paths: readonly string[], options: ApiDocsOptions = {}): string {
    const all = this.endpoints();
    const sections: string[] = [];
    const documented = new Set<string>();
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
      for (const endpoint of below) {
        const definition = this.#active.get(endpoint.proxyPath) as ProxyDefinition;
        sections.push(renderEndpointDocs(endpoint, this.cutoff?.iso, definition.enums));
        documented.add(endpoint.proxyPath);
      }
    }
    if (options.additionalDocs) {
      for (const proxyPath of documented) {
        const extra = renderAdditionalDocs(this.#active.get(proxyPath) as ProxyDefinition, '##');
        if (extra) sections.push(extra);
      }
    }
    return sections.join('\n\n');
  }

  /**
   * Call every endpoint (or those under `paths`) with its example parameters and report
   * passed/failed per `proxy/category`, with a progress bar on `stream`. Endpoints whose required
   * parameters have no example are skipped, and so are the first `skip` (upstream's `skip_k`).
   * Every call goes to the API (`fresh`); its response is stored in the cache.
   */
  async autoTest(options: AutoTestOptions = {}): Promise<AutoTestReport> {
    const skip = options.skip ?? 0;
    if (!Number.isInteger(skip) || skip < 0) {
      throw new InvalidArgumentError(`autoTest: skip must be a whole number of endpoints (0 or more), got ${JSON.stringify(skip)}.`, {
        argument: 'skip',
      });
    }
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
    for (const [index, endpoint] of selected.entries()) {
      throwIfAborted(options.signal);
      const category = `${endpoint.proxyPath}/${endpoint.category}`;
      const tally = byCategory[category] ?? { passed: 0, failed: 0, skipped: 0 };
      byCategory[category] = tally;
      const started = performance.now();
      const missing = endpoint.required.filter((name) => !(name in endpoint.examples));
      let result: AutoTestResult;
      if (index < skip) {
        result = { path: endpoint.fullPath, category, status: 'skipped', error: `one of the first ${skip} (skip)`, ms: 0 };
      } else if (missing.length > 0) {
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
