import {
  AbortError,
  type FailedAttempt,
  InvalidArgumentError,
  LllmError,
  ProviderError,
  type ProviderErrorKind,
  type RateLimitBudget,
  RequestDeadline,
  redactSecrets,
  redactString,
  throwIfAborted,
  toAbortError,
} from '@lllm/core';
import { type BackoffOptions, backoffDelay, parseRetryAfter, raceAbort } from '@lllm/core/utils';
import { record } from './responses-reply.js';
import { withoutImages } from './screenshot-data.js';

/**
 * The part of an OpenAI client the loop uses: `responses.create(body, { signal })`. Pass an `openai`
 * `OpenAI` instance (or any client with a compatible method, e.g. one pointed at a local server).
 */
export interface ResponsesClient {
  readonly responses: {
    // `never` parameters accept any client's exact parameter types; the loop builds wire-format bodies.
    create(body: never, options?: never): PromiseLike<unknown>;
  };
}

/** A model request that failed: retried after `waitMs`, or the one that ended the run. */
export interface ComputerUseAttempt {
  /** The step (1-based) the request was for. */
  readonly step: number;
  readonly kind: ProviderErrorKind;
  readonly statusCode: number | undefined;
  /** The error message (secrets redacted). */
  readonly error: string;
  readonly isRetryable: boolean;
  /** The wait before the next attempt; absent when the loop gave up. */
  readonly waitMs: number | undefined;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** How requests are sent and retried (the agent call's policy). */
export interface RequestPolicy {
  readonly client: ResponsesClient;
  /** Retries of one request after a transient fault (default 3). */
  readonly maxLlmRecall?: number;
  /** The longest wait for a whole reply, in ms (default 120,000, as core's agent call; `0`: no limit). */
  readonly timeoutMs?: number;
  readonly rateLimit?: RateLimitBudget;
  readonly backoff?: BackoffOptions;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random: () => number;
}

/** The rate-limit budget spent during one `run()`/`resume()`. */
export interface RunBudget {
  rateLimitWaits: number;
  rateLimitWaitedMs: number;
}

/** One failed request, handed to the caller to record before the wait (or the error). */
export interface RequestFailure {
  readonly error: ProviderError;
  /** The response that arrived but cannot be used: it was still billed. */
  readonly billed: Record<string, unknown> | undefined;
  readonly attempt: ComputerUseAttempt;
  readonly failure: FailedAttempt;
}

/** What the caller does around failures of one request. */
export interface RequestHooks {
  /** The step (1-based) the request is for. */
  readonly step: number;
  /** Record a failure (checkpoint, log); awaited before the wait or the error. */
  onFailure(failure: RequestFailure): Promise<void>;
  /** The error that ends the run when a budget is spent, `detail` saying which and why. */
  budgetError(last: ProviderError, detail: string): ProviderError;
}

const DEFAULTS = {
  maxLlmRecall: 3,
  maxWaits: 8,
  maxTotalWaitMs: 300_000,
  // As core's agent call: four attempts of a stalled provider end in minutes, not in undici's 300 s each.
  timeoutMs: 120_000,
} as const;

/**
 * Map what the client threw to a `ProviderError`, the way `@lllm/openai` maps the `openai` SDK's
 * errors (by shape, so any compatible client works): 429 is a rate limit unless the quota is gone,
 * 5xx/408/409 are server faults, connection and timeout errors are transient, a response that could
 * not be read is a transient `invalid_response`, other 4xx fail at once.
 */
function toProviderError(error: unknown): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (LllmError.isInstance(error) && error.name !== 'AbortError') {
    return new ProviderError(error.message, { kind: 'client', isRetryable: false, provider: 'openai', cause: error });
  }
  const fields = record(error);
  // The openai SDK's errors keep `name` "Error"; their class names tell them apart.
  const name = error instanceof Error ? `${error.name} ${error.constructor.name}` : '';
  const message = error instanceof Error ? error.message : String(error);
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  const body = record(fields.error);
  const quota = [fields.code, fields.type, body.code, body.type].includes('insufficient_quota');
  let kind: ProviderErrorKind;
  if (status === 429) kind = quota ? 'client' : 'rate_limit';
  else if (status === 401 || status === 403) kind = 'authentication';
  else if (status !== undefined && (status >= 500 || status === 408 || status === 409)) kind = 'server';
  else if (status !== undefined) kind = 'client';
  else if (/Timeout/.test(name)) kind = 'timeout';
  // The client gave up by itself (our signals are checked before this): like a dropped connection.
  else if (/Connection|AbortError/.test(name) || AbortError.isInstance(error)) kind = 'connection';
  else kind = 'invalid_response';
  const headers = fields.headers as { get(name: string): string | null } | undefined;
  const hint = quota ? ' The account has no quota left: add credit or use another key; retrying will not help.' : '';
  const label = status ? ` (HTTP ${status})` : kind === 'invalid_response' ? ' (the response could not be read)' : '';
  return new ProviderError(redactString(`Responses API request failed${label}: ${message}${hint}`), {
    kind,
    statusCode: status,
    isRetryable: kind === 'rate_limit' || kind === 'server' || kind === 'timeout' || kind === 'connection' || kind === 'invalid_response',
    retryAfterMs: headers && typeof headers.get === 'function' ? parseRetryAfter(headers) : undefined,
    requestId: typeof fields.requestID === 'string' ? fields.requestID : undefined,
    provider: 'openai',
    body: fields.error === undefined ? undefined : redactSecrets(fields.error),
    cause: error,
  });
}

/** Why a response that arrived cannot be used, or undefined when it can. */
function responseProblem(response: Record<string, unknown>): ProviderError | undefined {
  if (typeof response.id !== 'string' || !Array.isArray(response.output)) {
    return new ProviderError('The Responses API answered without an id and an output list.', {
      kind: 'invalid_response',
      provider: 'openai',
      body: redactSecrets(withoutImages(response)),
    });
  }
  const calls = response.output.map(record).some((item) => item.type === 'computer_call' && typeof item.call_id === 'string');
  if ((response.status === 'failed' || response.status === 'incomplete') && !calls) {
    const reason = record(response.incomplete_details).reason ?? record(response.error).message ?? response.status;
    return new ProviderError(`The Responses API returned a ${String(response.status)} response: ${String(reason)}.`, {
      kind: 'invalid_response',
      provider: 'openai',
      body: redactSecrets(withoutImages(response)),
    });
  }
  return undefined;
}

/**
 * Sends Responses API requests with the agent-call fault policy: a 429 waits (its `retry-after`, else
 * backoff) within the run's rate-limit budget; 5xx, connection, timeout and unreadable replies are
 * retried with backoff up to `maxLlmRecall` times; anything else fails at once. Each request has
 * core's `RequestDeadline`: passing `timeoutMs` is a `timeout` fault.
 */
export class ResponsesRequester {
  readonly maxLlmRecall: number;
  readonly timeoutMs: number;
  readonly #policy: RequestPolicy;

