// The real `@anthropic-ai/sdk` client against the local wire server: replies in every documented shape
// of the Messages API (text, tool_use, thinking, prompt-cache usage, streaming events, error bodies),
// written by this project with the @lllm/test-server body builders; the captured request bodies; and
// every state-machine branch end to end. The genuine recordings are replayed by the conformance layer
// (packages/conformance) when they are present.
import {
  AbortError,
  Agent,
  type AgentCallError,
  type AgentOptions,
  Dialog,
  type InvokeEvent,
  type InvokeRequest,
  type InvokeResult,
  type ProviderError,
} from '@lllm/core';
import { LINKED_SIGNAL } from '@lllm/http';
import { Prompt, tool } from '@lllm/prompts';
import {
  anthropicError,
  anthropicMessage,
  anthropicRateLimitHeaders,
  anthropicStream,
  type ScriptedResponse,
  startWireServer,
  textBlock,
  thinkingBlock,
  toolUseBlock,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestOptions } from './messages-invoker.js';
import { createAnthropic } from './provider.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const PATH = '/v1/messages';
const provider = () => createAnthropic({ apiKey: 'sk-ant-test-key-000000000000000000', baseURL: server.anthropicBaseURL });
const bodies = () => server.requestsTo(PATH).map((request) => request.body as Record<string, unknown>);

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  const dialog = Dialog.create({ system: 'Be brief.' });
  dialog.sendMessage('Hello?');
  return { model: 'claude-sonnet-4-5', messages: dialog.messages, tools: [], modelArgs: {}, ...overrides };
}

