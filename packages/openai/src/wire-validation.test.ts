// Strict at the wire: replies in valid JSON whose fields have the wrong types become typed
// `invalid_response` ProviderErrors (retried as transient) — driven through the real `openai` SDK
// against the local wire server. Also the agent's request and idle-stream timeouts over real HTTP.
import {
  Agent,
  AgentCallError,
  type AgentOptions,
  createSilentStream,
  type Invoker,
  MemoryLogStore,
  Message,
  type MessageJSON,
  ProviderError,
} from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { type ScriptedResponse, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const goodUsage = { prompt_tokens: 10, completion_tokens: 2 };

function chat(message: Record<string, unknown>, extra: Record<string, unknown> = {}): ScriptedResponse {
  return {
    json: {
      id: 'chatcmpl-x',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini',
      choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: 'stop', logprobs: null }],
      usage: goodUsage,
      ...extra,
    },
  };
}

function response(output: unknown[], extra: Record<string, unknown> = {}): ScriptedResponse {
  return {
    json: {
      id: 'resp_x',
      object: 'response',
      created_at: 1,
      status: 'completed',
      model: 'gpt-4o-mini',
      output,
      usage: {
        input_tokens: 10,
        output_tokens: 2,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens_details: { reasoning_tokens: 0 },
      },
      ...extra,
    },
  };
}
const outputText = (text: unknown) => ({
  type: 'message',
  id: 'msg_1',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text, annotations: [] }],
});

const provider = () => createOpenAI({ apiKey: 'sk-test-wire-validation-0000000000', baseURL: server.openaiBaseURL });
const request = {
  model: 'gpt-4o-mini',
  messages: [new Message({ role: 'user', content: 'hi', creator: 'user' })],
  tools: [],
  modelArgs: {},
};

async function invokeError(invoker: Invoker): Promise<ProviderError> {
  const error = await invoker.invoke(request, new AbortController().signal).catch((caught: unknown) => caught);
  expect(ProviderError.isInstance(error)).toBe(true);
  return error as ProviderError;
}

describe('Chat Completions: malformed replies are invalid_response', () => {
  const cases: [string, ScriptedResponse, string][] = [
    ['content a number', chat({ content: 12345 }), 'choices[0].message.content should be a string, got 12345'],
    ['no choices', chat({}, { choices: [] }), 'choices should be a non-empty array'],
    ['choices missing', chat({}, { choices: undefined }), 'choices should be an array, got nothing'],
    ['message missing', chat({}, { choices: [{ index: 0, finish_reason: 'stop' }] }), 'choices[0].message should be an object'],
    [
      'tool arguments an object',
      chat({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }),
      'choices[0].message.tool_calls[0].function.arguments should be a string, got {"a":1}',
    ],
    [
      'tool name missing',
      chat({ tool_calls: [{ id: 'c1', type: 'function', function: { arguments: '{}' } }] }),
      'choices[0].message.tool_calls[0].function.name should be a string, got nothing',
    ],
    [
      'usage without completion_tokens',
      chat({ content: 'ok' }, { usage: { prompt_tokens: 5 } }),
      'usage.completion_tokens should be a whole number >= 0, got nothing',
    ],
    [
      'negative usage',
      chat({ content: 'ok' }, { usage: { prompt_tokens: -5, completion_tokens: 1 } }),
      'usage.prompt_tokens should be a whole number >= 0, got -5',
    ],
    [
      'fractional usage',
      chat({ content: 'ok' }, { usage: { prompt_tokens: 1.5, completion_tokens: 1 } }),
      'usage.prompt_tokens should be a whole number >= 0, got 1.5',
    ],
    ['model a number', chat({ content: 'ok' }, { model: 7 }), 'model should be a string, got 7'],
  ];
  for (const [name, body, problem] of cases) {
    it(name, async () => {
      server.enqueue(CHAT, body);
      const error = await invokeError(provider().chat());
      expect(error.kind).toBe('invalid_response');
      expect(error.isRetryable).toBe(true);
      expect(error.message).toContain(problem);
      expect(error.provider).toBe('openai-chat');
    });
  }

  it('a well-formed reply still reads, with its usage', async () => {
    server.enqueue(CHAT, chat({ content: 'fine' }));
    const result = await provider().chat().invoke(request, new AbortController().signal);
    expect(result.content).toBe('fine');
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 2 });
  });

  it('a streamed chunk with a wrong-typed delta is invalid_response', async () => {
    server.enqueue(CHAT, {
      events: [
        {
          data: {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'gpt-4o-mini',
            choices: [{ index: 0, delta: { content: 42 }, finish_reason: null }],
          },
        },
      ],
      done: true,
    });
    const error = await provider()
      .chat()
      .invoke({ ...request, stream: true }, new AbortController().signal)
      .catch((caught: unknown) => caught as ProviderError);
    expect(error).toMatchObject({ kind: 'invalid_response' });
    expect((error as ProviderError).message).toContain('stream chunk 1.delta.content should be a string, got 42');
  });
});

