import { createHash } from 'node:crypto';
import type { JsonObject, LogStore } from '../log-store.js';
import { safeName } from '../strings.js';

/** The `event` of a batch outcome record (collection `messages` of the batch's log session). */
export const BATCH_OUTCOME_EVENT = 'batch-outcome';

/** One input's outcome as stored: enough to skip it on resume and to rebuild its result. */
export interface StoredOutcome {
  readonly index: number;
  /** A hash of the input's JSON: a resumed batch only reuses an outcome whose input is unchanged. */
  readonly inputHash: string;
  readonly ok: boolean;
  /** The result (JSON), when `ok`. */
  readonly value?: unknown;
  /** The error, when not `ok`. */
  readonly error?: { readonly name: string; readonly message: string; readonly kind?: string };
  /** What the call cost, in pico-dollars (exact), and whether all of it was priced. */
  readonly costPicoUsd: number;
  readonly costKnown: boolean;
  /** Input and output tokens of the call. */
  readonly tokens: number;
  /** The log session of the call. */
  readonly session: string;
  readonly at: number;
}

/**
 * Where a batch keeps its outcomes so a second run with the same id skips finished inputs. `save`
 * resolves only once the outcome is durable: a process killed afterwards keeps it. Core stores them
 * in a `LogStore`; another store (a queue's result backend) plugs in by implementing this.
 */
export interface BatchOutcomeStore {
  /** Every outcome saved for `batchId`; for an index saved twice, the last one. */
  load(batchId: string): Promise<Map<number, StoredOutcome>>;
  /** Save one outcome durably. */
  save(batchId: string, outcome: StoredOutcome): Promise<void>;
}

/** The log session a batch's outcomes are written to. */
export function batchSession(batchId: string): string {
  return `batch-${safeName(batchId, 'batch')}`;
}

/** A stable hash of a JSON-compatible value (object keys sorted). */
export function inputHash(input: unknown): string {
  return createHash('sha256').update(stableJson(input)).digest('hex').slice(0, 24);
}

function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`)
    .join(',')}}`;
}

/** Batch outcomes kept in a `LogStore` (session `batch-<id>`, collection `messages`), flushed one by one. */
export class LogBatchOutcomeStore implements BatchOutcomeStore {
  readonly log: LogStore;
  readonly #sessions = new Map<string, string>();

  constructor(log: LogStore) {
    this.log = log;
  }

  async load(batchId: string): Promise<Map<number, StoredOutcome>> {
    const entries = await this.log.read('messages', batchSession(batchId));
    const outcomes = new Map<number, StoredOutcome>();
    for (const entry of entries) {
      const data = entry.data as JsonObject & Partial<StoredOutcome> & { event?: string };
      if (data.event !== BATCH_OUTCOME_EVENT || typeof data.index !== 'number' || typeof data.inputHash !== 'string') continue;
      const { event: _event, ...outcome } = data;
      outcomes.set(data.index, outcome as StoredOutcome);
    }
    return outcomes;
  }

  async save(batchId: string, outcome: StoredOutcome): Promise<void> {
    let session = this.#sessions.get(batchId);
    if (session === undefined) {
      session = batchSession(batchId);
      this.#sessions.set(batchId, session);
    }
    this.log.write('messages', session, { event: BATCH_OUTCOME_EVENT, ...outcome } as JsonObject);
    await this.log.flush();
  }
}
