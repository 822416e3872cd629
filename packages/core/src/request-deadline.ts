import { toAbortError } from './errors.js';

/** Which limit ended a request. */
export type DeadlineReason = 'request' | 'stream-idle';

/** The time limits of one provider request. `0` turns a limit off. */
export interface RequestLimits {
  /** Until the reply starts: the whole reply when not streaming, the first stream event when streaming. */
  readonly timeoutMs: number;
  /** The longest silence between two events of a streamed reply. */
  readonly streamIdleTimeoutMs: number;
}

/**
 * The deadline whose invoker call is being started (set only while `RequestDeadline.start` runs the
 * invoker's synchronous part). Marking the signal itself (a property on the host object) cost about a
 * microsecond per request.
 */
let starting: RequestDeadline | undefined;

/**
 * For invokers: when `signal` is the agent's deadline for one request and nothing more (the caller
 * passed no signal of its own), the time limit it enforces; else `undefined`. Call it before the
 * invoker's first `await` (in the synchronous part of `invoke`); later it answers `undefined`, which
 * is always safe: the invoker then hands its client the signal.
 *
 * A client that has its own per-request timeout can be handed `timeoutMs` instead of the signal when
 * the reply is not streamed (the agent still times the request and ends it with the same error): the
 * `openai` SDK composes every signal it is given with `AbortSignal.any` and weak references, about
 * 12% of the CPU an exchange costs. `timeoutMs` 0 means no limit of the agent's.
 */
export function requestDeadlineOf(signal: AbortSignal | undefined): { readonly timeoutMs: number } | undefined {
  if (starting === undefined || signal === undefined || signal.aborted) return undefined;
  return deadlineOnlyFor(starting, signal);
}

/**
 * For an invoker that wraps another and awaits before calling it (a rate-limit budget): call it in
 * the wrapper's synchronous part, and call the inner invoker through the function it returns. The
 * inner invoker's `requestDeadlineOf` then answers as if nothing had come between (with the time the
 * wait used taken off the limit), instead of `undefined`, which would hand its client the signal.
 */
export function keepRequestDeadline(signal: AbortSignal | undefined): <T>(invoke: () => T) => T {
  const deadline = starting !== undefined && signal !== undefined && deadlineOnlyFor(starting, signal) ? starting : undefined;
  if (deadline === undefined) return callNow;
  return (invoke) => {
    const previous = starting;
    starting = deadline;
    try {
      return invoke();
    } finally {
      starting = previous;
    }
  };
}

const callNow = <T>(invoke: () => T): T => invoke();

/** Set by `RequestDeadline`'s static block: reads its private fields without a public method. */
let deadlineOnlyFor: (deadline: RequestDeadline, signal: AbortSignal) => { readonly timeoutMs: number } | undefined;

/**
 * The deadlines of one provider request. `signal` fires when the request takes longer than
 * `timeoutMs` to start replying, when a streamed reply goes silent for `streamIdleTimeoutMs`, or when
 * the caller's `parent` signal fires; `activity()` marks each part of a streamed reply. Call `clear()`
 * when the request settles.
 *
 * It is the one signal a request gets: the caller's signal is linked by a listener removed in
 * `clear()` (`AbortSignal.any` per request, and listeners left on a long-lived caller signal, were
 * most of what an agent call cost over the raw SDK under load), and `race()` settles on an abort
 * without a listener of its own.
 */
export class RequestDeadline {
  readonly #controller = new AbortController();
  readonly #limits: RequestLimits;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reason: DeadlineReason | undefined;
  #streaming = false;
  #cleared = false;
  #lastActivity = 0;
  readonly #startedAt = performance.now();
  #parent: AbortSignal | undefined;
  #onParentAbort: (() => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;

  constructor(limits: RequestLimits, parent?: AbortSignal) {
    this.#limits = limits;
    if (parent?.aborted) {
      this.#abort(parent.reason);
      return;
    }
    if (parent) {
      this.#parent = parent;
      this.#onParentAbort = () => this.#abort(parent.reason);
      parent.addEventListener('abort', this.#onParentAbort, { once: true });
    }
    this.#arm('request', limits.timeoutMs);
  }

  /**
   * Call `invoke` (the invoker's `invoke` with this deadline's signal): while its synchronous part runs,
   * `requestDeadlineOf(this.signal)` answers for this deadline.
   */
  start<T>(invoke: (signal: AbortSignal) => T): T {
    const previous = starting;
    starting = this;
    try {
      return invoke(this.#controller.signal);
    } finally {
      starting = previous;
    }
  }

  static {
    // What is left of the request limit, when `signal` is this deadline's and no caller signal stands behind it.
    deadlineOnlyFor = (deadline, signal) => {
      if (signal !== deadline.#controller.signal || deadline.#parent !== undefined || deadline.#onParentAbort !== undefined)
        return undefined;
      const limit = deadline.#limits.timeoutMs;
      return { timeoutMs: limit > 0 ? Math.max(1, Math.ceil(limit - (performance.now() - deadline.#startedAt))) : 0 };
    };
  }

  /**
   * Settle with `work`, or reject with an `AbortError` as soon as a limit passes or the parent signal
   * fires, even if the work behind `work` ignores the signal. One race per deadline.
   */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.#controller.signal;
    if (signal.aborted) {
      // The work may still settle later: it must not be an unhandled rejection.
      work.catch(() => undefined);
      return Promise.reject(toAbortError(signal.reason));
    }
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      work.then(resolve, reject);
    });
  }

  /** Fires when a limit is passed. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The limit that fired, if one did. */
  get reason(): DeadlineReason | undefined {
    return this.#reason;
  }

  /** The limit in ms that fired (or the request limit when none did). */
  get limitMs(): number {
    return this.#reason === 'stream-idle' ? this.#limits.streamIdleTimeoutMs : this.#limits.timeoutMs;
  }

  /** Part of a streamed reply arrived: from now on only silences are timed. */
  activity(): void {
    if (this.#cleared || this.#reason) return;
    // Re-arming a timer per event is costly on fast streams: note the time, and let the timer check it.
    this.#lastActivity = Date.now();
    if (this.#streaming) return;
    this.#streaming = true;
    this.#arm('stream-idle', this.#limits.streamIdleTimeoutMs);
  }

  /** The request settled: stop timing. */
  clear(): void {
    this.#cleared = true;
    this.#reject = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#parent && this.#onParentAbort) this.#parent.removeEventListener('abort', this.#onParentAbort);
    this.#parent = undefined;
    this.#onParentAbort = undefined;
  }

  #abort(reason: unknown): void {
    this.#controller.abort(reason);
    const reject = this.#reject;
    this.#reject = undefined;
    reject?.(toAbortError(reason));
  }

  #arm(reason: DeadlineReason, ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (ms <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (reason === 'stream-idle') {
        const limit = this.#limits.streamIdleTimeoutMs;
        const silentFor = Date.now() - this.#lastActivity;
        if (silentFor < limit) {
          this.#arm(reason, limit - silentFor);
          return;
        }
      }
      this.#reason = reason;
      this.#abort(new Error(reason === 'request' ? 'the request timed out' : 'the streamed reply went silent'));
    }, ms);
    // A pending deadline must not keep a process alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
