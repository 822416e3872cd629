import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { redactSecrets } from '@lllm/core';

/** Where and how long responses are kept. */
export interface ProxyCacheOptions {
  /** Folder for cached responses (one JSON file per request, under a folder per proxy). Default: `defaultProxyCacheDir()`. */
  readonly dir?: string;
  /** How long a response stays fresh (default 24 hours). */
  readonly ttlMs?: number;
}

/**
 * Where the response cache lives when no folder is given: `$LLLM_CACHE_DIR/proxies`, else
 * `~/.lllm/cache/proxies` (upstream keeps its API cache under `$TMP_DIR/.cache`, by default `~/.lllm/.cache`).
 */
export function defaultProxyCacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const root = env.LLLM_CACHE_DIR?.trim();
  return join(root ? root : join(homedir(), '.lllm', 'cache'), 'proxies');
}

/** JSON with object keys sorted at every depth: the same parameters in any order give the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** Which request a cached response answers, besides its endpoint path and parameters. */
export interface ProxyCacheLookup {
  /**
   * The API the request went to (the proxy's base URL): as upstream keys its cache by the request URL,
   * the same endpoint of two servers (a test server, a staging API) never shares an entry.
   */
  readonly scope?: string;
  /** The time to judge freshness by (default now). */
  readonly now?: number;
}

/**
 * The response cache on disk. Its key is the endpoint path, the API's base URL and the canonical
 * (sorted) parameters — never the API key, which is not a parameter — and what it stores is
 * redacted of secrets.
 */
export class ProxyCache {
  readonly dir: string;
  readonly ttlMs: number;

  constructor(options: ProxyCacheOptions = {}) {
    this.dir = options.dir ?? defaultProxyCacheDir();
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
  }

  /** The cache key of a call. */
  key(fullPath: string, params: Readonly<Record<string, unknown>>, scope = ''): string {
    return createHash('sha256')
      .update(`${fullPath}\n${scope}\n${canonicalJson(params)}`)
      .digest('hex');
  }

  #file(fullPath: string, key: string): string {
    const proxy = fullPath.split('/')[0] ?? 'proxy';
    return join(this.dir, proxy, `${key}.json`);
  }

  /** A fresh cached response, or undefined. */
  async get(
    fullPath: string,
    params: Readonly<Record<string, unknown>>,
    lookup: ProxyCacheLookup = {},
  ): Promise<{ value: unknown } | undefined> {
    const key = this.key(fullPath, params, lookup.scope);
    const now = lookup.now ?? Date.now();
    try {
      const entry = JSON.parse(await readFile(this.#file(fullPath, key), 'utf8')) as { storedAt: number; path: string; response: unknown };
      if (entry.path !== fullPath || now - entry.storedAt > this.ttlMs) return undefined;
      return { value: entry.response };
    } catch {
      return undefined;
    }
  }

  /** Store a response (atomically: a reader never sees half a file). */
  async set(fullPath: string, params: Readonly<Record<string, unknown>>, response: unknown, lookup: ProxyCacheLookup = {}): Promise<void> {
    const key = this.key(fullPath, params, lookup.scope);
    const now = lookup.now ?? Date.now();
    const file = this.#file(fullPath, key);
    await mkdir(join(file, '..'), { recursive: true });
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const entry = redactSecrets({ storedAt: now, path: fullPath, params, response });
    await writeFile(temporary, JSON.stringify(entry));
    await rename(temporary, file);
  }

  /** Remove every cached response (of one proxy, when given). */
  async clear(proxyPath?: string): Promise<void> {
    await rm(proxyPath ? join(this.dir, proxyPath) : this.dir, { recursive: true, force: true });
  }
}
