import { type BudgetState, findModelCard, type HeaderSource, InvalidArgumentError, type ProviderBudget, type RateLimits } from '@lllm/core';
import { parseRetryAfter, resetMs, sleep } from '@lllm/core/utils';
import type { Redis } from 'ioredis';
import { runScript } from './connection.js';
import { budgetBucketKey } from './keys.js';
import { BUCKET_OBSERVE, BUCKET_RATE_LIMITED, BUCKET_READ, BUCKET_SETTLE, BUCKET_TAKE } from './scripts.js';

/** Options of `RedisProviderBudget`. */
export interface RedisProviderBudgetOptions {
  /** The longest one acquire may wait (default 600,000 ms), as core's local budget. */
  readonly maxWaitMs?: number;
  /**
   * For a key with no request or token limit, only a 429's pause is shared: Redis is asked at most
   * this often whether one is on (default 100 ms), so a 429 seen by one worker holds the others
   * within this long, and an unlimited key costs no Redis round trip per request.
   */
  readonly pauseCheckMs?: number;
  /** Called when a background update (settle, 429, headers) could not reach Redis. */
  readonly onError?: (error: unknown) => void;
}

interface KeyLimits {
  configured: RateLimits;
  learned: RateLimits;
  /** For a key without limits: when Redis last said it is not paused, and until when it is paused (local clock). */
  checkedAt: number;
  pausedUntil: number;
  /** This process reported a 429 since its last settle (the next settle resets the backoff in Redis). */
  struck: boolean;
  /** The last state read from Redis (for `snapshot`). */
  seen: { requests: number; tokens: number; pausedUntil: number; rateLimited: number };
}

/**
 * Core's `ProviderBudget` kept in Redis: one token bucket per `provider:model` shared by every
 * process that uses the same Redis, so requests and tokens per minute, and the pause after a 429,
 * hold across a fleet of workers. The arithmetic is core's `LocalProviderBudget`'s, run as Lua
 * scripts with Redis's clock. Install it in a worker with `setProviderBudget(budget)`.
 */
export class RedisProviderBudget implements ProviderBudget {
  readonly #redis: Redis;
  readonly #keys = new Map<string, KeyLimits>();
  readonly #maxWaitMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #pauseCheckMs: number;

  constructor(redis: Redis, options: RedisProviderBudgetOptions = {}) {
    this.#redis = redis;
    this.#maxWaitMs = options.maxWaitMs ?? 600_000;
    this.#onError = options.onError ?? (() => {});
    this.#pauseCheckMs = options.pauseCheckMs ?? 100;
  }

