// The Claude models the Python LLLM names (its HEAD's README, examples and tests) have cards under
// those names, priced from Anthropic's model pages.
import { costOf, findModelCard } from '@lllm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerAnthropicModelCards } from './model-cards.js';

beforeAll(() => registerAnthropicModelCards());

describe("upstream's Claude models", () => {
  it.each([
    ['claude-opus-4-6', 5, 25, 1_000_000],
    ['claude-sonnet-4-6', 3, 15, 1_000_000],
    ['claude-haiku-4-5-20251001', 1, 5, 200_000],
    ['claude-3-5-sonnet', 3, 15, 200_000],
  ] as const)('%s: $%d / $%d per 1M tokens, %d-token context', (name, input, output, context) => {
    const card = findModelCard(name);
    expect(card?.provider).toBe('anthropic');
    expect(card?.contextWindow).toBe(context);
    const cost = costOf(name, { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 1_000_000 });
    expect([cost.inputUsd, cost.outputUsd, cost.cachedInputUsd]).toEqual([input, output, input / 10]);
  });
});
