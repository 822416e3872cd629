import { describe, expect, it } from 'vitest';
import { checkModelArguments, costOf, findModelCard, getModelCard, priceUsage, registerModelCard, sumCosts } from './model-card.js';

registerModelCard({
  name: 'card-test-model',
  provider: 'test',
  snapshots: ['card-test-model-2025-01-01'],
  features: { reasoning: true },
  maxOutputTokens: 1000,
  pricing: { input: 1.25, cachedInput: 0.125, output: 10, cacheWrite: 1.5625 },
  argumentRules: { unsupported: ['temperature'], ranges: { top_p: [0, 1] } },
});

describe('model cards', () => {
  it('find by name, snapshot, or an unregistered dated snapshot of a known name', () => {
    expect(findModelCard('card-test-model-2025-01-01')?.name).toBe('card-test-model');
    expect(findModelCard('card-test-model-2026-02-02')?.name).toBe('card-test-model');
    expect(findModelCard('unknown-model')).toBeUndefined();
    expect(() => getModelCard('card-test-modle')).toThrow('Did you mean "card-test-model"');
  });

  it('price every kind of token exactly', () => {
    const cost = costOf('card-test-model', {
      inputTokens: 1_000_000,
      cachedInputTokens: 2_000_000,
      cacheWriteInputTokens: 1,
      outputTokens: 3,
    });
    expect(cost).toMatchObject({ known: true, inputUsd: 1.25, cachedInputUsd: 0.25, cacheWriteUsd: 0.0000015625, outputUsd: 0.00003 });
    expect(cost.totalUsd).toBe(1.5000315625);
  });

  it("price usage from a provider batch job at the batch rate: the default 50%, a card's own discount or prices", () => {
    const usage = { inputTokens: 1_000_000, cachedInputTokens: 2_000_000, cacheWriteInputTokens: 1, outputTokens: 3 };
    const live = costOf('card-test-model', usage);
    const batch = costOf('card-test-model', { ...usage, batch: true });
    expect(batch.totalPicoUsd * 2).toBe(live.totalPicoUsd);
    expect(batch).toMatchObject({ known: true, inputUsd: 0.625, cachedInputUsd: 0.125, outputUsd: 0.000015 });
    const card = getModelCard('card-test-model');
    const quarterOff = { ...card, pricing: { ...(card.pricing ?? { input: 0, output: 0 }), batchDiscount: 0.25 } };
    expect(priceUsage(quarterOff, { inputTokens: 1_000_000, outputTokens: 0, batch: true }).totalUsd).toBe(0.9375);
    const listed = { ...card, pricing: { input: 3, output: 15, batch: { input: 1, output: 5 } } };
    expect(priceUsage(listed, { inputTokens: 1_000_000, outputTokens: 1_000_000, batch: true }).totalUsd).toBe(6);
    // A discount that is not a share in [0, 1) is never priced as free or negative: the cost is unknown.
    const broken = { ...card, pricing: { input: 3, output: 15, batchDiscount: 1.5 } };
    expect(priceUsage(broken, { inputTokens: 10, outputTokens: 10, batch: true })).toMatchObject({ known: false, totalUsd: 0 });
  });

  it('give an unknown cost for an unknown model, never a crash', () => {
    expect(costOf('mystery', { inputTokens: 10, outputTokens: 10 })).toMatchObject({ known: false, totalUsd: 0 });
    expect(costOf(undefined, undefined)).toMatchObject({ known: true, totalUsd: 0 });
    expect(priceUsage(undefined, { inputTokens: 1, outputTokens: 1 }).known).toBe(false);
  });

  it('sum without floating-point drift', () => {
    const tenth = {
      known: true,
      inputUsd: 0.1,
      cachedInputUsd: 0,
      cacheWriteUsd: 0,
      outputUsd: 0,
      totalUsd: 0.1,
      totalPicoUsd: 100_000_000_000,
    };
    const sum = sumCosts(Array.from({ length: 10 }, () => tenth));
    expect(sum.totalUsd).toBe(1);
    expect(0.1 * 10 === 1 && [0.1, 0.2].reduce((a, b) => a + b) !== 0.3).toBe(true);
  });

  it('check arguments against the card', () => {
    const card = getModelCard('card-test-model');
    expect(checkModelArguments(card, { temperature: 0.2, top_p: 2, max_completion_tokens: 5000 })).toEqual([
      'temperature: "card-test-model" does not accept temperature; remove it.',
      'top_p: expected a number from 0 to 1 for "card-test-model", got 2.',
      'max tokens: 5000 exceeds the 1000-token output limit of "card-test-model".',
    ]);
    expect(checkModelArguments(card, { top_p: 0.5 })).toEqual([]);
  });
});
