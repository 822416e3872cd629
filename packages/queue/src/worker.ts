import { hostname } from 'node:os';
import { AbortError, BatchItemError, type Cost, LllmError, SpendCapError, type TacticSessionSummary } from '@lllm/core';
import { batchInputSession } from '@lllm/core/utils';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchJobData } from './batch-queue.js';
import { runScript } from './connection.js';
import { messageOf, QueueError } from './errors.js';
import { batchKeys, queueName } from './keys.js';
import type { QueuedOutcome } from './outcome.js';
import type { RedisProviderBudget } from './redis-budget.js';
import { RECORD, RESERVE } from './scripts.js';

/** What a worker runs per input: a tactic (core's `Tactic` fits). */
export interface QueueTactic {
  readonly name: string;
  call(
    input: never,
    options: { readonly session: string; readonly signal?: AbortSignal },
  ): Promise<{ readonly result: unknown; readonly cost: Cost; readonly summary: TacticSessionSummary }>;
}

/** Options of `startBatchWorker` (`BatchQueue.work` fills `redis`). */
export interface BatchWorkerOptions {
  readonly redis: Redis;
  readonly tactic: QueueTactic;
  /** Jobs running at once in this process (default 8). */
  readonly concurrency?: number;
  /** This worker's name in status and outcomes (default `<host>-<pid>`). */
  readonly name?: string;
  /** How long a job's lock lasts without renewal: a killed worker's jobs are retried after about this long (default 30,000 ms). */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for (default half the lock duration). */
  readonly stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it is failed (default 3). */
  readonly maxStalledCount?: number;
  /** The shared budget: the batch's `rateLimits` are applied to it for `budgetKeys`. */
  readonly budget?: RedisProviderBudget;
  /** The tactic's provider keys (`tactic.budgetKeys()`), to which a batch's rate limits apply. */
  readonly budgetKeys?: readonly string[];
  /** Called with every outcome this worker recorded. */
  readonly onOutcome?: (outcome: QueuedOutcome) => void;
  /** Called with errors of the queue connection or of a job's bookkeeping (the job is retried). */
  readonly onError?: (error: unknown) => void;
}

/** A running worker. */
export interface BatchWorker {
  readonly name: string;
  /** Resolves once the worker has stopped. */
  readonly closed: Promise<void>;
  /** Stop taking jobs and wait for the running ones (`force`: do not wait; they are retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

const PICO = 1e12;

/**
 * Run a tactic's batch jobs from Redis. Each job: skip it when its input already has an outcome (a
 * retried job whose worker died after recording), else reserve it against the batch's spend cap
 * (shared by every worker), call the tactic, and record the outcome once (a Lua script: the first
 * record wins, the rest are ignored). A model call that fails is a failed outcome, not a retried job.
 */
export function startBatchWorker(options: BatchWorkerOptions): BatchWorker {
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new QueueError(`Worker concurrency must be a whole number >= 1, got ${String(concurrency)}: e.g. --concurrency 8.`, {
      argument: 'concurrency',
    });
  }
  const name = options.name ?? `${hostname()}-${process.pid}`;
  if (name.includes('|')) throw new QueueError(`A worker name cannot contain "|", got ${JSON.stringify(name)}.`, { argument: 'name' });
  const redis = options.redis;
  const onError = options.onError ?? (() => {});
  const lockDuration = options.lockDurationMs ?? 30_000;
  const limitsRead = new Map<string, number>();

  const record = async (data: BatchJobData, outcome: Omit<QueuedOutcome, 'worker'>, ran: boolean): Promise<boolean> => {
    const keys = batchKeys(data.batchId);
    const full: QueuedOutcome = { ...outcome, worker: name };
    const recorded = await runScript(
      redis,
      RECORD,
      [keys.meta, keys.outcomes, keys.inflight, keys.results, keys.workers],
      [data.index, JSON.stringify(full), name, outcome.costPicoUsd, outcome.status, ran ? 1 : 0, outcome.tokens],
    );
    if (recorded === 1) options.onOutcome?.(full);
    return recorded === 1;
  };

  const applyLimits = async (batchId: string) => {
    if (!options.budget || !options.budgetKeys?.length) return;
    const read = limitsRead.get(batchId) ?? 0;
    if (Date.now() - read < 5_000) return;
    limitsRead.set(batchId, Date.now());
    const [rpm, tpm] = await redis.hmget(batchKeys(batchId).meta, 'rpm', 'tpm');
    if (rpm === null && tpm === null) return;
    for (const key of options.budgetKeys) {
      options.budget.setLimits(key, {
        ...(rpm === null ? {} : { requestsPerMinute: Number(rpm) }),
        ...(tpm === null ? {} : { tokensPerMinute: Number(tpm) }),
      });
    }
  };

