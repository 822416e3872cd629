import { toAbortError } from './errors.js';

/** Exponential backoff settings for transient provider faults. */
export interface BackoffOptions {
  /** Delay before the first retry (default 1,000 ms). */
  readonly initialDelayMs?: number;
  /** The longest single delay (default 30,000 ms). */
  readonly maxDelayMs?: number;
  /** Growth per retry (default 2). */
  readonly multiplier?: number;
  /** Fraction of the delay removed at random, 0–1 (default 0.2), so clients do not retry in lockstep. */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (1-based). `random` returns a number in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 1_000;
  const max = options.maxDelayMs ?? 30_000;
  const multiplier = options.multiplier ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
  const base = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - jitter * random()));
}

/** Wait `ms`, rejecting with an `AbortError` as soon as `signal` fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(toAbortError(signal.reason));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(toAbortError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settle with `promise`, or reject with an `AbortError` as soon as `signal` fires, even if the
 * work behind `promise` ignores the signal.
 */
export function raceAbort<T>(promise: Promise<T> | T, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return Promise.resolve(promise);
  if (signal.aborted) return Promise.reject(toAbortError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(toAbortError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Parse an HTTP `Retry-After` (seconds or a date) or `retry-after-ms` header into milliseconds. */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | Readonly<Record<string, string | undefined>> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | null | undefined =>
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get(name)
      : ((headers as Record<string, string | undefined>)[name] ?? (headers as Record<string, string | undefined>)[name.toLowerCase()]);
  const milliseconds = get('retry-after-ms');
  if (milliseconds && Number.isFinite(Number(milliseconds))) return Math.max(0, Number(milliseconds));
  const value = get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
