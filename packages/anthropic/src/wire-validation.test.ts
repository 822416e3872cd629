// Strict at the wire: Messages API replies in valid JSON whose fields have the wrong types become
// typed `invalid_response` ProviderErrors (retried as transient) — through the real
// `@anthropic-ai/sdk` client against the local wire server.
import { Agent, AgentCallError, createSilentStream, MemoryLogStore, Message, type MessageJSON, ProviderError } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { type ScriptedResponse, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropic } from './provider.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const MESSAGES = '/v1/messages';

function reply(content: unknown, extra: Record<string, unknown> = {}): ScriptedResponse {
  return {
    json: {
      id: 'msg_x',
      type: 'message',
      role: 'assistant',
      model: 'claude-wire-test',
      content,
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3 },
      ...extra,
    },
  };
}

const invoker = () => createAnthropic({ apiKey: 'sk-ant-test-wire-validation-000000', baseURL: server.anthropicBaseURL }).messages();
const request = {
  model: 'claude-wire-test',
  messages: [new Message({ role: 'user', content: 'hi', creator: 'user' })],
  tools: [],
  modelArgs: {},
};

describe('Messages API: malformed replies are invalid_response', () => {
  const cases: [string, ScriptedResponse, string][] = [
    ['text a number', reply([{ type: 'text', text: 12345 }]), 'content[0].text should be a string, got 12345'],
    ['content missing', reply(undefined), 'content should be an array, got nothing'],
    ['content a string', reply('hello'), 'content should be an array, got "hello"'],
    [
      'tool input a string',
      reply([{ type: 'tool_use', id: 't1', name: 'f', input: '{"a":1}' }]),
      'content[0].input should be an object, got "{\\"a\\":1}"',
    ],
    ['tool id missing', reply([{ type: 'tool_use', name: 'f', input: {} }]), 'content[0].id should be a string, got nothing'],
    [
      'usage without output_tokens',
      reply([{ type: 'text', text: 'ok' }], { usage: { input_tokens: 5 } }),
      'usage.output_tokens should be a whole number >= 0, got nothing',
    ],
    [
      'negative usage',
      reply([{ type: 'text', text: 'ok' }], { usage: { input_tokens: -1, output_tokens: 2 } }),
      'usage.input_tokens should be a whole number >= 0, got -1',
    ],
  ];
  for (const [name, body, problem] of cases) {
    it(name, async () => {
      server.enqueue(MESSAGES, body);
      const error = await invoker()
        .invoke(request, new AbortController().signal)
        .catch((caught: unknown) => caught);
      expect(ProviderError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ kind: 'invalid_response', isRetryable: true, provider: 'anthropic' });
      expect((error as ProviderError).message).toContain(problem);
    });
  }

  it('a well-formed reply still reads, with its usage', async () => {
    server.enqueue(MESSAGES, reply([{ type: 'text', text: 'fine' }]));
    const result = await invoker().invoke(request, new AbortController().signal);
    expect(result.content).toBe('fine');
    expect(result.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
  });

  it('a streamed text delta of the wrong type is invalid_response', async () => {
    server.enqueue(MESSAGES, {
      events: [
        {
          event: 'message_start',
          data: {
            type: 'message_start',
            message: {
              id: 'm',
              type: 'message',
              role: 'assistant',
              model: 'claude-wire-test',
              content: [],
              stop_reason: null,
              usage: { input_tokens: 3, output_tokens: 0 },
            },
          },
        },
        { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
        { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 42 } } },
      ],
    });
    const error = await invoker()
      .invoke({ ...request, stream: true }, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'invalid_response' });
    expect((error as ProviderError).message).toContain('content_block_delta.delta.text should be a string, got 42');
  });

  it('message_start and pings, then silence: the request limit applies, not the idle limit', async () => {
    server.enqueue(MESSAGES, {
      events: [
        {
          event: 'message_start',
          data: {
            type: 'message_start',
            message: {
              id: 'm',
              type: 'message',
              role: 'assistant',
              model: 'claude-wire-test',
              content: [],
              stop_reason: null,
              usage: { input_tokens: 3, output_tokens: 0 },
            },
          },
        },
        { event: 'ping', data: { type: 'ping' } },
      ],
      eventDelayMs: 30_000,
    });
    const agent = new Agent({
      name: 'thinker',
      systemPrompt: new Prompt({ path: 'wire/system', prompt: 'Think.' }),
      model: 'claude-wire-test',
      invoker: invoker(),
      maxLlmRecall: 0,
      timeoutMs: 400,
      streamIdleTimeoutMs: 100,
      streamReplies: true,
      stream: createSilentStream(),
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(new Prompt({ path: 'wire/task', prompt: 'Answer.' }));
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(AgentCallError.isInstance(error)).toBe(true);
    expect(error.attempts[0]?.error).toContain('timed out after 400 ms without a reply');
  });

  it('the agent retries a malformed reply and logs it', async () => {
    server.enqueue(MESSAGES, reply([{ type: 'text', text: 12345 }]), reply([{ type: 'text', text: '<answer>ok</answer>' }]));
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'strict',
      systemPrompt: new Prompt({ path: 'wire/system', prompt: 'Be strict.' }),
      model: 'claude-wire-test',
      invoker: invoker(),
      log,
      session: 'strict',
      sleep: async () => {},
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(new Prompt({ path: 'wire/task', prompt: 'Say ok.', requiredXmlTags: ['answer'] }));
    const result = await agent.call(dialog);
    expect(result.message.content).toBe('<answer>ok</answer>');
    expect(result.attempts.map((attempt) => attempt.provider?.errorKind)).toEqual(['invalid_response']);
    const logged = (await log.read('messages', 'strict')).map((entry) => Message.fromJSON(entry.data.message as unknown as MessageJSON));
    expect(logged.filter((message) => message.finishReason === 'error')).toHaveLength(1);
    expect(server.requestsTo(MESSAGES)).toHaveLength(2);
  });
});
