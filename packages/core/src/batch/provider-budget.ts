import { InvalidArgumentError } from '../errors.js';
import { findModelCard } from '../model-card.js';
import { processRegistry } from '../process-registry.js';
import { parseRetryAfter, sleep } from '../retry.js';

/** Request and token rates a provider allows for one model. */
export interface RateLimits {
  /** Requests per minute. */
  readonly requestsPerMinute?: number | undefined;
  /** Tokens (input + output) per minute. */
  readonly tokensPerMinute?: number | undefined;
}

/** A header bag: `Headers`, or a plain record with lower-case names. */
export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string | undefined>>;

/** The state of one budget key, for progress displays and tests. */
export interface BudgetState {
  readonly limits: RateLimits;
  /** Requests that may start now without waiting. */
  readonly availableRequests: number;
  readonly availableTokens: number;
  /** Until when (ms since the epoch) every request of this key waits, after a 429 or an exhausted limit. */
  readonly pausedUntil: number;
  /** 429s reported for this key. */
  readonly rateLimited: number;
}

/**
 * Request and token budgets shared by every call of a process (or, in another implementation, of a
 * fleet of workers), keyed by `provider:model`. Every model request acquires from it first; a 429 or
 * an exhausted `x-ratelimit-remaining-*` header slows every caller of the key, not only the one
 * that got it. `@lllm/core` implements it in memory; a distributed one plugs in the same way.
 */
export interface ProviderBudget {
  /** Wait until a request of about `estimatedTokens` may start under `key`'s limits. */
  acquire(key: string, estimatedTokens: number, signal?: AbortSignal): Promise<void>;
  /** Correct the token budget once the reply's real usage is known. */
  settle(key: string, estimatedTokens: number, actualTokens: number): void;
  /** A request under `key` got a 429: pause every request of the key for `retryAfterMs` (or a backoff). */
  rateLimited(key: string, retryAfterMs?: number): void;
  /** Read a provider's rate-limit headers (`x-ratelimit-*`, `anthropic-ratelimit-*`, `retry-after`) from any response. */
  observe(key: string, headers: HeaderSource, status?: number): void;
  /** Set (or clear, with `{}`) the limits of `key`; configured limits win over what headers report. */
  setLimits(key: string, limits: RateLimits): void;
  /** The state of every key seen. */
  snapshot(): Record<string, BudgetState>;
}

/** The budget key of a request: `provider:model`, the provider from the model card when there is one. */
export function budgetKey(model: string, fallbackProvider: string): string {
  return `${findModelCard(model)?.provider ?? fallbackProvider}:${model}`;
}

interface KeyState {
  configured: RateLimits;
  learned: RateLimits;
  requests: number;
  tokens: number;
  refilledAt: number;
  pausedUntil: number;
  rateLimited: number;
  /** Consecutive 429s without a success, for the backoff when no retry-after was given. */
  strikes: number;
  lastRateLimitAt: number;
}

const MINUTE = 60_000;
/** The pause after a 429 that names no retry-after: grows with consecutive 429s. */
const DEFAULT_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 60_000;

/** A `ProviderBudget` kept in this process: token buckets per key, refilled continuously. */
export class LocalProviderBudget implements ProviderBudget {
  readonly #keys = new Map<string, KeyState>();
  readonly #now: () => number;
  readonly #maxWaitMs: number;

  constructor(options: { now?: () => number /** The longest one acquire may wait (default 600,000 ms). */; maxWaitMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxWaitMs = options.maxWaitMs ?? 600_000;
  }

  setLimits(key: string, limits: RateLimits): void {
    for (const [name, value] of Object.entries(limits)) {
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new InvalidArgumentError(`Rate limit ${name} for "${key}" must be a number > 0, got ${String(value)}.`, { argument: name });
      }
    }
    const state = this.#state(key);
    state.configured = { ...limits };
    const effective = this.#limits(state);
    state.requests = Math.min(state.requests, effective.requestsPerMinute ?? Number.POSITIVE_INFINITY);
    state.tokens = Math.min(state.tokens, effective.tokensPerMinute ?? Number.POSITIVE_INFINITY);
  }

  async acquire(key: string, estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    const state = this.#state(key);
    const started = this.#now();
    // Bounded: each pass either takes the budget or sleeps until it should be there; maxWaitMs ends it.
    for (;;) {
      const wait = this.#tryTake(state, estimatedTokens);
      if (wait === 0) return;
      if (this.#now() - started + wait > this.#maxWaitMs) {
        throw new InvalidArgumentError(
          `Waiting for the rate-limit budget of "${key}" would pass ${this.#maxWaitMs} ms (limits ${JSON.stringify(this.#limits(state))}). Raise the limits or lower the concurrency.`,
          { argument: 'rateLimits' },
        );
      }
      await sleep(wait, signal);
    }
  }

  settle(key: string, estimatedTokens: number, actualTokens: number): void {
    const state = this.#state(key);
    state.strikes = 0;
    const limit = this.#limits(state).tokensPerMinute;
    if (limit === undefined) return;
    state.tokens = Math.min(limit, state.tokens + estimatedTokens - actualTokens);
  }

  rateLimited(key: string, retryAfterMs?: number): void {
    const state = this.#state(key);
    const now = this.#now();
    // The same 429 may be reported twice (by rateLimitFetch from the response, then by the invoker from
    // the error): one that ends the same pause, reported at the same moment, is counted once.
    const pause = retryAfterMs ?? Math.min(MAX_PAUSE_MS, DEFAULT_PAUSE_MS * 2 ** state.strikes);
    const repeat = now - state.lastRateLimitAt < 50 && Math.abs(now + pause - state.pausedUntil) < 100;
    state.lastRateLimitAt = now;
    if (repeat) return;
    state.rateLimited += 1;
    state.strikes += 1;
    state.pausedUntil = Math.max(state.pausedUntil, now + pause);
    // What was left of the minute's budget is evidently not there: start again from empty.
    state.requests = Math.min(state.requests, 0);
  }

