// BatchQueue and workers in one process against a real redis-server: idempotent enqueue, one
// outcome per input however often it is recorded, the spend cap and the rate limit shared by two
// workers, status counts, and typed errors for bad input.
import { type Cost, inputHash, type StoredOutcome, type TacticSessionSummary, ZERO_COST } from '@lllm/core';
import { sleep } from '@lllm/core/utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BatchQueue } from './batch-queue.js';
import { runScript } from './connection.js';
import { QueueError } from './errors.js';
import { batchKeys } from './keys.js';
import { toStoredOutcome } from './outcome.js';
import { RedisProviderBudget } from './redis-budget.js';
import { RECORD } from './scripts.js';
import type { QueueTactic } from './worker.js';

// Provided by test/global-setup.ts (empty when redis-server is not installed).
const url = (inject as (key: string) => string)('redisUrl');
let queue: BatchQueue;
let tacticCounter = 0;

beforeAll(async () => {
  if (url) queue = await BatchQueue.connect(url);
});
afterAll(async () => {
  await queue?.close();
});

/** A tactic whose call takes `delayMs`, costs `picoUsd` and returns the input doubled; "boom" fails. */
function doubling(calls: number[], delayMs = 5, picoUsd = 1_000_000_000): QueueTactic {
  tacticCounter += 1;
  const name = `double-${tacticCounter}-${Date.now()}`;
  return {
    name,
    async call(input: never, options: { session: string }) {
      const value = input as unknown as number | string;
      calls.push(typeof value === 'number' ? value : -1);
      await sleep(delayMs);
      const cost: Cost = { ...ZERO_COST, totalPicoUsd: picoUsd, totalUsd: picoUsd / 1e12, known: true };
      const summary = {
        session: options.session,
        costUsd: picoUsd / 1e12,
        costKnown: true,
        tokens: { input: 10, output: 2, cachedInput: 0 },
      };
      if (value === 'boom') throw Object.assign(new QueueError('boom is not a number', { argument: 'input' }), { summary });
      return { result: (value as number) * 2, cost, summary: summary as unknown as TacticSessionSummary };
    },
  };
}

