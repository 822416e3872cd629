import { Agent } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryClassify, classify, classTokens, encodingForModel } from './classify.js';
import { createOpenAI } from './provider.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());

function oneToken(token: string, top: [string, number][]) {
  return {
    json: {
      id: 'chatcmpl-c',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: token, refusal: null },
          finish_reason: 'length',
          logprobs: {
            content: [
              {
                token,
                logprob: top[0]?.[1] ?? 0,
                bytes: null,
                top_logprobs: top.map(([t, logprob]) => ({ token: t, logprob, bytes: null })),
              },
            ],
          },
        },
      ],
      usage: { prompt_tokens: 30, completion_tokens: 1 },
    },
  };
}

function setup() {
  const provider = createOpenAI({ apiKey: 'sk-test-classify-key-0000000000', baseURL: server.openaiBaseURL });
  const agent = new Agent({
    name: 'judge',
    systemPrompt: new Prompt({ path: 'c/system', prompt: 'You judge reviews.' }),
    model: 'gpt-4o-mini',
    invoker: provider.chat(),
  });
  const dialog = agent.initDialog();
  dialog.sendMessage('Review: "Great battery, awful screen."');
  return { agent, dialog };
}

describe('logprob classification', () => {
  it('constrains the reply to the class tokens and reads probabilities from top_logprobs', async () => {
    server.enqueue(
      '/v1/chat/completions',
      oneToken('Mixed', [
        ['Mixed', Math.log(0.6)],
        ['Positive', Math.log(0.3)],
        ['Negative', Math.log(0.05)],
        ['The', Math.log(0.05)],
      ]),
    );
    const { agent, dialog } = setup();
    const before = dialog.length;
    const result = await classify(agent, dialog, ['Positive', 'Negative', 'Mixed']);
    expect(result.label).toBe('Mixed');
    expect(result.probabilities.Mixed).toBeCloseTo(0.6 / 0.95, 10);
    expect(result.probabilities.Positive).toBeCloseTo(0.3 / 0.95, 10);
    expect(dialog.length).toBe(before);
    const body = server.requestsTo('/v1/chat/completions').at(-1)?.body as Record<string, unknown>;
    const expectedBias = Object.fromEntries(['Positive', 'Negative', 'Mixed'].map((label) => [String(encode(label)[0]), 100]));
    expect(body.logit_bias).toEqual(expectedBias);
    expect(body).toMatchObject({ max_tokens: 1, logprobs: true, temperature: 0 });
    expect((body.messages as { content: string }[]).at(-1)?.content).toBe('Answer with exactly one of: Positive, Negative, Mixed.');
  });

  it('binaryClassify gives P(yes)', async () => {
    server.enqueue(
      '/v1/chat/completions',
      oneToken('No', [
        ['No', Math.log(0.8)],
        ['Yes', Math.log(0.2)],
      ]),
    );
    const { agent, dialog } = setup();
    const result = await binaryClassify(agent, dialog);
    expect(result.answer).toBe(false);
    expect(result.probability).toBeCloseTo(0.2, 10);
  });

  it('a class that is not one token is a clear error, before any request', async () => {
    await expect(classTokens(['positive sentiment', 'negative'], 'o200k_base')).rejects.toThrow(
      '"positive sentiment" is 2 tokens under o200k_base',
    );
    expect(encodingForModel('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
  });
});