  const processJob = async (job: Job<BatchJobData>, _token?: string, signal?: AbortSignal): Promise<string> => {
    const data = job.data;
    const keys = batchKeys(data.batchId);
    const base = { index: data.index, inputHash: data.inputHash, at: Date.now() };
    const verdict = await runScript(redis, RESERVE, [keys.meta, keys.outcomes, keys.inflight], [data.index, name]);
    if (verdict === 'recorded') return 'recorded';
    if (verdict === 'cap') {
      const [spent, cap] = await redis.hmget(keys.meta, 'spentPico', 'capPico');
      const error = new SpendCapError(Number(spent ?? 0) / PICO, Number(cap ?? 0) / PICO);
      await record(
        data,
        {
          ...base,
          ok: false,
          status: 'skipped',
          error: { name: error.name, message: error.message },
          costPicoUsd: 0,
          costKnown: true,
          tokens: 0,
          session: '',
        },
        false,
      );
      return 'skipped';
    }
    await applyLimits(data.batchId);
    // A job run again after its worker died logs to a session of its own: the first try's partial log stays apart.
    const retry = Math.max(0, job.attemptsStarted - 1);
    const session = batchInputSession(data.batchId, data.index, retry > 0 ? `-r${retry}` : '');
    let outcome: Omit<QueuedOutcome, 'worker'>;
    try {
      const run = await options.tactic.call(data.input as never, { session, ...(signal ? { signal } : {}) });
      outcome = {
        ...base,
        ok: true,
        status: 'done',
        value: run.result === undefined ? null : run.result,
        costPicoUsd: run.cost.totalPicoUsd,
        costKnown: run.cost.known,
        tokens: tokensOf(run.summary),
        session: run.summary.session,
        at: Date.now(),
      };
    } catch (thrown) {
      // Stopped, not failed: nothing is recorded, and BullMQ runs the job again.
      if (AbortError.isInstance(thrown)) throw thrown;
      const summary = (thrown as { summary?: TacticSessionSummary }).summary;
      const error = LllmError.isInstance(thrown) ? thrown : new BatchItemError(data.index, thrown);
      const kind = (error as { kind?: unknown }).kind;
      const pico = summary ? Math.round(summary.costUsd * PICO) : 0;
      outcome = {
        ...base,
        ok: false,
        status: 'failed',
        error: { name: error.name, message: error.message, ...(typeof kind === 'string' ? { kind } : {}) },
        costPicoUsd: pico,
        costKnown: summary?.costKnown ?? true,
        tokens: tokensOf(summary),
        session: summary?.session ?? session,
        at: Date.now(),
      };
    }
    return (await record(data, outcome, true)) ? outcome.status : 'recorded';
  };

  const worker = new Worker<BatchJobData, string>(queueName(options.tactic.name), processJob, {
    connection: redis,
    concurrency,
    lockDuration,
    stalledInterval: options.stalledIntervalMs ?? Math.max(1_000, Math.round(lockDuration / 2)),
    maxStalledCount: options.maxStalledCount ?? 3,
    name,
  });
  worker.on('error', onError);
  // A job that will not be tried again (its bookkeeping kept failing, or its workers kept dying):
  // its input gets a failed outcome, so the batch still ends with one outcome per input.
  worker.on('failed', (job, error) => {
    if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) {
      if (!job || !/stalled/i.test(error.message)) return;
    }
    const data = job.data;
    const failure = new BatchItemError(data.index, error);
    void record(
      data,
      {
        index: data.index,
        inputHash: data.inputHash,
        at: Date.now(),
        ok: false,
        status: 'failed',
        error: { name: failure.name, message: failure.message },
        costPicoUsd: 0,
        costKnown: false,
        tokens: 0,
        session: '',
      },
      false,
    ).catch(onError);
  });
  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  return {
    name,
    closed,
    async close(force = false) {
      try {
        await worker.close(force);
      } catch (error) {
        onError(new QueueError(`Worker ${name} did not close cleanly: ${messageOf(error)}`, { argument: 'worker', cause: error }));
      } finally {
        resolveClosed();
      }
    },
  };
}

function tokensOf(summary: TacticSessionSummary | undefined): number {
  return summary ? summary.tokens.input + summary.tokens.output : 0;
}