async function invoke(reply: ScriptedResponse, overrides: Partial<InvokeRequest> = {}) {
  server.enqueue(PATH, reply);
  const events: InvokeEvent[] = [];
  const result = await provider()
    .messages()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

const GREETING = 'Hello! How can I help you today?';
const greeting = () => ({ json: anthropicMessage({ content: [textBlock(GREETING)], usage: { input_tokens: 14, output_tokens: 9 } }) });

describe('Messages API replies', () => {
  it('text, stop reason, usage; the request has system, max_tokens from the card (capped when not streaming)', async () => {
    const { result } = await invoke(greeting());
    const invoked = result as InvokeResult;
    expect(invoked.content).toBe(GREETING);
    expect(invoked.finishReason).toBe('stop');
    expect(invoked.model).toBe('claude-sonnet-4-5-20250929');
    expect(invoked.usage).toEqual({ inputTokens: 14, outputTokens: 9 });
    expect(bodies()[0]).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 16_384,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello?' }] }],
    });
  });

  it('text then a tool_use without arguments', async () => {
    const reply = anthropicMessage({
      model: 'claude-3-opus-20240229',
      content: [
        textBlock('<thinking>The user wants the issue list refreshed; the tool takes no input.</thinking>'),
        toolUseBlock('toolu_lllmIssues01', 'updateIssueList'),
      ],
    });
    const { result } = await invoke({ json: reply }, { model: 'claude-3-opus-latest' });
    const invoked = result as InvokeResult;
    expect(invoked.content).toContain('<thinking>');
    expect(invoked.toolCalls).toEqual([{ id: 'toolu_lllmIssues01', name: 'updateIssueList', arguments: '{}' }]);
    expect(invoked.finishReason).toBe('tool_calls');
  });

  it('tools go out in the documented shape, and the tool call comes back', async () => {
    const documented = [
      {
        name: 'get_user_country',
        description: "Get the user's country.",
        input_schema: { type: 'object', properties: {}, additionalProperties: false },
      },
      {
        name: 'get_weather',
        description: 'Get the current weather in a given location.',
        input_schema: {
          type: 'object',
          properties: { location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' } },
          required: ['location'],
        },
      },
    ];
    const tools = documented.map((spec) => ({
      name: spec.name,
      description: spec.description,
      parameters: spec.input_schema,
      linked: true,
      execute: () => '',
    }));
    const reply = anthropicMessage({ content: [toolUseBlock('toolu_lllmCountry01', 'get_user_country')] });
    const { result } = await invoke({ json: reply }, { tools });
    expect((result as InvokeResult).toolCalls).toEqual([{ id: 'toolu_lllmCountry01', name: 'get_user_country', arguments: '{}' }]);
    expect(bodies()[0]?.tools).toEqual(documented);
  });

  it('cache reads and writes priced exactly by the model card', async () => {
    const reply = anthropicMessage({
      content: [textBlock('Summarised.')],
      usage: { input_tokens: 5, output_tokens: 40, cache_read_input_tokens: 2_048, cache_creation_input_tokens: 512 },
    });
    const { result } = await invoke({ json: reply });
    const invoked = result as InvokeResult;
    expect(invoked.usage).toEqual({ inputTokens: 5, outputTokens: 40, cachedInputTokens: 2_048, cacheWriteInputTokens: 512 });
    const { costOf } = await import('@lllm/core');
    // claude-sonnet-4-5: 5 × $3 + 512 × $3.75 + 2048 × $0.30 + 40 × $15 per 1M tokens = $0.0031494
    expect(costOf(invoked.model, invoked.usage).totalUsd).toBe(0.0031494);
  });

  it('streamed text: text deltas and usage', async () => {
    const reply = anthropicStream({
      content: [textBlock('Hello! Paris is the capital of France.')],
      usage: { input_tokens: 14, output_tokens: 11 },
    });
    const { result, events } = await invoke(reply, { stream: true });
    const invoked = result as InvokeResult;
    const text = events.filter((event) => event.type === 'text-delta').map((event) => ('text' in event ? event.text : ''));
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe(invoked.content);
    expect(invoked.usage?.outputTokens).toBeGreaterThan(0);
    expect(bodies()[0]?.stream).toBe(true);
  });

  it('streamed thinking: thinking deltas, signature kept and echoed on the next turn', async () => {
    const reply = anthropicStream({
      model: 'claude-sonnet-4-20250514',
      content: [
        thinkingBlock('The user says hello. A short friendly answer fits.', 'EqQBCkgIBxABGAIiQLllmSignatureOpaqueBase64Value0123456789=='),
        textBlock('Hello! What can I do for you?'),
      ],
    });
    const { result, events } = await invoke(reply, { stream: true, model: 'claude-sonnet-4-0' });
    const invoked = result as InvokeResult;
    expect(events.some((event) => event.type === 'reasoning-delta')).toBe(true);
    expect(String(invoked.extra?.reasoning ?? '').length).toBeGreaterThan(0);
    const thinking = (invoked.raw as { content: { type: string; signature?: string }[] }).content.find(
      (block) => block.type === 'thinking',
    );
    expect(thinking?.signature?.length).toBeGreaterThan(10);
    // The next turn sends the thinking block back unchanged, before the text.
    const { Message } = await import('@lllm/core');
    const answer = new Message({ role: 'assistant', content: invoked.content, creator: 'a', raw: invoked.raw });
    server.enqueue(PATH, greeting());
    await provider()
      .messages()
      .invoke(
        request({ messages: [...request().messages, answer, new Message({ role: 'user', content: 'More?', creator: 'user' })] }),
        new AbortController().signal,
      );
    const sent = ((bodies().at(-1)?.messages ?? []) as { role: string; content: { type: string; signature?: string }[] }[])[1];
    expect(sent?.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(sent?.content[0]?.signature).toBe(thinking?.signature);
  });

  const TOOL_STREAMS: Record<string, ScriptedResponse> = {
    'text then a tool_use with input': anthropicStream(
      {
        content: [
          textBlock("I'll check the weather."),
          toolUseBlock('toolu_lllmWeather01', 'get_weather', { location: 'San Francisco, CA', unit: 'fahrenheit' }),
        ],
      },
      { jsonPieces: 4 },
    ),
    'a tool_use with an empty input': anthropicStream({ content: [toolUseBlock('toolu_lllmTime01', 'get_time')] }),
  };
  for (const [name, reply] of Object.entries(TOOL_STREAMS)) {
    it(`streamed ${name}: input_json_delta fragments assembled into a tool call`, async () => {
      const { result, events } = await invoke(reply, { stream: true });
      const invoked = result as InvokeResult;
      expect(invoked.finishReason).toBe('tool_calls');
      expect(invoked.toolCalls).toHaveLength(1);
      const fragments = events
        .filter((event) => event.type === 'tool-call-delta')
        .map((event) => ('argumentsDelta' in event ? event.argumentsDelta : ''));
      expect(JSON.parse(invoked.toolCalls[0]?.arguments ?? '')).toEqual(fragments.join('') ? JSON.parse(fragments.join('')) : {});
    });
  }

  it('a 400 with its request id, not retryable', async () => {
    const { result } = await invoke(
      anthropicError({
        status: 400,
        type: 'invalid_request_error',
        message: 'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5-20250929',
        requestId: 'req_011lllmBadRequest0001',
      }),
    );
    const error = result as ProviderError;
    expect(error.statusCode).toBe(400);
    expect(error.kind).toBe('client');
    expect(error.isRetryable).toBe(false);
    expect(error.requestId).toBe('req_011lllmBadRequest0001');
    expect(error.message).toContain('max_tokens: 100000 > 64000');
  });

  it('a 404 for an unknown model', async () => {
    const { result } = await invoke(anthropicError({ status: 404, type: 'not_found_error', message: 'model: claude-does-not-exist' }));
    expect((result as ProviderError).statusCode).toBe(404);
    expect((result as ProviderError).message).toContain('(not_found_error): model: claude-does-not-exist');
  });

  it('a 429 with rate-limit headers and no retry-after is retryable, the request id read from the header', async () => {
    server.enqueue(
      PATH,
      anthropicError({
        status: 429,
        type: 'rate_limit_error',
        message: 'Number of request tokens has exceeded your per-minute rate limit',
        requestId: 'req_01lllmRateLimited0001',
        requestIdInHeaderOnly: true,
        headers: anthropicRateLimitHeaders({
          requests: 50,
          requestsRemaining: 0,
          tokens: 40_000,
          tokensRemaining: 0,
          reset: '2026-01-01T00:00:30Z',
        }),
      }),
    );
    const error = (await provider()
      .messages()
      .invoke(request(), new AbortController().signal)
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.kind).toBe('rate_limit');
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.requestId).toBe('req_01lllmRateLimited0001');
    expect(error.message).toContain('(rate_limit_error)');
  });
});

