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
 * The deadlines of one provider request. `signal` fires when the request takes longer than
 * `timeoutMs` to start replying, or when a streamed reply goes silent for `streamIdleTimeoutMs`;
 * `activity()` marks each part of a streamed reply. Call `clear()` when the request settles.
 */
export class RequestDeadline {
  readonly #controller = new AbortController();
  readonly #limits: RequestLimits;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reason: DeadlineReason | undefined;
  #streaming = false;
  #cleared = false;
  #lastActivity = 0;

  constructor(limits: RequestLimits) {
    this.#limits = limits;
    this.#arm('request', limits.timeoutMs);
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
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
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
      this.#controller.abort(new Error(reason === 'request' ? 'the request timed out' : 'the streamed reply went silent'));
    }, ms);
    // A pending deadline must not keep a process alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
