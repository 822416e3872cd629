// How a provider hands one non-streamed request's abort signal to an SDK client. The `openai` and
// `@anthropic-ai/sdk` clients compose every signal they are given (AbortSignal.any, listeners kept
// with weak references and finalization registries): under a few hundred concurrent requests that
// cost about a tenth of an agent call's CPU. Most requests need none of it.
import { LINKED_SIGNAL } from './fetch.js';

/** What the SDK is handed for one request: at most one of `signal`, `timeout`, `fetchOptions`. */
export interface SdkAbortOptions {
  readonly signal?: AbortSignal;
  readonly timeout?: number;
  readonly fetchOptions?: { readonly [LINKED_SIGNAL]: AbortSignal };
}

/**
 * The abort options of one request that is not streamed:
 * - when `signal` only enforces a time limit (`limitMs`, what is left of it; 0 for none), the SDK's own
 *   timeout does the same job: `{ timeout }`, or nothing when the client's own timeout is shorter;
 * - else, when the client's fetch reads `LINKED_SIGNAL` (`linked`), the signal goes to the fetch alone;
 * - else the SDK gets the signal.
 */
export function sdkAbortOptions(
  signal: AbortSignal,
  options: { readonly limitMs: number | undefined; readonly clientTimeoutMs: number; readonly linked: boolean },
): SdkAbortOptions {
  const { limitMs } = options;
  if (limitMs !== undefined) return limitMs > 0 && limitMs < options.clientTimeoutMs ? { timeout: limitMs } : {};
  if (options.linked) return { fetchOptions: { [LINKED_SIGNAL]: signal } };
  return { signal };
}