describe('request translation', () => {
  it('groups tool results into one user turn and sends tool_use blocks with the parsed input', async () => {
    const { Message, FunctionCall } = await import('@lllm/core');
    const messages = [
      new Message({ role: 'system', content: 'sys', creator: 'system' }),
      new Message({ role: 'user', content: 'q', creator: 'user' }),
      new Message({
        role: 'tool_call',
        content: 'Let me check.',
        creator: 'a',
        toolCalls: [
          new FunctionCall({ id: 't1', name: 'f', arguments: { x: 1 } }),
          new FunctionCall({ id: 't2', name: 'g', arguments: {} }),
        ],
      }),
      new Message({ role: 'tool', content: 'r1', creator: 'function', toolCallId: 't1' }),
      new Message({ role: 'tool', content: 'r2', creator: 'function', toolCallId: 't2' }),
    ];
    server.enqueue(PATH, greeting());
    await provider()
      .messages()
      .invoke(request({ messages, modelArgs: { max_tokens: 100, temperature: 0.5 } }), new AbortController().signal);
    expect(bodies()[0]).toMatchObject({
      max_tokens: 100,
      temperature: 0.5,
      system: 'sys',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 't1', name: 'f', input: { x: 1 } },
            { type: 'tool_use', id: 't2', name: 'g', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'r1' },
            { type: 'tool_result', tool_use_id: 't2', content: 'r2' },
          ],
        },
      ],
    });
  });

  it('sends images as base64 blocks with their caption', async () => {
    const dialog = Dialog.create();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]).toString('base64');
    dialog.sendImage(jpeg, 'What is it?');
    server.enqueue(PATH, greeting());
    await provider()
      .messages()
      .invoke(request({ messages: dialog.messages }), new AbortController().signal);
    expect(((bodies()[0]?.messages ?? []) as unknown[])[0]).toEqual({
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: jpeg } },
        { type: 'text', text: 'What is it?' },
      ],
    });
  });
});

