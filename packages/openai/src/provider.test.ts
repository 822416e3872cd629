// Endpoints per invoker: two local wire servers, the real `openai` client, assertions on which server
// received each request and with which key and headers.
import { ConfigError, InvalidArgumentError, type InvokeRequest, type InvokeResult } from '@lllm/core';
import { chatCompletion, outputMessage, responseBody, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

let main: WireServer;
let local: WireServer;
beforeAll(async () => {
  [main, local] = await Promise.all([startWireServer(), startWireServer()]);
});
afterAll(async () => {
  await Promise.all([main.close(), local.close()]);
});
beforeEach(() => {
  main.reset();
  local.reset();
});

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const MAIN_KEY = 'sk-test-main-endpoint-key-00000';
const LOCAL_KEY = 'sk-test-local-endpoint-key-0000';
const signal = () => new AbortController().signal;
const request = (model = 'gpt-4o'): InvokeRequest => ({ model, messages: [], tools: [], modelArgs: {} });
const mainReply = { json: chatCompletion({ model: 'gpt-4.1-nano-2025-04-14', content: 'Paris.' }) };
const compatibleReply = { json: chatCompletion({ model: 'llama-3.3-70b', compatible: true, content: 'Paris is the capital of France.' }) };
const responsesReply = { json: responseBody({ output: [outputMessage('The capital of France is Paris.')] }) };

describe('per-invoker baseURL', () => {
  it('chat({ baseURL }) and responses({ baseURL }) go to their own endpoint; the provider default is untouched', async () => {
    main.enqueue(CHAT, mainReply);
    local.enqueue(CHAT, compatibleReply);
    local.enqueue(RESPONSES, responsesReply);
    const provider = createOpenAI({ apiKey: MAIN_KEY, baseURL: main.openaiBaseURL, headers: { 'x-team': 'research' } });

    const viaMain = (await provider.chat().invoke(request(), signal())) as InvokeResult;
    const viaLocal = (await provider.chat({ baseURL: local.openaiBaseURL, apiKey: LOCAL_KEY }).invoke(request(), signal())) as InvokeResult;
    const viaLocalResponses = (await provider.responses({ baseURL: local.openaiBaseURL }).invoke(request(), signal())) as InvokeResult;

    expect(main.requests.map((captured) => captured.path)).toEqual([CHAT]);
    expect(local.requests.map((captured) => captured.path)).toEqual([CHAT, RESPONSES]);
    expect(viaMain.model).toBe('gpt-4.1-nano-2025-04-14');
    expect(viaLocal.content).not.toBe(viaMain.content);
    expect(viaLocalResponses.content).toBe('The capital of France is Paris.');
    // Its own key when given, else the provider's; the provider's headers either way.
    const [localChat, localResponses] = local.requests;
    expect(localChat?.headers.authorization).toBe(`Bearer ${LOCAL_KEY}`);
    expect(localResponses?.headers.authorization).toBe(`Bearer ${MAIN_KEY}`);
    expect(localChat?.headers['x-team']).toBe('research');
    expect(main.requests[0]?.headers.authorization).toBe(`Bearer ${MAIN_KEY}`);
  });

  it("wins over a model card's baseURL and key variable", async () => {
    const saved = process.env.TOGETHER_API_KEY;
    delete process.env.TOGETHER_API_KEY;
    try {
      local.enqueue(CHAT, compatibleReply);
      const provider = createOpenAI({ apiKey: MAIN_KEY, baseURL: main.openaiBaseURL });
      await provider
        .chat({ baseURL: local.openaiBaseURL, apiKey: LOCAL_KEY })
        .invoke(request('meta-llama/Llama-3.3-70B-Instruct-Turbo'), signal());
      expect(local.requestsTo(CHAT)).toHaveLength(1);
      expect((local.requestsTo(CHAT)[0]?.body as { model?: string } | undefined)?.model).toBe('meta-llama/Llama-3.3-70B-Instruct-Turbo');
      expect(main.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.TOGETHER_API_KEY = saved;
    }
  });

  it('apiKey without baseURL is refused when the invoker is made; no key at all is a ConfigError naming the endpoint', async () => {
    const provider = createOpenAI({ baseURL: main.openaiBaseURL });
    expect(() => provider.chat({ apiKey: LOCAL_KEY })).toThrow(InvalidArgumentError);
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      const error = await provider
        .chat({ baseURL: local.openaiBaseURL })
        .invoke(request(), signal())
        .catch((caught: unknown) => caught);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(`No API key for ${local.openaiBaseURL}`);
      expect(local.requests).toHaveLength(0);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });
});
