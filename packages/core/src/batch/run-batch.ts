import { AbortError, InvalidArgumentError, LllmError, throwIfAborted } from '../errors.js';
import type { LogStore } from '../log-store.js';
import { type Cost, ZERO_COST } from '../model-card.js';
import { safeName } from '../strings.js';
import type { TacticSessionSummary } from '../tactic/session.js';
import { type BatchOutcomeStore, inputHash, LogBatchOutcomeStore, type StoredOutcome } from './outcome-store.js';
import type { BatchSubmitter } from './provider-batch.js';

/** Options of a batch. */
export interface BatchOptions {
  /** Calls running at once (default 8). */
  readonly concurrency?: number;
  /** Stops the batch: in-flight calls are aborted and the batch rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /** Start no new call once this much (US dollars) is spent, or would be by the calls already running. */
  readonly maxCostUsd?: number;
  /**
   * The batch id: outcomes are stored under it, and a run with the same id and inputs skips the
   * inputs that finished. Default: a hash of the tactic name and the inputs, so re-running the
   * same batch resumes it.
   */
  readonly id?: string;
  /** Re-run inputs whose stored outcome is a failure (default true); false keeps those failures. */
  readonly rerunFailed?: boolean;
  /** Where outcomes are kept (default: the tactic's log store). */
  readonly log?: LogStore;
  /** Another outcome store (e.g. a queue's), instead of the log store. */
  readonly outcomes?: BatchOutcomeStore;
  /** Called whenever a call starts or ends. */
  readonly onProgress?: (progress: BatchProgress) => void;
  /**
   * Send the first request of each agent of each call through the provider's batch API (half price,
   * slower): a `BatchSubmitter` (`openaiBatchSubmitter`, `anthropicBatchSubmitter`), optionally with
   * the collection window, or one per provider. An agent whose invoker no submitter serves stays live.
   * Replies that fail to parse, and tool rounds, continue live. With it, the default concurrency is
   * every input at once, so they share jobs.
   */
  readonly providerBatch?: ProviderBatchSetting | readonly ProviderBatchSetting[];
}

/** One provider's batch API for `providerBatch`: a submitter, optionally with its collection window. */
export type ProviderBatchSetting =
  | BatchSubmitter
  | { readonly submitter: BatchSubmitter; readonly windowMs?: number; readonly maxBatchSize?: number };

/** Counters of a running batch. */
export interface BatchProgress {
  readonly id: string;
  readonly total: number;
  /** Inputs that succeeded (this run and resumed). */
  readonly done: number;
  readonly failed: number;
  readonly inFlight: number;
  /** Inputs not started because of the spend cap. */
  readonly skipped: number;
  /** Inputs whose outcome came from an earlier run. */
  readonly resumed: number;
  /** Tokens (input + output) of this run's calls. */
  readonly tokens: number;
  /** What this run spent so far, in US dollars. */
  readonly spentUsd: number;
  /** Estimated time left in ms, from this run's pace (undefined until a call finished). */
  readonly etaMs: number | undefined;
}

/** One input's outcome. */
export type BatchOutcome<O> =
  | {
      readonly index: number;
      readonly ok: true;
      readonly value: O;
      readonly cost: Cost;
      /** The tactic call's session summary (not kept for resumed outcomes). */
      readonly summary?: TacticSessionSummary;
      readonly session: string;
      /** True when the outcome was read from an earlier run. */
      readonly resumed: boolean;
    }
  | {
      readonly index: number;
      readonly ok: false;
      /** A typed error: `TacticCallError`, `SpendCapError`, or the worker's `LllmError`. */
      readonly error: LllmError;
      readonly cost: Cost;
      readonly summary?: TacticSessionSummary;
      readonly session?: string;
      readonly resumed: boolean;
    };

/** A finished batch. */
export interface BatchReport<O> {
  readonly id: string;
  /** One outcome per input, in input order. */
  readonly outcomes: readonly BatchOutcome<O>[];
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  readonly resumed: number;
  /** What this run spent, in US dollars (resumed outcomes excluded). */
  readonly spentUsd: number;
  /** False when some call's cost could not be priced (unknown model or usage). */
  readonly costKnown: boolean;
  /** Whether the spend cap stopped the batch. */
  readonly capReached: boolean;
  readonly wallMs: number;
}

/** The input was not started: the batch's spend cap was reached. */
export class SpendCapError extends LllmError {
  readonly spentUsd: number;
  readonly maxCostUsd: number;