const lookups: string[] = [];
const weather = tool({
  name: 'get_weather',
  description: 'Temperature in a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => {
    lookups.push(city);
    return `${city}: 21°C`;
  },
});
const system = new Prompt({ path: 'anthropic/system', prompt: 'You are a weather bot.' });
const task = new Prompt({
  path: 'anthropic/task',
  prompt: 'Weather in {city}? Answer in <answer></answer>.',
  functions: [weather],
  requiredXmlTags: ['answer'],
});
const usage = { input_tokens: 50, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const reply = (content: Record<string, unknown>[], stop = 'end_turn') => ({
  json: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-haiku-4-5-20251001',
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  },
});
const text = (value: string) => reply([{ type: 'text', text: value }]);
const use = (id: string, name: string, input: unknown) => reply([{ type: 'tool_use', id, name, input }], 'tool_use');

function agent(options: Partial<AgentOptions> = {}) {
  const waits: number[] = [];
  const built = new Agent({
    name: 'claude',
    systemPrompt: system,
    model: 'claude-haiku-4-5',
    invoker: provider().messages(),
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...options,
  });
  const dialog = built.initDialog();
  dialog.sendMessage(task, { city: 'Rome' });
  return { agent: built, dialog, waits };
}

describe('agent calls through the Anthropic invoker', () => {
  it('parse retry pruned, tool loop kept, repeated call not re-run', async () => {
    lookups.length = 0;
    server.enqueue(
      PATH,
      use('t1', 'get_weather', { city: 'Rome' }),
      use('t2', 'get_weather', { city: 'Rome' }),
      text('Warm.'),
      text('<answer>21°C</answer>'),
    );
    const { agent: claude, dialog } = agent();
    const result = await claude.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['21°C'] } });
    expect(lookups).toEqual(['Rome']);
    const last = bodies().at(-1)?.messages as { role: string; content: { type: string; text?: string; content?: string }[] }[];
    expect(last.at(-2)).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'Warm.' }] });
    expect(last.at(-1)?.content[0]?.text).toContain('Missing the required <answer>');
    expect(dialog.messages.map((m) => m.role)).toEqual(['system', 'user', 'tool_call', 'tool', 'tool_call', 'tool', 'assistant']);
    expect(result.message.attempts).toHaveLength(1);
  });

  it('final wrap-up without tools after maxInterruptTimes', async () => {
    server.enqueue(PATH, use('t1', 'get_weather', { city: 'Rome' }), text('<answer>ok</answer>'));
    const { agent: claude, dialog } = agent({ maxInterruptTimes: 1 });
    await claude.call(dialog);
    expect(bodies().at(-1)?.tools).toBeUndefined();
  });

  it('structured output through a forced tool, validated by zod', async () => {
    const report = new Prompt({
      path: 'anthropic/report',
      prompt: 'Report {city}.',
      format: z.object({ city: z.string(), celsius: z.number() }),
    });
    server.enqueue(PATH, use('s1', 'structured_output', { city: 'Rome', celsius: 21 }));
    const { agent: claude, dialog } = agent();
    dialog.sendMessage(report, { city: 'Rome' });
    const result = await claude.call<{ city: string; celsius: number }>(dialog);
    expect(result.parsed).toEqual({ city: 'Rome', celsius: 21 });
    expect(bodies()[0]).toMatchObject({
      tool_choice: { type: 'tool', name: 'structured_output' },
      tools: [{ name: 'structured_output', input_schema: { type: 'object', required: ['city', 'celsius'] } }],
    });
  });

  it('429 then success honours retry-after; 5xx exhausts the recall budget', async () => {
    const limited = {
      json: { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } },
      status: 429,
      headers: { 'retry-after': '2' },
    };
    server.enqueue(PATH, limited, text('<answer>ok</answer>'));
    const first = agent();
    await first.agent.call(first.dialog);
    expect(first.waits).toEqual([2000]);
    const overloaded = { json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, status: 529 };
    server.enqueue(PATH, overloaded, overloaded, overloaded);
    const second = agent({ maxLlmRecall: 2, backoff: { initialDelayMs: 5 } });
    const error = (await second.agent.call(second.dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    expect(error.attempts.map((attempt) => attempt.statusCode)).toEqual([529, 529, 529]);
  });

  it('abort mid-call rejects with AbortError and closes the connection', async () => {
    server.enqueue(PATH, { ...text('<answer>never</answer>'), delayMs: 10_000 });
    const { agent: claude, dialog } = agent();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await claude.call(dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.disconnects).toBeGreaterThan(0);
  });

  it('the SDK gets no signal it would compose: the rest of the limit as its timeout, a caller’s signal for @lllm/http’s fetch alone; a fetch of the user’s own gets the signal and still closes on abort', async () => {
    const made = provider();
    const messages = made.messages();
    const handed: ReturnType<typeof requestOptions>[] = [];
    const spy = {
      name: messages.name,
      invoke: (request: Parameters<typeof messages.invoke>[0], signal: AbortSignal) => {
        handed.push(requestOptions(made.client(), signal));
        return messages.invoke(request, signal);
      },
    };
    server.enqueue(PATH, text('<answer>a</answer>'), text('<answer>b</answer>'));
    const first = agent({ invoker: spy, timeoutMs: 2_000 });
    await first.agent.call(first.dialog);
    const second = agent({ invoker: spy, timeoutMs: 2_000 });
    await second.agent.call(second.dialog, { signal: new AbortController().signal });
    expect(handed[0]?.timeout).toBeGreaterThan(1_900);
    expect(handed[0]?.timeout).toBeLessThanOrEqual(2_000);
    expect(handed[0]?.signal).toBeUndefined();
    expect(handed[1]?.fetchOptions?.[LINKED_SIGNAL]).toBeInstanceOf(AbortSignal);
    expect(handed[1]?.signal).toBeUndefined();

    const own = createAnthropic({
      apiKey: 'sk-ant-test-key-000000000000000000',
      baseURL: server.anthropicBaseURL,
      fetch: globalThis.fetch,
    });
    expect(requestOptions(own.client(), new AbortController().signal).signal).toBeInstanceOf(AbortSignal);
    server.enqueue(PATH, { ...text('<answer>never</answer>'), delayMs: 10_000 });
    const slow = agent({ invoker: own.messages() });
    const controller = new AbortController();
    const before = server.disconnects;
    setTimeout(() => controller.abort(), 100);
    const error = await slow.agent.call(slow.dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.disconnects).toBe(before + 1);
  });

  it('a missing key names ANTHROPIC_API_KEY', async () => {
    const saved = process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_API_KEY;
    try {
      const error = await createAnthropic({ baseURL: server.anthropicBaseURL })
        .messages()
        .invoke(request(), new AbortController().signal)
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toContain('set ANTHROPIC_API_KEY');
    } finally {
      if (saved !== undefined) process.env.ANTHROPIC_API_KEY = saved;
    }
  });
});
