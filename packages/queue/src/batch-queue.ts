import { inputHash, type RateLimits, type StoredOutcome, throwIfAborted } from '@lllm/core';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connectRedis, displayUrl, pingRedis, runScript } from './connection.js';
import { messageOf, QueueError } from './errors.js';
import { BATCHES_KEY, batchKeys, checkBatchId, jobId, queueName } from './keys.js';
import { parseOutcome, type QueuedOutcome } from './outcome.js';
import { FORGET, RESTORE, SNAPSHOT } from './scripts.js';
import { type BatchStatus, readBatchStatus } from './status.js';
import { type BatchWorker, type BatchWorkerOptions, startBatchWorker } from './worker.js';

/** The data of one job: one input of one batch. */
export interface BatchJobData {
  readonly batchId: string;
  readonly index: number;
  readonly input: unknown;
  readonly inputHash: string;
}

/** Options of `enqueue`. */
export interface EnqueueOptions {
  /** The batch id (default: a hash of the tactic name and the inputs, as core's `batch()`: re-running the same batch resumes it). */
  readonly id?: string;
  /** The spend cap in US dollars, held across every worker (start nothing that would pass it). */
  readonly maxCostUsd?: number;
  /** Requests / tokens per minute for every provider key of the tactic, held across every worker. */
  readonly rateLimits?: RateLimits;
  /** Run again the inputs whose kept outcome is a failure or a spend-cap skip (default true). */
  readonly rerunFailed?: boolean;
  /** Tries of one job when its worker fails to record it (a lost Redis): default 3. A failed model call is an outcome, not a retry. */
  readonly attempts?: number;
  /**
   * Outcomes kept elsewhere (the submitter's log: `LogBatchOutcomeStore.load(id)`): one that Redis
   * lacks (it restarted without persistence) is put back instead of being paid for again.
   */
  readonly known?: ReadonlyMap<number, StoredOutcome>;
}

/** A queued batch: what `results` reads back. */
export interface EnqueuedBatch {
  readonly id: string;
  readonly tactic: string;
  readonly total: number;
  /** Outcomes kept from earlier runs of the same id (not run again). */
  readonly resumed: readonly QueuedOutcome[];
  /** Jobs added now (inputs without a kept outcome). */
  readonly enqueued: number;
  /** Where in the results stream this run's outcomes start. */
  readonly streamFrom: string;
}

/** Options of `results`. */
export interface ResultsOptions {
  readonly signal?: AbortSignal;
  /** How long one blocking read of the results stream waits before checking the signal (default 1,000 ms). */
  readonly blockMs?: number;
}

const ADD_CHUNK = 500;

/** The id `enqueue` gives a batch without `id`: a hash of the tactic name and the inputs, as core's `batch()`. */
export function defaultBatchId(tactic: string, inputs: readonly unknown[]): string {
  return `${tactic}-${inputHash([tactic, inputs.map((input) => inputHash(input))])}`;
}

/**
 * A connection to the Redis that holds distributed batches: `enqueue` one job per input (BullMQ,
 * one queue per tactic), `results` streams outcomes back as workers record them, `status` counts,
 * and `work` starts a worker in this process. `close()` ends every connection it opened.
 */
export class BatchQueue {
  readonly url: string;
  readonly redis: Redis;
  readonly #queues = new Map<string, Queue>();
  readonly #workers = new Set<BatchWorker>();
  readonly #readers = new Set<Redis>();

  private constructor(url: string, redis: Redis) {
    this.url = url;
    this.redis = redis;
  }

