// How many log entries per second a store takes, batched: the figure bench/log-postgres.bench.ts
// prints for PostgreSQL next to SQLite, and bench/distributed.bench.ts for the store a distributed run
// writes to.
import { type JsonObject, type LogStore, Message } from '@lllm/core';

/** What {@link measureStoreWriteRate} measured. */
export interface StoreWriteRate {
  /** The store's `type` (`sqlite`, `postgres`, …). */
  readonly store: string;
  /** Entries timed (the warm-up not included). */
  readonly messages: number;
  /** From the first `write()` until `flush()` resolved, in ms. */
  readonly milliseconds: number;
  /** `messages` per second. */
  readonly perSecond: number;
}

/** A logged assistant reply as an agent call writes it to `messages` (≈ 500 bytes of JSON). */
export function loggedMessage(index: number): JsonObject {
  const message = new Message({
    role: 'assistant',
    content: 'The answer is 42, because the lookup said so. '.repeat(4),
    creator: 'bench',
    model: 'gpt-4o-mini',
    usage: { inputTokens: 120, outputTokens: 30 },
  }).toJSON() as unknown as JsonObject;
  return { dialogId: 'bench-dialog', index, pruned: false, message };
}

/**
 * Write `messages` entries to `store` as fast as the caller can (the store batches them), then
 * `flush()`, and return the rate. A warm-up of `min(1000, messages / 10)` entries to another session,
 * flushed, goes first (connections open, statements prepared, JIT warm). Entries go to the `messages`
 * collection of session `session` (default `rate-<time>`); the store is left open.
 */
export async function measureStoreWriteRate(store: LogStore, messages: number, session = `rate-${Date.now()}`): Promise<StoreWriteRate> {
  if (!Number.isInteger(messages) || messages < 1) throw new RangeError(`messages must be a whole number ≥ 1, got ${messages}`);
  const warmUp = Math.min(1000, Math.ceil(messages / 10));
  for (let index = 0; index < warmUp; index++) store.write('messages', `${session}-warm-up`, loggedMessage(index));
  await store.flush();
  const entries = Array.from({ length: messages }, (_, index) => loggedMessage(index));
  const start = performance.now();
  for (const entry of entries) store.write('messages', session, entry);
  await store.flush();
  const milliseconds = performance.now() - start;
  return { store: store.type, messages, milliseconds, perSecond: messages / (milliseconds / 1000) };
}