describe.skipIf(!url)('BatchQueue', () => {
  it('runs every input once over two workers, streams the outcomes back, and leaves nothing in the queue', async () => {
    const calls: number[] = [];
    const tactic = doubling(calls);
    const inputs = [...Array.from({ length: 60 }, (_, index) => index), 'boom'];
    const batch = await queue.enqueue(tactic.name, inputs, { id: `ok-${Date.now()}` });
    // Enqueued again: the same jobs, not new ones.
    await queue.enqueue(tactic.name, inputs, { id: batch.id });
    expect(await queue.queue(tactic.name).getJobCounts('waiting')).toEqual({ waiting: 61 });
    const a = queue.work({ tactic, concurrency: 3, name: 'a' });
    const b = queue.work({ tactic, concurrency: 3, name: 'b' });
    const seen = new Map<number, unknown>();
    for await (const { outcome } of queue.results(batch)) seen.set(outcome.index, outcome.ok ? outcome.value : outcome.error?.message);
    await Promise.all([a.close(), b.close()]);
    expect(seen.size).toBe(61);
    expect(seen.get(7)).toBe(14);
    expect(seen.get(60)).toBe('boom is not a number');
    expect(calls.filter((value) => value >= 0).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, index) => index));
    const status = await queue.status(batch.id);
    expect(status).toMatchObject({ total: 61, done: 60, failed: 1, skipped: 0, inFlight: 0, pending: 0 });
    expect(status.spentUsd).toBeCloseTo(0.061, 12);
    expect(status.workers.map((worker) => worker.name).sort()).toEqual(['a', 'b']);
    expect(status.workers.reduce((sum, worker) => sum + worker.done, 0)).toBe(60);
    expect(Object.values(await queue.queue(tactic.name).getJobCounts('waiting', 'active', 'delayed', 'failed')).every((n) => n === 0)).toBe(
      true,
    );

    // The same batch again: everything resumed, only the failure runs again.
    const again = await queue.enqueue(tactic.name, inputs, { id: batch.id });
    expect(again.resumed).toHaveLength(60);
    expect(again.enqueued).toBe(1);
    const c = queue.work({ tactic, concurrency: 1, name: 'c' });
    const rerun = [];
    for await (const item of queue.results(again)) if (!item.resumed) rerun.push(item.outcome.index);
    await c.close();
    expect(rerun).toEqual([60]);
    expect((await queue.status(batch.id)).failed).toBe(1);
  });

  it('puts back the outcomes the log kept when Redis lost the batch, instead of paying for them again', async () => {
    const calls: number[] = [];
    const tactic = doubling(calls);
    const inputs = Array.from({ length: 10 }, (_, index) => index);
    const batch = await queue.enqueue(tactic.name, inputs, { id: `lost-${Date.now()}` });
    const worker = queue.work({ tactic, concurrency: 4, name: 'a' });
    const kept = new Map<number, StoredOutcome>();
    for await (const { outcome } of queue.results(batch)) if (outcome.index < 7) kept.set(outcome.index, toStoredOutcome(outcome));
    // Redis restarted without persistence: every key of the batch is gone.
    const keys = batchKeys(batch.id);
    await queue.redis.del(keys.meta, keys.outcomes, keys.results, keys.inflight, keys.workers);
    const again = await queue.enqueue(tactic.name, inputs, { id: batch.id, known: kept });
    expect(again.resumed.map((outcome) => outcome.index).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(again.enqueued).toBe(3);
    const rerun: number[] = [];
    for await (const { outcome, resumed } of queue.results(again)) if (!resumed) rerun.push(outcome.index);
    await worker.close();
    expect(rerun.sort((a, b) => a - b)).toEqual([7, 8, 9]);
    expect(calls.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 9]);
    // The spend Redis knows: the 7 restored outcomes and the 3 calls made again (the first calls of 7-9 were lost with it).
    expect(await queue.status(batch.id)).toMatchObject({ done: 10, failed: 0, spentUsd: 0.01 });
  });

  it('records an input once however many workers try', async () => {
    const id = `once-${Date.now()}`;
    const keys = batchKeys(id);
    await queue.redis.hset(keys.meta, { tactic: 't', total: 1 });
    const outcome = (worker: string) =>
      JSON.stringify({
        index: 0,
        inputHash: inputHash(1),
        ok: true,
        status: 'done',
        value: worker,
        costPicoUsd: 5,
        costKnown: true,
        tokens: 1,
        session: 's',
        at: 0,
        worker,
      });
    const results = await Promise.all(
      ['w1', 'w2', 'w3'].map((worker) =>
        runScript(
          queue.redis,
          RECORD,
          [keys.meta, keys.outcomes, keys.inflight, keys.results, keys.workers],
          [0, outcome(worker), worker, 5, 'done', 1, 1],
        ),
      ),
    );
    expect(results.filter((value) => value === 1)).toHaveLength(1);
    expect(await queue.redis.xlen(keys.results)).toBe(1);
    expect(await queue.redis.hget(keys.meta, 'spentPico')).toBe('5');
  });

  it('holds the spend cap across workers: spent ≤ cap, the rest skipped with SpendCapError', async () => {
    const calls: number[] = [];
    // One cent a call, a cap of 10.5 cents, 40 inputs over two workers of 3.
    const tactic = doubling(calls, 20, 10_000_000_000);
    const batch = await queue.enqueue(
      tactic.name,
      Array.from({ length: 40 }, (_, index) => index),
      { id: `cap-${Date.now()}`, maxCostUsd: 0.105 },
    );
    const a = queue.work({ tactic, concurrency: 3, name: 'a' });
    const b = queue.work({ tactic, concurrency: 3, name: 'b' });
    const outcomes = [];
    for await (const { outcome } of queue.results(batch)) outcomes.push(outcome);
    await Promise.all([a.close(), b.close()]);
    const status = await queue.status(batch.id);
    expect(status.spentUsd).toBeLessThanOrEqual(0.105);
    expect(status.done).toBe(calls.length);
    expect(status.done).toBeGreaterThanOrEqual(6);
    expect(status.skipped).toBe(40 - status.done);
    const skipped = outcomes.find((outcome) => outcome.status === 'skipped');
    expect(skipped?.error?.name).toBe('SpendCapError');
    expect(skipped?.error?.message).toMatch(/spend cap \(maxCostUsd 0\.105\)/);
  });

  it('refuses a bad URL (password hidden), a bad batch id, an unreachable Redis', async () => {
    await expect(BatchQueue.connect('http://user:hunter2@example.com')).rejects.toThrow(
      /redis:\/\/127\.0\.0\.1:6379.*got "http:\/\/user:\*\*\*@example\.com\/"/,
    );
    await expect(BatchQueue.connect('http://user:hunter2@example.com')).rejects.not.toThrow(/hunter2/);
    await expect(queue.enqueue('t', [1], { id: 'a b' })).rejects.toSatisfy(QueueError.isInstance);
    await expect(BatchQueue.connect('redis://127.0.0.1:1', { timeoutMs: 500 })).rejects.toThrow(/does not answer.*start it/);
    await expect(queue.status('no-such-batch')).rejects.toThrow(/No batch "no-such-batch"/);
  });
});

describe.skipIf(!url)('RedisProviderBudget', () => {
  it('shares requests per minute between two processes’ budgets, and a 429 pauses both', async () => {
    const connections = [new Redis(url), new Redis(url)];
    const [one, two] = connections.map((redis) => new RedisProviderBudget(redis)) as [RedisProviderBudget, RedisProviderBudget];
    const key = `test:rpm-${Date.now()}`;
    // 600 a minute: a full bucket of 600, so drain it first; then 10 a second.
    for (const budget of [one, two]) budget.setLimits(key, { requestsPerMinute: 600 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 600 }, (_, index) => (index % 2 ? one : two).acquire(key, 1)));
    const drained = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, index) => (index % 2 ? one : two).acquire(key, 1)));
    expect(Date.now() - drained).toBeGreaterThanOrEqual(800);
    expect(drained - started).toBeLessThan(5_000);

    one.rateLimited(key, 700);
    await one.settled();
    const paused = Date.now();
    await two.acquire(key, 1);
    expect(Date.now() - paused).toBeGreaterThanOrEqual(600);
    expect((await two.refresh())[key]?.rateLimited).toBe(1);

    // A key without limits costs no Redis round trip per request, but another worker's 429 still holds it (within pauseCheckMs).
    const open = `test:open-${Date.now()}`;
    await two.acquire(open, 1);
    one.rateLimited(open, 600);
    await one.settled();
    await sleep(150);
    const held = Date.now();
    await two.acquire(open, 1);
    expect(Date.now() - held).toBeGreaterThanOrEqual(300);
    for (const redis of connections) await redis.quit();
  });
});