  /** Connect and check that Redis answers (a `QueueError` naming the URL, password hidden, otherwise). */
  static async connect(url: string, options: { readonly timeoutMs?: number } = {}): Promise<BatchQueue> {
    const redis = connectRedis(url);
    try {
      await pingRedis(redis, url, options.timeoutMs);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    return new BatchQueue(url, redis);
  }

  /** The BullMQ queue of a tactic (created once per connection). */
  queue(tactic: string): Queue {
    const name = queueName(tactic);
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.redis });
      queue.on('error', () => {});
      this.#queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Queue one job per input. Idempotent by (batch id, input index): an input with a kept outcome is
   * not queued again (unless it failed and `rerunFailed`), and a job still waiting or running is not
   * duplicated (its BullMQ job id is `<batch id>#<index>`).
   */
  async enqueue(tactic: string, inputs: readonly unknown[], options: EnqueueOptions = {}): Promise<EnqueuedBatch> {
    const queue = this.queue(tactic);
    if (options.maxCostUsd !== undefined && !(Number.isFinite(options.maxCostUsd) && options.maxCostUsd >= 0)) {
      throw new QueueError(`maxCostUsd must be a number of US dollars >= 0, got ${String(options.maxCostUsd)}.`, {
        argument: 'maxCostUsd',
      });
    }
    const attempts = options.attempts ?? 3;
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new QueueError(`attempts must be a whole number >= 1, got ${String(attempts)}.`, { argument: 'attempts' });
    }
    const hashes = inputs.map((input) => inputHash(input));
    const id = checkBatchId(options.id ?? defaultBatchId(tactic, inputs));
    const keys = batchKeys(id);
    const existing = await this.redis.hget(keys.meta, 'tactic');
    if (existing !== null && existing !== tactic) {
      throw new QueueError(`Batch "${id}" belongs to tactic "${existing}", not "${tactic}": use another --resume id.`, {
        argument: 'batchId',
      });
    }
    const meta: Record<string, string | number> = { tactic, total: inputs.length, queue: queue.name };
    if (existing === null) meta.createdAt = Date.now();
    await this.redis.hset(keys.meta, meta);
    await this.redis.sadd(BATCHES_KEY, id);
    if (options.maxCostUsd === undefined) await this.redis.hdel(keys.meta, 'capPico');
    else await this.redis.hset(keys.meta, 'capPico', Math.round(options.maxCostUsd * 1e12));
    for (const [field, value] of [
      ['rpm', options.rateLimits?.requestsPerMinute],
      ['tpm', options.rateLimits?.tokensPerMinute],
    ] as const) {
      if (value === undefined) await this.redis.hdel(keys.meta, field);
      else await this.redis.hset(keys.meta, field, value);
    }