describe('Responses API: malformed replies are invalid_response', () => {
  const cases: [string, ScriptedResponse, string][] = [
    ['output text a number', response([outputText(12345)]), 'output[0].content[0].text should be a string, got 12345'],
    // The SDK itself reads `output` (to add output_text): it fails first, and that is invalid_response too.
    ['output missing', response([], { output: undefined }), 'the response could not be read'],
    [
      'function arguments an object',
      response([{ type: 'function_call', id: 'fc', call_id: 'c1', name: 'f', arguments: { a: 1 }, status: 'completed' }]),
      'output[0].arguments should be a string, got {"a":1}',
    ],
    [
      'usage without output_tokens',
      response([outputText('ok')], { usage: { input_tokens: 3 } }),
      'usage.output_tokens should be a whole number >= 0, got nothing',
    ],
    [
      'cached more than input',
      response([outputText('ok')], { usage: { input_tokens: 3, output_tokens: 1, input_tokens_details: { cached_tokens: 9 } } }),
      'usage.input_tokens_details.cached_tokens should be at most input_tokens (3), got 9',
    ],
  ];
  for (const [name, body, problem] of cases) {
    it(name, async () => {
      server.enqueue(RESPONSES, body);
      const error = await invokeError(provider().responses());
      expect(error.kind).toBe('invalid_response');
      expect(error.isRetryable).toBe(true);
      expect(error.message).toContain(problem);
    });
  }
});

describe('the agent call retries a malformed reply and logs it', () => {
  it('content 12345 is retried on the recall budget, and the log can be replayed', async () => {
    server.enqueue(CHAT, chat({ content: 12345 }), chat({ content: '<answer>ok</answer>' }));
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'strict',
      systemPrompt: new Prompt({ path: 'wire/system', prompt: 'Be strict.' }),
      model: 'gpt-4o-mini',
      invoker: provider().chat(),
      log,
      session: 'strict',
      sleep: async () => {},
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(new Prompt({ path: 'wire/task', prompt: 'Say ok.', requiredXmlTags: ['answer'] }));
    const result = await agent.call(dialog);
    expect(result.message.content).toBe('<answer>ok</answer>');
    expect(result.attempts[0]?.provider?.errorKind).toBe('invalid_response');
    const logged = (await log.read('messages', 'strict')).map((entry) => Message.fromJSON(entry.data.message as unknown as MessageJSON));
    const fault = logged.find((message) => message.finishReason === 'error');
    // Every stored content is a string (replay would crash on a number), and the malformed payload is kept as raw.
    expect(logged.every((message) => typeof message.content === 'string')).toBe(true);
    expect((fault?.raw as { choices: { message: { content: unknown } }[] } | undefined)?.choices[0]?.message.content).toBe(12345);
  });
});

