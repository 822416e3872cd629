import { describe, expect, it } from 'vitest';
import { AbortError, ProviderError } from '../errors.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../invoker.js';
import { MemoryLogStore } from '../log-store.js';
import { registerModelCard } from '../model-card.js';
import { sleep } from '../retry.js';
import { Tactic, TacticCallError } from '../tactic/tactic.js';
import { batchSession } from './outcome-store.js';
import { LocalProviderBudget } from './provider-budget.js';
import { batchInputSession, runBatch, SpendCapError } from './run-batch.js';

// One cent per call: 10,000 input tokens at $1 per million.
registerModelCard({ name: 'batch-test-model', provider: 'test', features: {}, pricing: { input: 1, output: 0 } });

interface Gauge {
  active: number;
  peak: number;
  requests: number;
}

/** An invoker whose reply to task `"<n>"` takes `delay(n)` ms and echoes it; `"fail"` replies with a provider 400. */
function echo(gauge: Gauge, delay: (task: string) => number = () => 5): Invoker {
  return {
    name: 'echo',
    async invoke(request: InvokeRequest, signal: AbortSignal): Promise<InvokeResult> {
      gauge.requests += 1;
      gauge.active += 1;
      gauge.peak = Math.max(gauge.peak, gauge.active);
      try {
        const task = request.messages.at(-1)?.content ?? '';
        await sleep(delay(task), signal);
        if (task === 'fail') throw new ProviderError('bad request: "fail" is not a task', { kind: 'client', statusCode: 400 });
        return { content: `done ${task}`, toolCalls: [], finishReason: 'stop', usage: { inputTokens: 10_000, outputTokens: 3 } };
      } finally {
        gauge.active -= 1;
      }
    },
  };
}

function quick(gauge: Gauge, delay?: (task: string) => number, log = new MemoryLogStore()) {
  return Tactic.quick('You echo.', { model: 'batch-test-model', invoker: echo(gauge, delay), log, budget: new LocalProviderBudget() });
}

const newGauge = (): Gauge => ({ active: 0, peak: 0, requests: 0 });

