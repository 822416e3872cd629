import { describe, expect, it } from 'vitest';
import { ProviderError } from '../errors.js';
import type { Invoker } from '../invoker.js';
import { Message } from '../message.js';
import { registerModelCard } from '../model-card.js';
import { budgetedInvoker, estimateTokens, rateLimitFetch } from './budgeted-invoker.js';
import { budgetKey, LocalProviderBudget, resetMs } from './provider-budget.js';

registerModelCard({
  name: 'budget-card-model',
  provider: 'budgetco',
  features: {},
  rateLimits: { requestsPerMinute: 2, tokensPerMinute: 1_000 },
});

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Acquire, and say whether it went through without waiting past the microtask queue. */
async function immediate(budget: LocalProviderBudget, key: string, tokens = 0): Promise<boolean> {
  let done = false;
  const controller = new AbortController();
  const pending = budget.acquire(key, tokens, controller.signal).then(() => {
    done = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  await pending.catch(() => undefined);
  return done;
}

describe('LocalProviderBudget', () => {
  it('reads limits from the model card and refills per minute', async () => {
    const time = clock();
    const budget = new LocalProviderBudget({ now: time.now });
    const key = budgetKey('budget-card-model', 'fallback');
    expect(key).toBe('budgetco:budget-card-model');
    expect(await immediate(budget, key)).toBe(true);
    expect(await immediate(budget, key)).toBe(true);
    expect(await immediate(budget, key)).toBe(false);
    time.advance(30_000);
    expect(await immediate(budget, key)).toBe(true);
    expect(budget.snapshot()[key]?.limits).toEqual({ requestsPerMinute: 2, tokensPerMinute: 1_000 });
  });

  it('holds back requests over the token budget and settles real usage', async () => {
    const time = clock();
    const budget = new LocalProviderBudget({ now: time.now });
    budget.setLimits('p:m', { tokensPerMinute: 1_000 });
    expect(await immediate(budget, 'p:m', 900)).toBe(true);
    expect(await immediate(budget, 'p:m', 200)).toBe(false);
    // The reply used 100 tokens, not 900: 800 come back.
    budget.settle('p:m', 900, 100);
    expect(await immediate(budget, 'p:m', 200)).toBe(true);
  });

  it('pauses every caller of a key after a 429, for its retry-after', async () => {
    const time = clock();
    const budget = new LocalProviderBudget({ now: time.now });
    budget.rateLimited('p:m', 2_000);
    expect(await immediate(budget, 'p:m')).toBe(false);
    expect(await immediate(budget, 'p:other')).toBe(true);
    time.advance(2_001);
    expect(await immediate(budget, 'p:m')).toBe(true);
    expect(budget.snapshot()['p:m']?.rateLimited).toBe(1);
  });

  it('learns limits and exhaustion from x-ratelimit-* and anthropic-ratelimit-* headers', async () => {
    const time = clock();
    const budget = new LocalProviderBudget({ now: time.now });
    budget.observe('openai:m', {
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-limit-tokens': '90000',
    });
    expect(budget.snapshot()['openai:m']?.limits).toEqual({ requestsPerMinute: 60, tokensPerMinute: 90_000 });
    expect(budget.snapshot()['openai:m']?.pausedUntil).toBe(time.now() + 1_500);
    const reset = new Date(time.now() + 4_000).toISOString();
    budget.observe(
      'anthropic:m',
      new Headers({ 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': reset }),
    );
    expect(budget.snapshot()['anthropic:m']?.pausedUntil).toBeGreaterThanOrEqual(time.now() + 3_000);
    budget.observe('openai:n', new Headers({ 'retry-after': '3' }), 429);
    expect(budget.snapshot()['openai:n']).toMatchObject({ rateLimited: 1, pausedUntil: time.now() + 3_000 });
  });

  it('parses reset durations and rejects bad limits', () => {
    expect(resetMs('6m0s')).toBe(360_000);
    expect(resetMs('20ms')).toBe(20);
    expect(resetMs('1h2m3.5s')).toBe(3_723_500);
    expect(resetMs('2')).toBe(2_000);
    expect(resetMs('soon')).toBeUndefined();
    expect(() => new LocalProviderBudget().setLimits('p:m', { requestsPerMinute: 0 })).toThrow(
      /requestsPerMinute for "p:m" must be a number > 0, got 0/,
    );
  });
});

describe('budgetedInvoker', () => {
  it('reports a 429 to the shared budget so other calls of the key wait', async () => {
    const budget = new LocalProviderBudget();
    let count = 0;
    const inner: Invoker = {
      name: 'inner',
      async invoke() {
        count += 1;
        if (count === 1) throw new ProviderError('slow down', { kind: 'rate_limit', statusCode: 429, retryAfterMs: 300 });
        return { content: 'ok', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } };
      },
    };
    const invoker = budgetedInvoker(inner, { budget });
    const request = { model: 'm', messages: [new Message({ role: 'user', creator: 'user', content: 'hi' })], tools: [], modelArgs: {} };
    const signal = new AbortController().signal;
    await expect(invoker.invoke(request, signal)).rejects.toThrow(/slow down/);
    const started = performance.now();
    await invoker.invoke(request, signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(budgetedInvoker(invoker, { budget })).toBe(invoker);
  });

  it('estimates tokens from the text and the completion limit', () => {
    const request = {
      model: 'm',
      messages: [new Message({ role: 'user', creator: 'user', content: 'x'.repeat(400) })],
      tools: [],
      modelArgs: { max_tokens: 50 },
    };
    expect(estimateTokens(request)).toBe(Math.ceil(408 / 4) + 50);
  });

  it('rateLimitFetch feeds response headers to the budget under the body model', async () => {
    const budget = new LocalProviderBudget();
    const fetch = rateLimitFetch('openai', {
      budget,
      fetch: async () => new Response('{}', { status: 200, headers: { 'x-ratelimit-limit-requests': '77' } }),
    });
    await fetch('http://127.0.0.1:1/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'gpt-x', messages: [] }) });
    expect(budget.snapshot()['openai:gpt-x']?.limits.requestsPerMinute).toBe(77);
  });
});
