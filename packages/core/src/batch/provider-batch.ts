import { AbortError, InvalidArgumentError, ProviderError, toAbortError } from '../errors.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../invoker.js';
import { sleep } from '../retry.js';

/**
 * Sends many model requests as one provider batch job — the OpenAI Batch API (a JSONL file and
 * `/v1/batches`) or Anthropic Message Batches — and waits for it to end. Jobs are cheaper (half
 * price) and slower (minutes to hours). Provider packages implement it.
 */
export interface BatchSubmitter {
  /** A label for logs and errors, e.g. `openai-batch`. */
  readonly name: string;
  /** The name of the live invoker whose requests it can send (e.g. `openai-chat`): agents using another invoker stay live. */
  readonly invokerName: string;
  /** The most requests one job may hold. */
  readonly maxRequests: number;
  /**
   * Submit `requests` as one job and wait for it: one entry per request, in order — its result, or
   * the `ProviderError` the job gave it (expired, cancelled, an error response). Aborting cancels the job.
   */
  run(requests: readonly InvokeRequest[], signal: AbortSignal): Promise<(InvokeResult | ProviderError)[]>;
}

/** Options of `createBatchingInvoker`. */
export interface BatchingInvokerOptions {
  /** How long to collect requests before submitting a job (default 250 ms): calls starting together share one. */
  readonly windowMs?: number;
  /** Submit at once when this many are waiting (default: the submitter's `maxRequests`). */
  readonly maxBatchSize?: number;
}

interface Waiting {
  readonly request: InvokeRequest;
  readonly signal: AbortSignal;
  readonly resolve: (result: InvokeResult) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
}

/**
 * An invoker that collects the requests made within `windowMs` and sends them as one provider batch
 * job. Each request's promise settles with its own entry of the job; a request whose signal aborts
 * rejects at once (the job is cancelled when every request in it was aborted).
 */
export function createBatchingInvoker(submitter: BatchSubmitter, options: BatchingInvokerOptions = {}): Invoker & { pending(): number } {
  const windowMs = options.windowMs ?? 250;
  const maxBatchSize = Math.min(options.maxBatchSize ?? submitter.maxRequests, submitter.maxRequests);
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new InvalidArgumentError(`maxBatchSize must be a whole number >= 1, got ${String(options.maxBatchSize)}.`, {
      argument: 'maxBatchSize',
    });
  }
  let waiting: Waiting[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  const submit = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const job = waiting.filter((entry) => !entry.settled);
    waiting = [];
    if (job.length === 0) return;
    const controller = new AbortController();
    const onAbort = () => {
      if (job.every((entry) => entry.settled)) controller.abort(new AbortError('Every request of the batch job was aborted.'));
    };
    for (const entry of job) entry.signal.addEventListener('abort', onAbort, { once: true });
    submitter
      .run(
        job.map((entry) => entry.request),
        controller.signal,
      )
      .then(
        (results) => {
          for (const [index, entry] of job.entries()) {
            const result = results[index];
            if (entry.settled) continue;
            entry.settled = true;
            if (result === undefined) {
              entry.reject(
                new ProviderError(`${submitter.name}: the batch job returned no result for request ${index}.`, {
                  kind: 'invalid_response',
                  provider: submitter.name,
                }),
              );
            } else if (ProviderError.isInstance(result)) entry.reject(result);
            else entry.resolve(atBatchRate(result));
          }
        },
        (error: unknown) => {
          for (const entry of job) {
            if (entry.settled) continue;
            entry.settled = true;
            entry.reject(error);
          }
        },
      )
      .finally(() => {
        for (const entry of job) entry.signal.removeEventListener('abort', onAbort);
      });
  };

  return {
    name: submitter.name,
    pending: () => waiting.length,
    invoke(request, signal) {
      if (signal.aborted) return Promise.reject(toAbortError(signal.reason));
      return new Promise<InvokeResult>((resolve, reject) => {
        const entry: Waiting = { request, signal, resolve, reject, settled: false };
        signal.addEventListener(
          'abort',
          () => {
            if (entry.settled) return;
            entry.settled = true;
            reject(toAbortError(signal.reason));
          },
          { once: true },
        );
        waiting.push(entry);
        if (waiting.length >= maxBatchSize) submit();
        else timer ??= setTimeout(submit, windowMs);
      });
    },
  };
}

/**
 * A result of a batch job, its usage marked `batch: true` so its cost is priced at the model card's
 * batch rate (half price by default) wherever it is counted: `Cost`, spend caps, session summaries, replays.
 */
export function atBatchRate(result: InvokeResult): InvokeResult {
  if (!result.usage || result.usage.batch === true) return result;
  return { ...result, usage: { ...result.usage, batch: true } };
}

/**
 * An invoker whose first request goes through `first` (a batching invoker) and every later one
 * through `live`: a reply from a batch job that fails to parse, or asks for a tool, continues live.
 */
export function firstRequestThrough(first: Invoker, live: Invoker): Invoker {
  let used = false;
  return {
    name: live.name,
    invoke(request, signal) {
      if (used) return live.invoke(request, signal);
      used = true;
      return first.invoke(request, signal);
    },
  };
}

/** Poll `check` every `intervalMs` until it returns a value, within `maxWaitMs`; abortable. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { intervalMs: number; maxWaitMs: number; signal: AbortSignal; what: string; provider: string },
): Promise<T> {
  const started = Date.now();
  // Bounded by maxWaitMs (and the signal).
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - started + options.intervalMs > options.maxWaitMs) {
      throw new ProviderError(
        `${options.provider}: ${options.what} did not end within ${options.maxWaitMs} ms. Raise maxWaitMs, or look it up later by its id.`,
        { kind: 'timeout', provider: options.provider, isRetryable: false },
      );
    }
    await sleep(options.intervalMs, options.signal);
  }
}
