// The models the Python LLLM lists (lllm/const.py at f810ffb) resolve under upstream's names, go to
// Together with TOGETHER_API_KEY, and are priced; a request through the real client carries Together's id.
import { costOf, findModelCard, type InvokeResult } from '@lllm/core';
import { chatCompletion, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOpenAIModelCards } from './model-cards.js';
import { createOpenAI } from './provider.js';

let together: WireServer;
beforeAll(async () => {
  registerOpenAIModelCards();
  together = await startWireServer();
});
afterAll(async () => {
  await together.close();
});

// Upstream's card name → [Together's model id, input $/1M, output $/1M] as upstream priced them.
const UPSTREAM: Record<string, [string, number, number]> = {
  'qwen3-next-80b-thinking': ['Qwen/Qwen3-Next-80B-A3B-Thinking', 0.15, 1.5],
  'kimi-k2-thinking': ['moonshotai/Kimi-K2-Thinking', 1.2, 4],
  'deepseek-v3.1': ['deepseek-ai/DeepSeek-V3.1', 0.6, 1.7],
  'glm-4.6': ['zai-org/GLM-4.6', 0.6, 2.2],
  'oss-20b': ['openai/gpt-oss-20b', 0.05, 0.2],
  'gpt-oss-20b': ['openai/gpt-oss-20b', 0.05, 0.2],
  'oss-120b': ['openai/gpt-oss-120b', 0.15, 0.6],
  'gpt-oss-120b': ['openai/gpt-oss-120b', 0.15, 0.6],
};

describe("upstream's model cards", () => {
  it.each(Object.entries(UPSTREAM))('%s is Together’s %s, priced per 1M tokens', (name, [id, input, output]) => {
    const card = findModelCard(name);
    expect(card?.name).toBe(id);
    expect(card?.baseURL).toBe('https://api.together.xyz/v1');
    expect(card?.apiKeyEnv).toBe('TOGETHER_API_KEY');
    // Also found under Together's id (upstream's snapshot name).
    expect(findModelCard(id)?.name).toBe(id);
    const cost = costOf(name, { inputTokens: 1_000_000, outputTokens: 1_000_000 });
    expect(cost.known).toBe(true);
    expect(cost.inputUsd).toBeCloseTo(input, 10);
    expect(cost.outputUsd).toBeCloseTo(output, 10);
  });

  it('every OpenAI model upstream lists has a card, gpt-5.1 included, at its snapshot too', () => {
    for (const name of ['gpt-4.1', 'o4-mini', 'o3', 'gpt-4.1-mini', 'gpt-4o-mini', 'gpt-5-mini', 'gpt-5.1']) {
      expect(findModelCard(name)?.provider, name).toBe('openai');
    }
    expect(findModelCard('gpt-5.1-2025-11-13')?.name).toBe('gpt-5.1');
    expect(findModelCard('o4-mini-2025-04-16')?.name).toBe('o4-mini');
    const gpt51 = costOf('gpt-5.1', { inputTokens: 1_000_000, cachedInputTokens: 1_000_000, outputTokens: 1_000_000 });
    expect([gpt51.inputUsd, gpt51.cachedInputUsd, gpt51.outputUsd]).toEqual([1.25, 0.125, 10]);
    expect(findModelCard('gpt-5.1')?.features.reasoning).toBe(true);
  });

  it("a Together card's id goes over the wire with Together's key, not OpenAI's", async () => {
    together.enqueue('/v1/chat/completions', { json: chatCompletion({ model: 'openai/gpt-oss-120b', compatible: true, content: 'ok' }) });
    const provider = createOpenAI({ apiKey: 'sk-test-openai-key-not-for-together' });
    const result = (await provider
      .chat({ baseURL: together.openaiBaseURL, apiKey: 'tgp-test-together-key-0000' })
      .invoke(
        { model: findModelCard('oss-120b')?.name ?? '', messages: [], tools: [], modelArgs: {} },
        new AbortController().signal,
      )) as InvokeResult;
    expect(result.content).toBe('ok');
    const [captured] = together.requests;
    expect((captured?.body as { model?: string } | undefined)?.model).toBe('openai/gpt-oss-120b');
    expect(captured?.headers.authorization).toBe('Bearer tgp-test-together-key-0000');
  });
});
