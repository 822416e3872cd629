/** Marks a race lost to the clock. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * Resolve with `promise`'s value, or `TIMED_OUT` after `ms`; the timer is cleared either way so no
 * stray timer keeps the process alive. A rejection of `promise` propagates.
 */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