  observe(key: string, headers: HeaderSource, status?: number): void {
    const get = headerGetter(headers);
    const state = this.#state(key);
    const now = this.#now();
    for (const kind of ['requests', 'tokens'] as const) {
      const limit = numberOf(get(`x-ratelimit-limit-${kind}`) ?? get(`anthropic-ratelimit-${kind}-limit`));
      const remaining = numberOf(get(`x-ratelimit-remaining-${kind}`) ?? get(`anthropic-ratelimit-${kind}-remaining`));
      const reset = resetMs(get(`x-ratelimit-reset-${kind}`) ?? get(`anthropic-ratelimit-${kind}-reset`), now);
      const field = kind === 'requests' ? 'requestsPerMinute' : 'tokensPerMinute';
      if (limit !== undefined && limit > 0) state.learned = { ...state.learned, [field]: limit };
      if (remaining !== undefined) {
        this.#refill(state);
        if (kind === 'requests') state.requests = Math.min(state.requests, remaining);
        else state.tokens = Math.min(state.tokens, remaining);
        if (remaining <= 0 && reset !== undefined) state.pausedUntil = Math.max(state.pausedUntil, now + reset);
      }
    }
    if (status === 429) this.rateLimited(key, parseRetryAfter(headers, now));
  }

  snapshot(): Record<string, BudgetState> {
    const out: Record<string, BudgetState> = {};
    for (const [key, state] of this.#keys) {
      this.#refill(state);
      out[key] = {
        limits: this.#limits(state),
        availableRequests: state.requests,
        availableTokens: state.tokens,
        pausedUntil: state.pausedUntil,
        rateLimited: state.rateLimited,
      };
    }
    return out;
  }

  /** 0 when the request may start (and its budget was taken), else the ms to wait before trying again. */
  #tryTake(state: KeyState, estimatedTokens: number): number {
    const now = this.#now();
    if (state.pausedUntil > now) return state.pausedUntil - now;
    this.#refill(state);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.#limits(state);
    if (rpm !== undefined && state.requests < 1) return Math.max(1, Math.ceil(((1 - state.requests) * MINUTE) / rpm));
    // A request bigger than the whole minute's budget waits for a full bucket, then goes.
    const tokens = tpm === undefined ? 0 : Math.min(estimatedTokens, tpm);
    if (tpm !== undefined && state.tokens < tokens) return Math.max(1, Math.ceil(((tokens - state.tokens) * MINUTE) / tpm));
    if (rpm !== undefined) state.requests -= 1;
    if (tpm !== undefined) state.tokens -= tokens;
    return 0;
  }

  #refill(state: KeyState): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - state.refilledAt);
    state.refilledAt = now;
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.#limits(state);
    state.requests = rpm === undefined ? Number.POSITIVE_INFINITY : Math.min(rpm, finite(state.requests, rpm) + (elapsed * rpm) / MINUTE);
    state.tokens = tpm === undefined ? Number.POSITIVE_INFINITY : Math.min(tpm, finite(state.tokens, tpm) + (elapsed * tpm) / MINUTE);
  }

  #limits(state: KeyState): RateLimits {
    return {
      requestsPerMinute: state.configured.requestsPerMinute ?? state.learned.requestsPerMinute,
      tokensPerMinute: state.configured.tokensPerMinute ?? state.learned.tokensPerMinute,
    };
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      const model = key.slice(key.indexOf(':') + 1);
      const card = findModelCard(model)?.rateLimits;
      state = {
        configured: card ? { ...card } : {},
        learned: {},
        requests: Number.POSITIVE_INFINITY,
        tokens: Number.POSITIVE_INFINITY,
        refilledAt: this.#now(),
        pausedUntil: 0,
        rateLimited: 0,
        strikes: 0,
        lastRateLimitAt: Number.NEGATIVE_INFINITY,
      };
      this.#keys.set(key, state);
      this.#refill(state);
    }
    return state;
  }
}

/** A bucket that was unlimited starts full when a limit appears. */
function finite(value: number, limit: number): number {
  return Number.isFinite(value) ? value : limit;
}

function headerGetter(headers: HeaderSource): (name: string) => string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (name) => (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  return (name) => (headers as Record<string, string | undefined>)[name];
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * A reset header in ms from now: OpenAI's durations (`1s`, `6m0s`, `20ms`, `1h2m3.5s`), Anthropic's
 * RFC 3339 times, or plain seconds.
 */
export function resetMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/.exec(text);
  if (duration && text !== '') {
    const [, hours, minutes, seconds, millis] = duration;
    return Math.round(Number(hours ?? 0) * 3_600_000 + Number(minutes ?? 0) * 60_000 + Number(seconds ?? 0) * 1000 + Number(millis ?? 0));
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The budget every call of this process shares (a process-wide registry entry). */
export function providerBudget(): ProviderBudget {
  return processRegistry('provider-budget', () => ({ current: new LocalProviderBudget() as ProviderBudget })).current;
}

/** Replace the process-wide budget (e.g. with one shared by a fleet of workers). */
export function setProviderBudget(budget: ProviderBudget): void {
  processRegistry('provider-budget', () => ({ current: budget })).current = budget;
}