    const snapshot = (await runScript(this.redis, SNAPSHOT, [keys.outcomes, keys.results], [])) as string[];
    const streamFrom = snapshot[0] ?? '0-0';
    const kept = new Map<number, QueuedOutcome>();
    for (let position = 1; position + 1 < snapshot.length; position += 2) {
      const outcome = parseOutcome(snapshot[position + 1] as string);
      if (outcome) kept.set(Number(snapshot[position]), outcome);
    }
    for (const [index, stored] of options.known ?? []) {
      if (kept.has(index) || index >= inputs.length || stored.inputHash !== hashes[index]) continue;
      const status = stored.ok ? 'done' : stored.error?.name === 'SpendCapError' ? 'skipped' : 'failed';
      const outcome: QueuedOutcome = { ...stored, status, worker: 'restored' };
      const ran = status === 'skipped' ? 0 : 1;
      await runScript(this.redis, RESTORE, [keys.meta, keys.outcomes], [index, JSON.stringify(outcome), stored.costPicoUsd, status, ran]);
      kept.set(index, outcome);
    }
    const resumed: QueuedOutcome[] = [];
    const jobs: { name: string; data: BatchJobData; opts: Record<string, unknown> }[] = [];
    for (const [index, input] of inputs.entries()) {
      const previous = kept.get(index);
      const hash = hashes[index] as string;
      if (previous && previous.inputHash === hash && (previous.ok || options.rerunFailed === false)) {
        resumed.push(previous);
        continue;
      }
      if (previous) {
        await runScript(this.redis, FORGET, [keys.meta, keys.outcomes], [index]);
        // A failed job kept by BullMQ would block a new job with its id.
        const old = await queue.getJob(jobId(id, index));
        if (old && (await old.isFailed())) await old.remove();
      }
      jobs.push({
        name: tactic,
        data: { batchId: id, index, input, inputHash: hash },
        opts: {
          jobId: jobId(id, index),
          attempts,
          backoff: { type: 'exponential', delay: 1_000 },
          removeOnComplete: true,
          removeOnFail: { count: 10_000 },
        },
      });
    }
    for (let start = 0; start < jobs.length; start += ADD_CHUNK) await queue.addBulk(jobs.slice(start, start + ADD_CHUNK));
    return { id, tactic, total: inputs.length, resumed, enqueued: jobs.length, streamFrom };
  }

  /**
   * Every outcome of this run of a batch, as workers record it (the kept ones first, flagged
   * `resumed`), until each input has one. Ends early, with an `AbortError`, on the signal; the
   * batch goes on running on the workers, and `enqueue` again with the same id picks it up.
   */
  async *results(batch: EnqueuedBatch, options: ResultsOptions = {}): AsyncGenerator<{ outcome: QueuedOutcome; resumed: boolean }> {
    const keys = batchKeys(batch.id);
    const seen = new Set<number>();
    for (const outcome of batch.resumed) {
      seen.add(outcome.index);
      yield { outcome, resumed: true };
    }
    // A blocking read holds its connection: one of its own.
    const reader = this.redis.duplicate();
    reader.on('error', () => {});
    this.#readers.add(reader);
    let from = batch.streamFrom;
    try {
      while (seen.size < batch.total) {
        throwIfAborted(options.signal);
        const reply = (await reader.xread('COUNT', 1000, 'BLOCK', options.blockMs ?? 1_000, 'STREAMS', keys.results, from)) as
          | [string, [string, string[]][]][]
          | null;
        for (const [, entries] of reply ?? []) {
          for (const [entryId, fields] of entries) {
            from = entryId;
            const outcome = parseOutcome(fields[1] ?? '');
            if (!outcome || seen.has(outcome.index) || outcome.index >= batch.total) continue;
            seen.add(outcome.index);
            yield { outcome, resumed: false };
          }
        }
      }
    } finally {
      this.#readers.delete(reader);
      reader.disconnect();
    }
  }

  /** Counters of a batch: done, failed, skipped, in flight, per worker, spend so far. */
  async status(batchId: string): Promise<BatchStatus> {
    const status = await readBatchStatus(this.redis, batchId);
    if (!status) {
      throw new QueueError(
        `No batch "${batchId}" in the queue at ${displayUrl(this.url)}: check the id (lllm batch prints it) and the --queue URL.`,
        {
          argument: 'batchId',
        },
      );
    }
    const queue = this.queue(status.tactic);
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    const workers = await queue.getWorkers().catch(() => []);
    return { ...status, queue: counts, connectedWorkers: workers.length };
  }

  /** The ids of the batches this Redis holds, newest first (for `lllm batch status` without an id). */
  async batches(): Promise<string[]> {
    const ids = await this.redis.smembers(BATCHES_KEY);
    const created = await Promise.all(ids.map(async (id) => Number((await this.redis.hget(batchKeys(id).meta, 'createdAt')) ?? 0)));
    return ids
      .map((id, position) => ({ id, at: created[position] ?? 0 }))
      .sort((a, b) => b.at - a.at || a.id.localeCompare(b.id))
      .map((entry) => entry.id);
  }

  /** Start a worker in this process on a tactic's queue (see `startBatchWorker`). */
  work(options: Omit<BatchWorkerOptions, 'redis'>): BatchWorker {
    const worker = startBatchWorker({ ...options, redis: this.redis });
    this.#workers.add(worker);
    void worker.closed.then(() => this.#workers.delete(worker));
    return worker;
  }

  /** Close the workers started here (waiting for their running jobs), the queues and the connections. */
  async close(): Promise<void> {
    await Promise.all([...this.#workers].map((worker) => worker.close()));
    for (const reader of this.#readers) reader.disconnect();
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => {})));
    this.#queues.clear();
    await this.redis.quit().catch((error: unknown) => {
      if (!messageOf(error).includes('Connection is closed')) throw error;
    });
  }
}
