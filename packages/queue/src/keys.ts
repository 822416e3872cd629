import { QueueError } from './errors.js';

// Every key of one batch carries the batch id in braces (a Redis Cluster hash tag), so the Lua
// scripts that touch several of them run on one node of a managed cluster too.

/** The Redis keys of one batch. */
export interface BatchKeys {
  /** Hash: tactic, total, capPico, spentPico, finished, done, failed, skipped, tokens, rpm, tpm, createdAt. */
  readonly meta: string;
  /** Hash: input index → the outcome's JSON (written once). */
  readonly outcomes: string;
  /** Stream: every recorded outcome, in the order recorded (what `lllm batch` reads back). */
  readonly results: string;
  /** Hash: input index → the worker running it now. */
  readonly inflight: string;
  /** Hash: `<worker>|done`, `<worker>|failed`, `<worker>|skipped`, `<worker>|costPico`. */
  readonly workers: string;
}

const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
const TACTIC_NAME = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

/** Check a batch id: letters, digits, `.`, `_`, `-` (it names Redis keys and BullMQ job ids). */
export function checkBatchId(id: string): string {
  if (!BATCH_ID.test(id)) {
    throw new QueueError(
      `The batch id ${JSON.stringify(id)} is not usable in a queue: use up to 200 letters, digits, ".", "_" or "-" (e.g. nightly-2026-11-26).`,
      { argument: 'batchId' },
    );
  }
  return id;
}

/** The BullMQ queue of a tactic's jobs (`lllm-batch-<tactic>`, slashes as `.`: BullMQ refuses `:`). */
export function queueName(tactic: string): string {
  if (!TACTIC_NAME.test(tactic)) {
    throw new QueueError(`The tactic name ${JSON.stringify(tactic)} cannot name a queue: use letters, digits, ".", "_", "/" or "-".`, {
      argument: 'tactic',
    });
  }
  return `lllm-batch-${tactic.replaceAll('/', '.')}`;
}

/** The job id of one input: the same (batch, input) is one job however often it is enqueued. */
export function jobId(batchId: string, index: number): string {
  return `${batchId}#${index}`;
}

export function batchKeys(batchId: string): BatchKeys {
  const base = `lllm:batch:{${checkBatchId(batchId)}}`;
  return {
    meta: base,
    outcomes: `${base}:outcomes`,
    results: `${base}:results`,
    inflight: `${base}:inflight`,
    workers: `${base}:workers`,
  };
}

/** The key of the batches index (a set of batch ids, for `lllm batch status` without an id). */
export const BATCHES_KEY = 'lllm:batches';

/** The token bucket of one provider budget key (`provider:model`). */
export function budgetBucketKey(key: string): string {
  return `lllm:budget:{${key}}`;
}
