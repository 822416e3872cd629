// Batches through the real `openai` SDK against the loopback wire server with latency: the
// concurrency limit holds at the server, and a 429 with retry-after (or an exhausted
// x-ratelimit-remaining-requests) pauses every call of the batch, not only the one that got it.
import { AbortError, type HeaderSource, LocalProviderBudget, rateLimitFetch, SpendCapError, Tactic } from '@lllm/core';
import {
  type CapturedRequest,
  chatCompletion,
  openaiError,
  type ScriptedResponse,
  startWireServer,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

const CHAT = '/v1/chat/completions';
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

/** The process budget, noting when each request was let through and when the key was first paused. */
class RecordingBudget extends LocalProviderBudget {
  readonly grants: number[] = [];
  pausedAt = 0;

  override async acquire(key: string, estimatedTokens: number, signal?: AbortSignal): Promise<void> {
    await super.acquire(key, estimatedTokens, signal);
    this.grants.push(performance.now());
  }

  override rateLimited(key: string, retryAfterMs?: number): void {
    this.pausedAt ||= performance.now();
    super.rateLimited(key, retryAfterMs);
  }

  override observe(key: string, headers: HeaderSource, status?: number): void {
    super.observe(key, headers, status);
    if (!this.pausedAt && (this.snapshot()[key]?.pausedUntil ?? 0) > Date.now()) this.pausedAt = performance.now();
  }
}

function batchTactic(budget: LocalProviderBudget) {
  const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key', fetch: rateLimitFetch('openai', { budget }) });
  return Tactic.quick('You echo.', {
    model: 'gpt-4o-mini',
    invoker: provider.chat(),
    budget,
    agentOptions: { maxLlmRecall: 0, backoff: { initialDelayMs: 10 } },
  });
}

/** Replies after `latencyMs`, tracking the requests open at once; `special(n)` answers request n instead. */
function latentServer(latencyMs: number, special: (n: number, request: CapturedRequest) => ScriptedResponse | undefined = () => undefined) {
  const stats = { active: 0, peak: 0, count: 0, arrivals: [] as number[] };
  server.reset();
  server.respondAlways(CHAT, async (request) => {
    stats.count += 1;
    const n = stats.count;
    stats.arrivals.push(performance.now());
    const instead = special(n, request);
    if (instead) return instead;
    stats.active += 1;
    stats.peak = Math.max(stats.peak, stats.active);
    await new Promise((resolve) => setTimeout(resolve, latencyMs));
    stats.active -= 1;
    const messages = (request.body as { messages: { content: string }[] }).messages;
    return { json: chatCompletion({ content: `echo ${messages.at(-1)?.content}`, usage: { prompt_tokens: 10, completion_tokens: 2 } }) };
  });
  return stats;
}

describe('batch through the openai SDK', () => {
  it('never has more requests open at the server than the concurrency', async () => {
    const stats = latentServer(30);
    const report = await batchTactic(new LocalProviderBudget()).batch(
      Array.from({ length: 60 }, (_, index) => `item ${index}`),
      { concurrency: 6 },
    );
    expect(report.done).toBe(60);
    expect(stats.peak).toBe(6);
    expect(report.outcomes.map((outcome) => (outcome.ok ? outcome.value : 'ERR'))).toEqual(
      Array.from({ length: 60 }, (_, index) => `echo item ${index}`),
    );
  });

  it('a 429 with retry-after pauses the whole batch, not only the call that got it', async () => {
    let rateLimitedAt = 0;
    const stats = latentServer(20, (n) => {
      if (n !== 12) return undefined;
      rateLimitedAt = performance.now();
      return openaiError({
        status: 429,
        message: 'Rate limit reached for requests',
        type: 'requests',
        code: 'rate_limit_exceeded',
        headers: { 'retry-after': '1' },
      });
    });
    const budget = new RecordingBudget();
    const report = await batchTactic(budget).batch(
      Array.from({ length: 40 }, (_, index) => `item ${index}`),
      { concurrency: 8 },
    );
    expect(report.done).toBe(40);
    expect(budget.snapshot()['openai:gpt-4o-mini']?.rateLimited).toBe(1);
    // From the moment the client saw the 429, no call of the batch may start a request for a second
    // (requests already under way finish; under load they may reach the server a little later).
    const seen = budget.pausedAt;
    expect(seen).toBeGreaterThanOrEqual(rateLimitedAt);
    expect(budget.grants.filter((time) => time > seen && time < seen + 990)).toEqual([]);
    expect(budget.grants.filter((time) => time >= seen + 990)).not.toHaveLength(0);
    expect(stats.arrivals.filter((time) => time > seen + 300 && time < seen + 950)).toEqual([]);
    expect(stats.count).toBe(41);
  });

  it('an exhausted x-ratelimit-remaining-requests header pauses everyone until its reset', async () => {
    const stats = latentServer(10, (n, request) => {
      if (n !== 5) return undefined;
      const messages = (request.body as { messages: { content: string }[] }).messages;
      return {
        json: chatCompletion({ content: `echo ${messages.at(-1)?.content}`, usage: { prompt_tokens: 10, completion_tokens: 2 } }),
        headers: { 'x-ratelimit-limit-requests': '5000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '600ms' },
      };
    });
    const budget = new RecordingBudget();
    const report = await batchTactic(budget).batch(
      Array.from({ length: 20 }, (_, index) => `item ${index}`),
      { concurrency: 4 },
    );
    expect(report.done).toBe(20);
    const seen = budget.pausedAt;
    expect(seen).toBeGreaterThan(0);
    expect(budget.grants.filter((time) => time > seen && time < seen + 590)).toEqual([]);
    expect(stats.arrivals.filter((time) => time > seen + 200 && time < seen + 550)).toEqual([]);
    expect(budget.snapshot()['openai:gpt-4o-mini']?.limits.requestsPerMinute).toBe(5000);
  });

  it('honours maxCostUsd to the cent: priced from the usage the server reports', async () => {
    // gpt-4o-mini: $0.15 per million input tokens; 1,000 input tokens = $0.00015 a call.
    server.reset();
    server.respondAlways(CHAT, {
      json: chatCompletion({ content: 'done', usage: { prompt_tokens: 1000, completion_tokens: 0 } }),
      delayMs: 10,
    });
    const report = await batchTactic(new LocalProviderBudget()).batch(
      Array.from({ length: 30 }, (_, index) => `item ${index}`),
      { concurrency: 3, maxCostUsd: 0.00075 },
    );
    expect(report.done).toBe(5);
    expect(report.spentUsd).toBeCloseTo(0.00075, 12);
    expect(report.spentUsd).toBeLessThanOrEqual(0.00075);
    expect(server.requestsTo(CHAT)).toHaveLength(5);
    const skipped = report.outcomes.filter((outcome) => !outcome.ok);
    expect(skipped).toHaveLength(25);
    expect(skipped.every((outcome) => !outcome.ok && SpendCapError.isInstance(outcome.error))).toBe(true);
  });

  it('an abort stops the batch within 200 ms and closes the in-flight requests', async () => {
    server.reset();
    server.respondAlways(CHAT, { json: chatCompletion({ content: 'late' }), delayMs: 10_000 });
    const controller = new AbortController();
    const batch = batchTactic(new LocalProviderBudget()).batch(
      Array.from({ length: 100 }, (_, index) => `item ${index}`),
      { concurrency: 10, signal: controller.signal },
    );
    for (let waited = 0; server.requestsTo(CHAT).length < 10 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const abortedAt = performance.now();
    controller.abort();
    await expect(batch).rejects.toSatisfy(AbortError.isInstance);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    for (let waited = 0; server.disconnects < 10 && waited < 2_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.disconnects).toBe(10);
    expect(server.requestsTo(CHAT)).toHaveLength(10);
  });
});