  setLimits(key: string, limits: RateLimits): void {
    for (const [name, value] of Object.entries(limits)) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new InvalidArgumentError(`Rate limit ${name} for "${key}" must be a number > 0, got ${String(value)}.`, { argument: name });
      }
    }
    this.#state(key).configured = { ...limits };
  }

  async acquire(key: string, estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    const state = this.#state(key);
    const limits = this.#limits(key);
    const unlimited = limits.requestsPerMinute === undefined && limits.tokensPerMinute === undefined;
    // Bounded: each pass takes the budget or sleeps as long as Redis says; maxWaitMs ends it.
    for (;;) {
      const now = Date.now();
      if (unlimited && now - state.checkedAt < this.#pauseCheckMs && state.pausedUntil <= now) return;
      const wait = Number(await runScript(this.#redis, BUCKET_TAKE, [budgetBucketKey(key)], [...this.#limitArgs(key), estimatedTokens]));
      if (unlimited) {
        state.checkedAt = wait === 0 ? Date.now() : 0;
        state.pausedUntil = wait === 0 ? 0 : Date.now() + wait;
      }
      if (wait === 0) return;
      if (Date.now() - started + wait > this.#maxWaitMs) {
        throw new InvalidArgumentError(
          `Waiting for the shared rate-limit budget of "${key}" would pass ${this.#maxWaitMs} ms (limits ${JSON.stringify(this.#limits(key))}). Raise the limits or lower the concurrency.`,
          { argument: 'rateLimits' },
        );
      }
      await sleep(wait, signal);
    }
  }

  settle(key: string, estimatedTokens: number, actualTokens: number): void {
    const state = this.#state(key);
    // Nothing to settle without a token limit, unless this process's 429 left a backoff to reset.
    if (this.#limits(key).tokensPerMinute === undefined && !state.struck) return;
    state.struck = false;
    this.#background(
      runScript(this.#redis, BUCKET_SETTLE, [budgetBucketKey(key)], [...this.#limitArgs(key), estimatedTokens - actualTokens]),
    );
  }

  rateLimited(key: string, retryAfterMs?: number): void {
    const state = this.#state(key);
    state.struck = true;
    state.checkedAt = 0;
    this.#background(
      runScript(
        this.#redis,
        BUCKET_RATE_LIMITED,
        [budgetBucketKey(key)],
        [...this.#limitArgs(key), retryAfterMs === undefined ? '' : retryAfterMs],
      ),
    );
  }

  observe(key: string, headers: HeaderSource, status?: number): void {
    const get =
      typeof (headers as { get?: unknown }).get === 'function'
        ? (name: string) => (headers as { get(name: string): string | null }).get(name) ?? undefined
        : (name: string) => (headers as Record<string, string | undefined>)[name];
    const state = this.#state(key);
    const remaining: Record<'requests' | 'tokens', number | undefined> = { requests: undefined, tokens: undefined };
    let pause: number | undefined;
    for (const kind of ['requests', 'tokens'] as const) {
      const limit = numberOf(get(`x-ratelimit-limit-${kind}`) ?? get(`anthropic-ratelimit-${kind}-limit`));
      const left = numberOf(get(`x-ratelimit-remaining-${kind}`) ?? get(`anthropic-ratelimit-${kind}-remaining`));
      const reset = resetMs(get(`x-ratelimit-reset-${kind}`) ?? get(`anthropic-ratelimit-${kind}-reset`));
      if (limit !== undefined && limit > 0)
        state.learned = { ...state.learned, [kind === 'requests' ? 'requestsPerMinute' : 'tokensPerMinute']: limit };
      remaining[kind] = left;
      if (left !== undefined && left <= 0 && reset !== undefined) pause = Math.max(pause ?? 0, reset);
    }
    if (pause !== undefined) state.checkedAt = 0;
    if (remaining.requests !== undefined || remaining.tokens !== undefined || pause !== undefined) {
      this.#background(
        runScript(
          this.#redis,
          BUCKET_OBSERVE,
          [budgetBucketKey(key)],
          [...this.#limitArgs(key), remaining.requests ?? '', remaining.tokens ?? '', pause ?? ''],
        ),
      );
    }
    if (status === 429) this.rateLimited(key, parseRetryAfter(headers));
  }

  /** The last state seen of every key; `refresh()` reads it from Redis first. */
  snapshot(): Record<string, BudgetState> {
    const out: Record<string, BudgetState> = {};
    for (const [key, state] of this.#keys) {
      out[key] = {
        limits: this.#limits(key),
        availableRequests: state.seen.requests,
        availableTokens: state.seen.tokens,
        pausedUntil: state.seen.pausedUntil,
        rateLimited: state.seen.rateLimited,
      };
    }
    return out;
  }

  /** Read every known key's bucket from Redis (for `snapshot`), after the background updates sent so far. */
  async refresh(): Promise<Record<string, BudgetState>> {
    await this.settled();
    for (const [key, state] of this.#keys) {
      const values = (await runScript(this.#redis, BUCKET_READ, [budgetBucketKey(key)], this.#limitArgs(key))) as string[];
      const [requests, tokens, pausedUntil, rateLimited] = values.map(Number);
      const limits = this.#limits(key);
      state.seen = {
        requests: limits.requestsPerMinute === undefined ? Number.POSITIVE_INFINITY : (requests ?? 0),
        tokens: limits.tokensPerMinute === undefined ? Number.POSITIVE_INFINITY : (tokens ?? 0),
        pausedUntil: pausedUntil ?? 0,
        rateLimited: rateLimited ?? 0,
      };
    }
    return this.snapshot();
  }

  /** Resolves once every background update sent so far reached Redis. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #background(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.#onError(error)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  #limitArgs(key: string): [number | '', number | ''] {
    const limits = this.#limits(key);
    return [limits.requestsPerMinute ?? '', limits.tokensPerMinute ?? ''];
  }

  #limits(key: string): RateLimits {
    const state = this.#state(key);
    return {
      requestsPerMinute: state.configured.requestsPerMinute ?? state.learned.requestsPerMinute,
      tokensPerMinute: state.configured.tokensPerMinute ?? state.learned.tokensPerMinute,
    };
  }

  #state(key: string): KeyLimits {
    let state = this.#keys.get(key);
    if (!state) {
      const card = findModelCard(key.slice(key.indexOf(':') + 1))?.rateLimits;
      state = {
        configured: card ? { ...card } : {},
        learned: {},
        checkedAt: 0,
        pausedUntil: 0,
        struck: false,
        seen: { requests: Number.POSITIVE_INFINITY, tokens: Number.POSITIVE_INFINITY, pausedUntil: 0, rateLimited: 0 },
      };
      this.#keys.set(key, state);
    }
    return state;
  }
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