  constructor(spentUsd: number, maxCostUsd: number) {
    super(
      `Not started: the batch reached its spend cap (maxCostUsd ${maxCostUsd}) after spending $${spentUsd.toFixed(6)}. Run it again with the same id and a higher maxCostUsd to finish the rest.`,
    );
    this.name = 'SpendCapError';
    this.spentUsd = spentUsd;
    this.maxCostUsd = maxCostUsd;
  }

  static override isInstance = (value: unknown): value is SpendCapError => LllmError.isInstance(value) && value.name === 'SpendCapError';
}

/** A batch input failed with something that is not an `LllmError` (a bug in the worker): kept as `cause`. */
export class BatchItemError extends LllmError {
  readonly index: number;

  constructor(index: number, cause: unknown) {
    super(`Batch input ${index} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BatchItemError';
    this.index = index;
  }

  static override isInstance = (value: unknown): value is BatchItemError => LllmError.isInstance(value) && value.name === 'BatchItemError';
}

/** An error read back from a stored outcome. */
export class StoredOutcomeError extends LllmError {
  readonly kind: string | undefined;

  constructor(stored: NonNullable<StoredOutcome['error']>) {
    super(stored.message);
    this.name = stored.name;
    this.kind = stored.kind;
  }
}

/** What a batch worker returns for one input. */
export interface BatchWorkResult<O> {
  readonly value: O;
  readonly cost: Cost;
  readonly summary?: TacticSessionSummary;
}

/** Runs one input. `session` is the log session to use for it. */
export type BatchWorker<I, O> = (input: I, context: { signal: AbortSignal; session: string }) => Promise<BatchWorkResult<O>>;

/** Options of `runBatch` / `streamBatch`: a batch's, and the name that prefixes its id and sessions. */
export interface RunBatchOptions extends BatchOptions {
  /** Default `batch` (a tactic passes its name). */
  readonly name?: string;
}

/** Run a batch to the end; outcomes in input order. */
export async function runBatch<I, O>(inputs: readonly I[], worker: BatchWorker<I, O>, options: RunBatchOptions): Promise<BatchReport<O>> {
  const started = Date.now();
  const outcomes: BatchOutcome<O>[] = new Array(inputs.length);
  const run = new BatchRun(inputs, worker, options);
  for await (const outcome of run.outcomes()) outcomes[outcome.index] = outcome;
  return run.report(outcomes, Date.now() - started);
}

/** Run a batch, yielding outcomes as they finish (resumed ones first). */
export function streamBatch<I, O>(
  inputs: readonly I[],
  worker: BatchWorker<I, O>,
  options: RunBatchOptions,
): AsyncIterable<BatchOutcome<O>> {
  return { [Symbol.asyncIterator]: () => new BatchRun(inputs, worker, options).outcomes()[Symbol.asyncIterator]() };
}

const PICO = 1e12;

class BatchRun<I, O> {
  readonly #inputs: readonly I[];
  readonly #worker: BatchWorker<I, O>;
  readonly #options: RunBatchOptions;
  readonly #concurrency: number;
  readonly #store: BatchOutcomeStore | undefined;
  readonly #hashes: string[];
  readonly id: string;
  #spentPico = 0;
  #costKnown = true;
  #finishedCalls = 0;
  #tokens = 0;
  #done = 0;
  #failed = 0;
  #skipped = 0;
  #resumed = 0;
  #inFlight = 0;
  #capReached = false;
  readonly #startedAt = Date.now();
  /** The id as a safe name, made once (see `batchInputSession`). */
  readonly #safeId: string;

  constructor(inputs: readonly I[], worker: BatchWorker<I, O>, options: RunBatchOptions) {
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidArgumentError(`Batch concurrency must be a whole number >= 1, got ${String(concurrency)}.`, {
        argument: 'concurrency',
      });
    }
    if (options.maxCostUsd !== undefined && !(Number.isFinite(options.maxCostUsd) && options.maxCostUsd >= 0)) {
      throw new InvalidArgumentError(`Batch maxCostUsd must be a number of US dollars >= 0, got ${String(options.maxCostUsd)}.`, {
        argument: 'maxCostUsd',
      });
    }
    this.#inputs = inputs;
    this.#worker = worker;
    this.#options = options;
    this.#concurrency = concurrency;
    this.#hashes = inputs.map((input) => inputHash(input));
    const name = options.name ?? 'batch';
    this.id = options.id ?? `${name}-${inputHash([name, this.#hashes])}`;
    this.#safeId = safeName(this.id, 'batch');
    this.#store = options.outcomes ?? (options.log ? new LogBatchOutcomeStore(options.log) : undefined);
  }

  report(outcomes: BatchOutcome<O>[], wallMs: number): BatchReport<O> {
    return {
      id: this.id,
      outcomes,
      done: this.#done,
      failed: this.#failed,
      skipped: this.#skipped,
      resumed: this.#resumed,
      spentUsd: this.#spentPico / PICO,
      costKnown: this.#costKnown,
      capReached: this.#capReached,
      wallMs,
    };
  }

  async *outcomes(): AsyncGenerator<BatchOutcome<O>> {
    const signal = this.#options.signal;
    throwIfAborted(signal);
    const stored = this.#store ? await this.#store.load(this.id) : new Map<number, StoredOutcome>();
    const pending: number[] = [];
    for (let index = 0; index < this.#inputs.length; index++) {
      const previous = stored.get(index);
      const reuse = previous && previous.inputHash === this.#hashes[index] && (previous.ok || this.#options.rerunFailed === false);
      if (!reuse) {
        pending.push(index);
        continue;
      }
      this.#resumed += 1;
      if (previous.ok) this.#done += 1;
      else this.#failed += 1;
      yield fromStored<O>(previous);
    }
    this.#progress();

    // One controller per call, not one for the batch: every request of a call combines its call's
    // signal with a deadline (AbortSignal.any), and a long-lived shared parent would collect thousands
    // of dependent signals, costing CPU and memory on every request of a large batch.
    const running = new Set<AbortController>();
    const stopAll = (reason: unknown) => {
      for (const controller of running) controller.abort(reason);
    };
    const onAbort = () => stopAll(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const finished: BatchOutcome<O>[] = [];
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    signal?.addEventListener('abort', notify, { once: true });
    let next = 0;
    try {
      for (;;) {
        throwIfAborted(signal);
        while (next < pending.length && this.#inFlight < this.#concurrency && this.#mayStart()) {
          const index = pending[next] as number;
          next += 1;
          this.#inFlight += 1;
          this.#progress();
          const controller = new AbortController();
          running.add(controller);
          void this.#runOne(index, controller.signal).then((outcome) => {
            running.delete(controller);
            this.#inFlight -= 1;
            finished.push(outcome);
            notify();
          });
        }
        if (next < pending.length && this.#inFlight === 0) {
          // The cap forbids starting anything more: every input left is skipped, with the reason.
          this.#capReached = true;
          for (; next < pending.length; next++) {
            this.#skipped += 1;
            yield {
              index: pending[next] as number,
              ok: false,
              error: new SpendCapError(this.#spentPico / PICO, this.#options.maxCostUsd ?? 0),
              cost: ZERO_COST,
              resumed: false,
            };
          }
          this.#progress();
        }
        if (finished.length > 0) {
          const batch = finished.splice(0);
          for (const outcome of batch) yield outcome;
          continue;
        }
        if (next >= pending.length && this.#inFlight === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      signal?.removeEventListener('abort', notify);
      // Stopped early (abort, a consumer that broke out, an error): in-flight calls are not waited for.
      if (running.size > 0) stopAll(signal?.aborted ? signal.reason : new AbortError('The batch was stopped.'));
    }
  }

  #mayStart(): boolean {
    const max = this.#options.maxCostUsd;
    if (max === undefined) return true;
    const cap = Math.round(max * PICO);
    // Calls already running will spend about what finished calls did on average: count them in.
    const average = this.#finishedCalls > 0 ? this.#spentPico / this.#finishedCalls : 0;
    return this.#spentPico + (this.#inFlight + 1) * average <= cap && this.#spentPico < cap;
  }

  async #runOne(index: number, signal: AbortSignal): Promise<BatchOutcome<O>> {
    const session = batchInputSession(this.#safeId, index);
    let outcome: BatchOutcome<O>;
    try {
      const result = await this.#worker(this.#inputs[index] as I, { signal, session });
      outcome = {
        index,
        ok: true,
        value: result.value,
        cost: result.cost,
        ...(result.summary ? { summary: result.summary } : {}),
        session: result.summary?.session ?? session,
        resumed: false,
      };
    } catch (thrown) {
      const summary = (thrown as { summary?: TacticSessionSummary }).summary;
      const error = LllmError.isInstance(thrown) ? thrown : new BatchItemError(index, thrown);
      const cost = summaryCost(summary);
      outcome = { index, ok: false, error, cost, ...(summary ? { summary } : {}), session: summary?.session ?? session, resumed: false };
    }
    this.#finishedCalls += 1;
    this.#spentPico += outcome.cost.totalPicoUsd;
    this.#costKnown &&= outcome.cost.known;
    this.#tokens += outcome.summary ? outcome.summary.tokens.input + outcome.summary.tokens.output + outcome.summary.tokens.cachedInput : 0;
    if (outcome.ok) this.#done += 1;
    else this.#failed += 1;
    // An aborted call did not finish: it is not stored, so a resumed batch runs it again.
    if (this.#store && !(signal.aborted && !outcome.ok)) {
      try {
        await this.#store.save(this.id, toStored(outcome, this.#hashes[index] as string));
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        outcome = {
          index,
          ok: false,
          error: new BatchItemError(
            index,
            new Error(`its outcome could not be saved, so a resumed batch would pay for it again: ${detail}`),
          ),
          cost: outcome.cost,
          resumed: false,
        };
      }
    }
    this.#progress();
    return outcome;
  }

  #progress(): void {
    const callback = this.#options.onProgress;
    if (!callback) return;
    const finishedThisRun = this.#finishedCalls;
    const left = this.#inputs.length - this.#done - this.#failed - this.#skipped;
    const elapsed = Date.now() - this.#startedAt;
    callback({
      id: this.id,
      total: this.#inputs.length,
      done: this.#done,
      failed: this.#failed,
      inFlight: this.#inFlight,
      skipped: this.#skipped,
      resumed: this.#resumed,
      tokens: this.#tokens,
      spentUsd: this.#spentPico / PICO,
      etaMs: finishedThisRun > 0 ? Math.round((elapsed / finishedThisRun) * left) : undefined,
    });
  }
}

function summaryCost(summary: TacticSessionSummary | undefined): Cost {
  if (!summary) return ZERO_COST;
  const pico = Math.round(summary.costUsd * PICO);
  return { ...ZERO_COST, known: summary.costKnown, totalUsd: pico / PICO, totalPicoUsd: pico };
}

function toStored<O>(outcome: BatchOutcome<O>, hash: string): StoredOutcome {
  const tokens = outcome.summary ? outcome.summary.tokens.input + outcome.summary.tokens.output : 0;
  const common = {
    index: outcome.index,
    inputHash: hash,
    costPicoUsd: outcome.cost.totalPicoUsd,
    costKnown: outcome.cost.known,
    tokens,
    session: outcome.session ?? '',
    at: Date.now(),
  };
  if (outcome.ok) return { ...common, ok: true, value: outcome.value === undefined ? null : outcome.value };
  const kind = (outcome.error as { kind?: unknown }).kind;
  return {
    ...common,
    ok: false,
    error: { name: outcome.error.name, message: outcome.error.message, ...(typeof kind === 'string' ? { kind } : {}) },
  };
}

function fromStored<O>(stored: StoredOutcome): BatchOutcome<O> {
  const cost: Cost = { ...ZERO_COST, known: stored.costKnown, totalUsd: stored.costPicoUsd / PICO, totalPicoUsd: stored.costPicoUsd };
  if (stored.ok) return { index: stored.index, ok: true, value: stored.value as O, cost, session: stored.session, resumed: true };
  return {
    index: stored.index,
    ok: false,
    error: new StoredOutcomeError(stored.error ?? { name: 'LllmError', message: 'failed (no detail stored)' }),
    cost,
    session: stored.session,
    resumed: true,
  };
}

/**
 * The log session of one input of a batch: `<id>-<index><suffix>`, the id made safe (as `safeName`
 * makes a whole name) and cut short enough that the index and `suffix` (safe characters, e.g. `-r1`)
 * always fit in a session name's 64 characters. (Cutting `<id>-<index>` as a whole gave every input
 * of a batch with a long id the same session.)
 */
export function batchInputSession(batchId: string, index: number, suffix = ''): string {
  const tail = `-${index}${suffix}`;
  return `${
    safeName(batchId, 'batch')
      .slice(0, 64 - tail.length)
      .replace(/-+$/, '') || 'batch'
  }${tail}`;
}
