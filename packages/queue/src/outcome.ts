import { type BatchOutcome, type Cost, type StoredOutcome, StoredOutcomeError, ZERO_COST } from '@lllm/core';

/** How an input ended: it succeeded, it failed, or the spend cap kept it from starting. */
export type QueuedStatus = 'done' | 'failed' | 'skipped';

/** One input's outcome as a queue keeps it: core's stored outcome, with its status and the worker that recorded it. */
export interface QueuedOutcome extends StoredOutcome {
  readonly status: QueuedStatus;
  /** The worker that recorded it (`<host>-<pid>` unless named). */
  readonly worker: string;
}

const PICO = 1e12;

/** Read an outcome's JSON as stored in Redis (undefined when it is not one). */
export function parseOutcome(text: string): QueuedOutcome | undefined {
  try {
    const value = JSON.parse(text) as Partial<QueuedOutcome>;
    if (typeof value.index !== 'number' || typeof value.ok !== 'boolean' || typeof value.status !== 'string') return undefined;
    return value as QueuedOutcome;
  } catch {
    return undefined;
  }
}

/** A queued outcome as core's `BatchOutcome` (what `lllm batch` prints and logs); the error is a `StoredOutcomeError`. */
export function toBatchOutcome(outcome: QueuedOutcome, resumed: boolean): BatchOutcome<unknown> {
  const cost: Cost = { ...ZERO_COST, known: outcome.costKnown, totalUsd: outcome.costPicoUsd / PICO, totalPicoUsd: outcome.costPicoUsd };
  if (outcome.ok) return { index: outcome.index, ok: true, value: outcome.value, cost, session: outcome.session, resumed };
  return {
    index: outcome.index,
    ok: false,
    error: new StoredOutcomeError(outcome.error ?? { name: 'LllmError', message: 'failed (no detail stored)' }),
    cost,
    session: outcome.session,
    resumed,
  };
}

/** Core's stored form of a queued outcome (for `LogBatchOutcomeStore`): the queue's own fields dropped. */
export function toStoredOutcome(outcome: QueuedOutcome): StoredOutcome {
  const { status: _status, worker: _worker, ...stored } = outcome;
  return stored;
}