describe('tactic.batch', () => {
  it('gives every input its own log session, even when the batch id is long', async () => {
    const gauge = newGauge();
    const log = new MemoryLogStore();
    const tactic = quick(gauge, () => 1, log);
    const id = 'Literature review: summaries with citations / v2'.repeat(2);
    const report = await tactic.batch(
      Array.from({ length: 12 }, (_, index) => String(index)),
      { concurrency: 4, id },
    );
    const sessions = report.outcomes.map((outcome) => outcome.session);
    expect(new Set(sessions).size).toBe(12);
    for (const [index, session] of sessions.entries()) {
      expect(session?.length).toBeLessThanOrEqual(64);
      expect(session).toMatch(new RegExp(`^literature-review-summaries-with-citations-v2[a-z0-9-]*-${index}$`));
    }
    // Each session holds its own call's dialog.
    expect((await log.read('messages', sessions[3] as string)).some((entry) => JSON.stringify(entry).includes('done 3'))).toBe(true);
    // A short id keeps the names it always had; a suffix (a worker's retry) fits as well.
    expect(batchInputSession('nightly.run', 7)).toBe('nightly-run-7');
    expect(batchInputSession('x'.repeat(80), 123, '-r2')).toBe(`${'x'.repeat(57)}-123-r2`);
  });

  it('keeps results in input order, never runs more than the concurrency, and types each failure', async () => {
    const gauge = newGauge();
    // Later inputs finish first: order must come from the input, not from completion.
    const tactic = quick(gauge, (task) => (task === 'fail' ? 1 : 40 - Number(task)));
    const inputs = Array.from({ length: 30 }, (_, index) => (index === 7 ? 'fail' : String(index)));
    const report = await tactic.batch(inputs, { concurrency: 4 });
    expect(gauge.peak).toBe(4);
    expect(report.outcomes.map((outcome) => outcome.index)).toEqual(inputs.map((_, index) => index));
    expect(report.outcomes.map((outcome) => (outcome.ok ? outcome.value : 'ERR'))).toEqual(
      inputs.map((input) => (input === 'fail' ? 'ERR' : `done ${input}`)),
    );
    const failure = report.outcomes[7];
    expect(failure?.ok).toBe(false);
    if (failure && !failure.ok) {
      expect(TacticCallError.isInstance(failure.error)).toBe(true);
      expect((failure.error as TacticCallError).kind).toBe('provider');
      expect(failure.error.message).toMatch(/"fail" is not a task/);
    }
    expect(report).toMatchObject({ done: 29, failed: 1, skipped: 0, resumed: 0, capReached: false, costKnown: true });
    expect(report.spentUsd).toBeCloseTo(0.29, 12);
  });

  it('streams outcomes as they finish', async () => {
    const gauge = newGauge();
    const tactic = quick(gauge, (task) => Number(task));
    const seen: number[] = [];
    for await (const outcome of tactic.stream(['60', '5', '30'], { concurrency: 3 })) seen.push(outcome.index);
    expect(seen).toEqual([1, 2, 0]);
  });

  it('stops within 200 ms of an abort, with in-flight calls aborted', async () => {
    const gauge = newGauge();
    const tactic = quick(gauge, () => 10_000);
    const controller = new AbortController();
    const batch = tactic.batch(
      Array.from({ length: 50 }, (_, index) => String(index)),
      { concurrency: 10, signal: controller.signal },
    );
    await sleep(50);
    const abortedAt = performance.now();
    controller.abort();
    await expect(batch).rejects.toSatisfy(AbortError.isInstance);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    await sleep(20);
    expect(gauge.active).toBe(0);
    expect(gauge.requests).toBe(10);
  });

  it('honours maxCostUsd to the cent and says how much was spent', async () => {
    for (const concurrency of [1, 3]) {
      const gauge = newGauge();
      const tactic = quick(gauge);
      const report = await tactic.batch(
        Array.from({ length: 20 }, (_, index) => String(index)),
        { concurrency, maxCostUsd: 0.05 },
      );
      expect(report.done).toBe(5);
      expect(report.spentUsd).toBeCloseTo(0.05, 12);
      expect(report.spentUsd).toBeLessThanOrEqual(0.05);
      expect(report.capReached).toBe(true);
      expect(report.skipped).toBe(15);
      const skipped = report.outcomes.find((outcome) => !outcome.ok);
      expect(skipped && !skipped.ok && SpendCapError.isInstance(skipped.error)).toBe(true);
      if (skipped && !skipped.ok) expect(skipped.error.message).toMatch(/spend cap \(maxCostUsd 0\.05\) after spending \$0\.050000/);
      expect(gauge.requests).toBe(5);
    }
  });

  it('resumes by id: finished inputs are skipped, failed and changed ones run again', async () => {
    const log = new MemoryLogStore();
    const first = newGauge();
    const inputs = ['a', 'b', 'fail', 'd'];
    const report = await quick(first, undefined, log).batch(inputs, { id: 'resume-test', concurrency: 2 });
    expect(report.done).toBe(3);
    const stored = (await log.read('messages', batchSession('resume-test'))).filter((entry) => entry.data.event === 'batch-outcome');
    expect(stored).toHaveLength(4);

    const second = newGauge();
    const again = await quick(second, undefined, log).batch(['a', 'b', 'c', 'd'], { id: 'resume-test', concurrency: 2 });
    // Only index 2 runs: it failed before, and its input changed.
    expect(second.requests).toBe(1);
    expect(again.resumed).toBe(3);
    expect(again.outcomes.map((outcome) => (outcome.ok ? outcome.value : 'ERR'))).toEqual(['done a', 'done b', 'done c', 'done d']);
    expect(again.outcomes.map((outcome) => outcome.resumed)).toEqual([true, true, false, true]);
    expect(again.spentUsd).toBeCloseTo(0.01, 12);

    // Without an id, the id is derived from the tactic and the inputs: the same batch resumes.
    const third = newGauge();
    const derived = await quick(third, undefined, log).batch(['x', 'y']);
    const fourth = newGauge();
    const rerun = await quick(fourth, undefined, log).batch(['x', 'y']);
    expect(rerun.id).toBe(derived.id);
    expect(fourth.requests).toBe(0);
  });

  it('rejects bad options with typed errors naming the value', async () => {
    const tactic = quick(newGauge());
    await expect(tactic.batch(['a'], { concurrency: 0 })).rejects.toThrow(/concurrency must be a whole number >= 1, got 0/);
    await expect(tactic.batch(['a'], { maxCostUsd: -1 })).rejects.toThrow(/maxCostUsd must be a number of US dollars >= 0, got -1/);
  });

  it('wraps a worker that throws a plain Error into a typed BatchItemError', async () => {
    const report = await runBatch(
      [1, 2],
      async (input) => {
        if (input === 2) throw new Error('boom');
        return {
          value: input * 10,
          cost: { known: true, inputUsd: 0, cachedInputUsd: 0, cacheWriteUsd: 0, outputUsd: 0, totalUsd: 0, totalPicoUsd: 0 },
        };
      },
      {},
    );
    expect(report.outcomes[0]).toMatchObject({ ok: true, value: 10 });
    expect(report.outcomes[1]).toMatchObject({ ok: false, error: { name: 'BatchItemError', message: 'Batch input 1 failed: boom' } });
  });
});