describe('timeouts over real HTTP', () => {
  function timedAgent(options: Partial<AgentOptions>) {
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'timed',
      systemPrompt: new Prompt({ path: 'wire/system', prompt: 'Be quick.' }),
      model: 'gpt-4o-mini',
      invoker: provider().chat(),
      log,
      session: 'timed',
      maxLlmRecall: 1,
      sleep: async () => {},
      ...options,
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(new Prompt({ path: 'wire/task', prompt: 'Answer.' }));
    return { agent, dialog, log };
  }

  it('headers never sent: each attempt ends at timeoutMs, typed, and every attempt is logged', async () => {
    const stalled: ScriptedResponse = { ...chat({ content: 'late' }), delayMs: 30_000 };
    server.enqueue(CHAT, stalled, stalled);
    const { agent, dialog, log } = timedAgent({ timeoutMs: 150 });
    const started = Date.now();
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    const elapsed = Date.now() - started;
    expect(AgentCallError.isInstance(error)).toBe(true);
    expect(error.kind).toBe('provider');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3_000);
    expect((error.cause as ProviderError).kind).toBe('timeout');
    expect(server.requestsTo(CHAT)).toHaveLength(2);
    const faults = (await log.read('messages', 'timed')).filter(
      (entry) => (entry.data.message as MessageJSON | undefined)?.finishReason === 'error',
    );
    expect(faults).toHaveLength(2);
    expect(faults.every((entry) => (entry.data.message as MessageJSON).attempts?.[0]?.provider?.errorKind === 'timeout')).toBe(true);
    expect((await log.read('messages', 'timed')).some((entry) => entry.data.event === 'agent-call-error')).toBe(true);
  });

  it('headers, then silence before any event: the request limit ends the attempt', async () => {
    // An SSE comment opens the body; the SDK yields no event for it, so the reply has not started.
    server.enqueue(
      CHAT,
      { sse: ': opened\n\ndata: {}\n\n', eventDelayMs: 30_000 },
      {
        events: [
          {
            data: {
              id: 'c',
              object: 'chat.completion.chunk',
              created: 1,
              model: 'gpt-4o-mini',
              choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }],
            },
          },
        ],
        done: true,
      },
    );
    const { agent, dialog, log } = timedAgent({
      timeoutMs: 200,
      streamIdleTimeoutMs: 10_000,
      streamReplies: true,
      stream: createSilentStream(),
    });
    const started = Date.now();
    const result = await agent.call(dialog);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.message.content).toBe('ok');
    expect(result.attempts[0]?.error).toContain('timed out after 200 ms without a reply');
    const logged = (await log.read('messages', 'timed')).filter(
      (entry) => (entry.data.message as MessageJSON | undefined)?.role === 'assistant',
    );
    expect(logged).toHaveLength(2);
  });

  it('Responses API: response.created then silence is a reply not yet started (a reasoning model thinking)', async () => {
    const created = {
      type: 'response.created',
      sequence_number: 0,
      response: { id: 'resp_x', object: 'response', status: 'in_progress', output: [] },
    };
    server.enqueue(RESPONSES, { events: [{ event: 'response.created', data: created }], eventDelayMs: 30_000 });
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'thinker',
      systemPrompt: new Prompt({ path: 'wire/system', prompt: 'Think.' }),
      model: 'gpt-4o-mini',
      invoker: provider().responses(),
      log,
      maxLlmRecall: 0,
      timeoutMs: 400,
      streamIdleTimeoutMs: 100,
      streamReplies: true,
      stream: createSilentStream(),
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(new Prompt({ path: 'wire/task', prompt: 'Answer.' }));
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    // Not the 100 ms idle limit: lifecycle events do not start the reply.
    expect(error.attempts[0]?.error).toContain('timed out after 400 ms without a reply');
  });

  it('headers, one event, then silence: the idle-stream limit ends the attempt', async () => {
    const chunk = (content: string) => ({
      data: {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, delta: { content }, finish_reason: null }],
      },
    });
    server.enqueue(
      CHAT,
      { events: [chunk('par'), chunk('tial')], eventDelayMs: 30_000, done: true },
      {
        events: [
          chunk('ok'),
          {
            data: {
              id: 'c',
              object: 'chat.completion.chunk',
              created: 1,
              model: 'gpt-4o-mini',
              choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
            },
          },
        ],
        done: true,
      },
    );
    const { agent, dialog } = timedAgent({
      timeoutMs: 10_000,
      streamIdleTimeoutMs: 150,
      streamReplies: true,
      stream: createSilentStream(),
    });
    const started = Date.now();
    const result = await agent.call(dialog);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.message.content).toBe('ok');
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]?.provider?.errorKind).toBe('timeout');
    expect(result.attempts[0]?.error).toContain('150 ms of silence in the streamed reply');
  });
});