  constructor(policy: RequestPolicy) {
    this.#policy = policy;
    this.maxLlmRecall = policy.maxLlmRecall ?? DEFAULTS.maxLlmRecall;
    this.timeoutMs = policy.timeoutMs ?? DEFAULTS.timeoutMs;
    if (!Number.isInteger(this.maxLlmRecall) || this.maxLlmRecall < 0) {
      throw new InvalidArgumentError(`maxLlmRecall must be a whole number >= 0, got ${policy.maxLlmRecall}.`, {
        argument: 'maxLlmRecall',
      });
    }
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs < 0) {
      throw new InvalidArgumentError(
        `timeoutMs must be a number of milliseconds >= 0 (0: no limit), got ${policy.timeoutMs}. The default is ${DEFAULTS.timeoutMs}.`,
        { argument: 'timeoutMs' },
      );
    }
  }

  /**
   * Send `body` until a usable response arrives or a budget is spent. Every failure goes to
   * `hooks.onFailure` before the wait, so an exhausted budget leaves a complete, resumable record.
   */
  async send(
    body: Record<string, unknown>,
    budget: RunBudget,
    signal: AbortSignal | undefined,
    hooks: RequestHooks,
  ): Promise<{ response: Record<string, unknown>; failures: FailedAttempt[] }> {
    const { client, backoff, random } = this.#policy;
    const failures: FailedAttempt[] = [];
    const create = client.responses.create as (body: unknown, options?: unknown) => PromiseLike<unknown>;
    for (let recall = 0; ; ) {
      throwIfAborted(signal);
      // Replies are not streamed: the deadline times the whole reply.
      const deadline = new RequestDeadline({ timeoutMs: this.timeoutMs, streamIdleTimeoutMs: 0 });
      const requestSignal = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal;
      let error: ProviderError;
      let billed: Record<string, unknown> | undefined;
      try {
        const pending = Promise.resolve(create.call(client.responses, body, { signal: requestSignal }));
        const response = record(await raceAbort(pending, requestSignal));
        const problem = responseProblem(response);
        if (!problem) return { response, failures };
        error = problem;
        billed = response;
      } catch (thrown) {
        if (signal?.aborted) throw toAbortError(signal.reason);
        error = this.#asProviderError(thrown, deadline);
      } finally {
        deadline.clear();
      }

      let waitMs: number | undefined;
      let giveUp: ProviderError | undefined;
      if (!error.isRetryable) giveUp = error;
      else if (error.kind === 'rate_limit') {
        budget.rateLimitWaits += 1;
        const wait = error.retryAfterMs ?? backoffDelay(budget.rateLimitWaits, backoff, random);
        const maxWaits = this.#policy.rateLimit?.maxWaits ?? DEFAULTS.maxWaits;
        const maxTotal = this.#policy.rateLimit?.maxTotalWaitMs ?? DEFAULTS.maxTotalWaitMs;
        if (budget.rateLimitWaits > maxWaits || budget.rateLimitWaitedMs + wait > maxTotal) {
          giveUp = hooks.budgetError(
            error,
            `rate limited ${budget.rateLimitWaits} times; waiting ${wait} ms more would pass the rate-limit budget (${maxWaits} waits, ${maxTotal} ms in total). Lower the request rate or raise rateLimit.maxWaits / maxTotalWaitMs`,
          );
        } else {
          budget.rateLimitWaitedMs += wait;
          waitMs = wait;
        }
      } else {
        recall += 1;
        if (recall > this.maxLlmRecall) {
          giveUp = hooks.budgetError(
            error,
            `the request failed ${recall} times in a row (maxLlmRecall ${this.maxLlmRecall}). Last error: ${error.message}`,
          );
        } else waitMs = backoffDelay(recall, backoff, random);
      }

      const attempt: ComputerUseAttempt = {
        step: hooks.step,
        kind: error.kind,
        statusCode: error.statusCode,
        error: error.message,
        isRetryable: error.isRetryable,
        waitMs,
        at: Date.now(),
      };
      const failure: FailedAttempt = {
        kind: 'provider',
        error: error.message,
        at: attempt.at,
        ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      };
      failures.push(failure);
      await hooks.onFailure({ error, billed, attempt, failure });
      if (giveUp) throw giveUp;
      await raceAbort(this.#policy.sleep(waitMs ?? 0, signal), signal);
    }
  }

  #asProviderError(thrown: unknown, deadline: RequestDeadline): ProviderError {
    if (deadline.reason && !ProviderError.isInstance(thrown)) {
      return new ProviderError(
        `The Responses API request timed out after ${deadline.limitMs} ms without a reply (timeoutMs). A slow model may need more: raise the computer-use agent's timeoutMs (0: no limit).`,
        { kind: 'timeout', provider: 'openai', cause: thrown },
      );
    }
    return toProviderError(thrown);
  }
}
