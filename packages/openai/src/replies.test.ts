// Replies in every documented shape of the Chat Completions and Responses APIs (JSON, SSE, tool calls,
// logprobs, json_schema, reasoning, errors with their headers), written by this project with the
// @lllm/test-server body builders, served by the local wire server to the real `openai` client: each
// must come out right through our invokers. The genuine recordings are replayed by the conformance
// layer (packages/conformance) when they are present.
import { Dialog, type InvokeEvent, type InvokeRequest, type InvokeResult, ProviderError } from '@lllm/core';
import {
  type ChatCompletionSpec,
  chatCompletion,
  chatStream,
  chatTokenLogprobs,
  functionCall,
  openaiError,
  outputMessage,
  type ResponseSpec,
  reasoningItem,
  responseBody,
  responseStream,
  responseTokenLogprobs,
  type ScriptedResponse,
  startWireServer,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

let server: WireServer;
let provider: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  server = await startWireServer();
  provider = createOpenAI({ apiKey: 'sk-test-fixture-key-0000000000', baseURL: server.openaiBaseURL });
});
afterAll(() => server.close());

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  const dialog = Dialog.create({ system: 'You are terse.' });
  dialog.sendMessage('What is the capital of France?');
  return { model: 'gpt-4o', messages: dialog.messages, tools: [], modelArgs: {}, ...overrides };
}

async function chat(reply: ScriptedResponse, overrides: Partial<InvokeRequest> = {}) {
  server.enqueue(CHAT, reply);
  const events: InvokeEvent[] = [];
  const result = await provider
    .chat()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

async function responses(reply: ScriptedResponse, overrides: Partial<InvokeRequest> = {}) {
  server.enqueue(RESPONSES, reply);
  const events: InvokeEvent[] = [];
  const result = await provider
    .responses()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

const TEXT_REPLIES: Record<string, ChatCompletionSpec> = {
  'a plain reply': { model: 'gpt-4.1-nano-2025-04-14', content: 'Paris.', usage: { prompt_tokens: 24, completion_tokens: 3 } },
  'a longer reply': {
    model: 'gpt-4o-2024-08-06',
    content: 'The capital of France is Paris, on the Seine.',
    usage: { prompt_tokens: 1_250, completion_tokens: 12 },
  },
  'an OpenAI-compatible server (no system_fingerprint, no service_tier)': {
    model: 'llama-3.3-70b',
    compatible: true,
    content: 'Paris is the capital of France.',
    usage: { prompt_tokens: 41, completion_tokens: 8 },
  },
  'a json_schema reply': {
    model: 'gpt-4o-2024-08-06',
    content: '{"name":"Science fair","date":"Friday","participants":["Alice","Bob"]}',
    usage: { prompt_tokens: 92, completion_tokens: 17 },
  },
  'a second json_schema reply': {
    model: 'gpt-4o-mini-2024-07-18',
    content: '{"city":"Lisbon","temperature":18,"units":"c"}',
    usage: { prompt_tokens: 88, completion_tokens: 14 },
  },
};

describe('Chat Completions replies', () => {
  for (const [name, spec] of Object.entries(TEXT_REPLIES)) {
    it(`${name}: text, model and usage`, async () => {
      const { result } = await chat({ json: chatCompletion(spec) });
      const invoked = result as InvokeResult;
      expect(invoked.content).toBe(spec.content);
      expect(invoked.model).toBe(spec.model);
      expect(invoked.finishReason).toBe('stop');
      expect(invoked.toolCalls).toEqual([]);
      expect(invoked.usage).toEqual({ inputTokens: spec.usage?.prompt_tokens, outputTokens: spec.usage?.completion_tokens });
    });
  }

  it('json_schema: the content is the structured JSON', async () => {
    const { result } = await chat({ json: chatCompletion(TEXT_REPLIES['a second json_schema reply']) });
    expect(JSON.parse((result as InvokeResult).content)).toEqual({ city: 'Lisbon', temperature: 18, units: 'c' });
  });

  it('a tool call with its id and raw arguments', async () => {
    const { result } = await chat({
      json: chatCompletion({ toolCalls: [{ id: 'call_lllmCountry01', name: 'get_user_country', arguments: '{}' }] }),
    });
    expect((result as InvokeResult).toolCalls).toEqual([{ id: 'call_lllmCountry01', name: 'get_user_country', arguments: '{}' }]);
    expect((result as InvokeResult).finishReason).toBe('tool_calls');
    expect((result as InvokeResult).content).toBe('');
  });

  it('an OpenAI-compatible tool call without an id gets a stable one', async () => {
    const { result } = await chat({
      json: chatCompletion({
        compatible: true,
        model: 'gemini-2.5-flash',
        toolCalls: [{ id: null, name: 'get_current_time', arguments: '{}' }],
      }),
    });
    expect((result as InvokeResult).toolCalls).toEqual([{ id: 'call_0', name: 'get_current_time', arguments: '{}' }]);
  });

  it('token logprobs with alternatives', async () => {
    const tokens = ['Hello', '!', ' How', ' can', ' I', ' help', '?'];
    const { result } = await chat(
      { json: chatCompletion({ content: tokens.join(''), logprobs: chatTokenLogprobs(tokens, 2) }) },
      { model: 'gpt-4o-mini', modelArgs: { logprobs: true, top_logprobs: 2 } },
    );
    const logprobs = (result as InvokeResult).logprobs ?? [];
    expect(logprobs.map((entry) => entry.token).join('')).toContain('Hello!');
    expect(logprobs[0]?.topLogprobs).toHaveLength(2);
    expect(server.requestsTo(CHAT).at(-1)?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
  });

  const STREAMS: Record<string, ScriptedResponse> = {
    'word by word': chatStream({ content: 'Paris is the capital of France.', usage: { prompt_tokens: 20, completion_tokens: 7 } }),
    'in uneven pieces': chatStream(
      { content: 'The capital is Paris.', usage: { prompt_tokens: 20, completion_tokens: 5 } },
      { pieces: ['The ca', 'pital is', ' Par', 'is.'] },
    ),
    'from an OpenAI-compatible server': chatStream({
      compatible: true,
      model: 'llama-3.3-70b',
      content: 'Bonjour! Paris.',
      usage: { prompt_tokens: 12, completion_tokens: 4 },
    }),
  };
  for (const [name, reply] of Object.entries(STREAMS)) {
    it(`streamed text ${name}: the deltas add up to the final content, with usage`, async () => {
      const { result, events } = await chat(reply, { stream: true });
      const invoked = result as InvokeResult;
      const deltas = events.filter((event) => event.type === 'text-delta').map((event) => ('text' in event ? event.text : ''));
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.join('')).toBe(invoked.content);
      expect(invoked.content.length).toBeGreaterThan(0);
      expect(invoked.finishReason).toBe('stop');
      expect(invoked.usage?.outputTokens).toBeGreaterThan(0);
      expect(server.requestsTo(CHAT).at(-1)?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    });
  }

  const weatherCall = chatStream({ toolCalls: [{ id: 'call_lllmWeather01', name: 'get_weather', arguments: '{"city":"New York City"}' }] });
  const TOOL_STREAMS: Record<string, ScriptedResponse> = {
    'one call': weatherCall,
    'two parallel calls': chatStream(
      {
        toolCalls: [
          { id: 'call_lllmWeather02', name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' },
          { id: 'call_lllmTime03', name: 'get_time', arguments: '{"timezone":"Europe/Oslo"}' },
        ],
      },
      { argumentPieces: 4 },
    ),
  };
  for (const [name, reply] of Object.entries(TOOL_STREAMS)) {
    it(`streamed tool calls, ${name}: the fragments are assembled`, async () => {
      const { result, events } = await chat(reply, { stream: true });
      const invoked = result as InvokeResult;
      expect(invoked.finishReason).toBe('tool_calls');
      expect(invoked.toolCalls.length).toBeGreaterThan(0);
      for (const call of invoked.toolCalls) {
        expect(call.id).toMatch(/^call_/);
        expect(call.name.length).toBeGreaterThan(0);
        expect(() => JSON.parse(call.arguments)).not.toThrow();
      }
      const fragments = events
        .filter((event) => event.type === 'tool-call-delta')
        .map((event) => ('argumentsDelta' in event ? event.argumentsDelta : ''));
      expect(fragments.join('')).toBe(invoked.toolCalls.map((call) => call.arguments).join(''));
    });
  }

  it('a streamed tool call: the arguments come out exactly', async () => {
    const { result } = await chat(weatherCall, { stream: true });
    const [call] = (result as InvokeResult).toolCalls;
    expect(call?.name).toBe('get_weather');
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ city: 'New York City' });
  });

  it('a streamed refusal (with refusal logprobs) is a non-retryable refusal error', async () => {
    const refusal = "I'm sorry, I can't help with that.";
    const reply = chatStream({
      model: 'gpt-4o-2024-08-06',
      refusal,
      content: null,
      logprobs: chatTokenLogprobs(["I'm", ' sorry', ','], 0),
    });
    const { result } = await chat(reply, { stream: true });
    expect(ProviderError.isInstance(result)).toBe(true);
    expect((result as ProviderError).kind).toBe('refusal');
    expect((result as ProviderError).isRetryable).toBe(false);
    expect((result as ProviderError).message).toContain('the model refused');
    expect((result as ProviderError).message).toContain(refusal);
  });
});

describe('error replies', () => {
  it('a 400 is a client error, not retryable, naming the problem', async () => {
    const { result } = await chat(
      openaiError({
        status: 400,
        message: "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
        type: 'invalid_request_error',
        code: 'unsupported_value',
        param: 'temperature',
      }),
    );
    const error = result as ProviderError;
    expect(error.kind).toBe('client');
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("'temperature' does not support 0.2 with this model");
    expect(error.message).toContain('invalid_request_error/unsupported_value');
  });

  it('a 400 for an unsupported max_tokens', async () => {
    const { result } = await chat(
      openaiError({
        status: 400,
        message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        code: 'unsupported_parameter',
        param: 'max_tokens',
      }),
    );
    expect((result as ProviderError).message).toContain("Use 'max_completion_tokens' instead");
  });

  it('out of quota is a 429 that must not be retried', async () => {
    const { result } = await chat(
      openaiError({
        status: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        code: 'insufficient_quota',
      }),
    );
    const error = result as ProviderError;
    expect(error.statusCode).toBe(429);
    expect(error.kind).toBe('client');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('retrying will not help');
  });

  it('an OpenAI-compatible rate limit without retry-after is retryable with no wait given', async () => {
    // OpenRouter's documented error shape: a numeric code and provider metadata, no type.
    const { result } = await chat({
      status: 429,
      json: { error: { code: 429, message: 'Rate limit exceeded: upstream provider is busy.', metadata: { provider_name: 'Example' } } },
    });
    const error = result as ProviderError;
    expect(error.kind).toBe('rate_limit');
    expect(error.isRetryable).toBe(true);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('a 500 is a retryable server error', async () => {
    const { result } = await responses(openaiError({ status: 500, message: 'The server had an error while processing your request.' }));
    const error = result as ProviderError;
    expect(error.kind).toBe('server');
    expect(error.isRetryable).toBe(true);
  });

  it('the Responses API 400 names the parameter', async () => {
    const { result } = await responses(
      openaiError({
        status: 400,
        message: "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
        code: 'decimal_above_max_value',
        param: 'temperature',
      }),
    );
    expect((result as ProviderError).statusCode).toBe(400);
    expect((result as ProviderError).message).toContain("Invalid 'temperature'");
  });

  it('a 429 with retry-after and a request id carries both', async () => {
    server.enqueue(
      CHAT,
      openaiError({
        status: 429,
        message: 'Rate limit reached',
        type: 'requests',
        code: 'rate_limit_exceeded',
        retryAfter: '2',
        requestId: 'req_abc123',
      }),
    );
    const error = (await provider
      .chat()
      .invoke(request(), new AbortController().signal)
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.kind).toBe('rate_limit');
    expect(error.retryAfterMs).toBe(2000);
    expect(error.requestId).toBe('req_abc123');
    expect(error.message).toContain('[request id req_abc123]');
  });

  it('malformed and truncated bodies are retryable invalid responses, a dropped connection a connection error', async () => {
    server.enqueue(CHAT, { raw: '{"id": "chatcmpl-1", "choices": [' });
    const truncated = (await provider
      .chat()
      .invoke(request(), new AbortController().signal)
      .catch((e: unknown) => e)) as ProviderError;
    expect(truncated.kind).toBe('invalid_response');
    expect(truncated.isRetryable).toBe(true);
    server.enqueue(CHAT, { drop: 'immediately' });
    const dropped = (await provider
      .chat()
      .invoke(request(), new AbortController().signal)
      .catch((e: unknown) => e)) as ProviderError;
    expect(dropped.kind).toBe('connection');
    expect(dropped.isRetryable).toBe(true);
  });
});

type ResponseJson = { output: { type: string }[] };

describe('Responses API replies', () => {
  it('output_text and usage', async () => {
    const spec: ResponseSpec = {
      output: [outputMessage('The capital of France is Paris.')],
      usage: { input_tokens: 36, output_tokens: 8 },
    };
    const { result } = await responses({ json: responseBody(spec) });
    const invoked = result as InvokeResult;
    expect(invoked.content.length).toBeGreaterThan(0);
    expect(invoked.finishReason).toBe('stop');
    expect(invoked.usage).toEqual({ inputTokens: 36, outputTokens: 8 });
  });

  it('a function_call item becomes a tool call keyed by call_id', async () => {
    const reply = responseBody({
      output: [functionCall({ callId: 'call_lllmCapital01', name: 'get_capital', arguments: '{"country":"France"}' })],
    });
    const { result } = await responses({ json: reply });
    const [call] = (result as InvokeResult).toolCalls;
    expect(call).toMatchObject({ id: 'call_lllmCapital01', name: 'get_capital' });
    expect((result as InvokeResult).finishReason).toBe('tool_calls');
  });

  const REASONING: Record<string, ResponseSpec> = {
    'with a summary and encrypted content': {
      model: 'gpt-5-2025-08-07',
      output: [
        reasoningItem({
          summary: ['**Recalling a fact**\n\nThe capital of France is well known.'],
          encryptedContent: 'gAAAAABlllm-opaque-state-1',
        }),
        outputMessage('Paris.'),
      ],
      usage: { input_tokens: 18, output_tokens: 210, reasoning_tokens: 192 },
    },
    'with an empty summary': {
      model: 'o4-mini-2025-04-16',
      output: [reasoningItem({ id: 'rs_lllm0002' }), outputMessage('Paris.', { id: 'msg_lllm0002' })],
      usage: { input_tokens: 18, output_tokens: 75, reasoning_tokens: 64 },
    },
  };
  for (const [name, spec] of Object.entries(REASONING)) {
    it(`reasoning ${name}: reasoning tokens counted, reasoning items kept for the next turn`, async () => {
      const { result } = await responses({ json: responseBody(spec) }, { model: 'gpt-5' });
      const invoked = result as InvokeResult;
      expect(invoked.usage?.reasoningTokens).toBe(spec.usage?.reasoning_tokens);
      expect((invoked.raw as ResponseJson).output.some((item) => item.type === 'reasoning')).toBe(true);
    });
  }

  it('output_text logprobs', async () => {
    const tokens = ['Paris', ' is', ' the', ' capital', '.'];
    const reply = responseBody({ output: [outputMessage(tokens.join(''), { logprobs: responseTokenLogprobs(tokens, 2) })] });
    const { result } = await responses({ json: reply }, { model: 'gpt-4o-mini' });
    const invoked = result as InvokeResult;
    expect(invoked.logprobs?.map((entry) => entry.token).join('')).toBe(invoked.content);
  });

  it('streamed: text deltas and the completed response', async () => {
    const reply = responseStream({
      output: [outputMessage('Paris is the capital of France.')],
      usage: { input_tokens: 20, output_tokens: 7 },
    });
    const { result, events } = await responses(reply, { stream: true });
    const invoked = result as InvokeResult;
    const text = events.filter((event) => event.type === 'text-delta').map((event) => ('text' in event ? event.text : ''));
    expect(text.join('')).toBe(invoked.content);
    expect(invoked.content.length).toBeGreaterThan(0);
  });

  const FUNCTION_STREAMS: Record<string, ScriptedResponse> = {
    'a streamed function call': responseStream({
      output: [functionCall({ callId: 'call_lllmWeather01', name: 'get_weather', arguments: '{"location":"Paris, France"}' })],
      usage: { input_tokens: 60, output_tokens: 18 },
    }),
    'a streamed function call after reasoning, with cached input': responseStream(
      {
        model: 'gpt-5-mini-2025-08-07',
        output: [
          reasoningItem({ summary: ['Looking up the weather.'] }),
          functionCall({ callId: 'call_lllmWeather02', name: 'get_weather', arguments: '{"location":"Oslo","unit":"c"}' }),
        ],
        usage: { input_tokens: 1_400, output_tokens: 90, cached_tokens: 1_024, reasoning_tokens: 64 },
      },
      { argumentPieces: 5 },
    ),
  };
  for (const [name, reply] of Object.entries(FUNCTION_STREAMS)) {
    it(`${name}: the arguments and usage`, async () => {
      const { result, events } = await responses(reply, { stream: true });
      const invoked = result as InvokeResult;
      expect(invoked.toolCalls.length).toBe(1);
      const deltas = events
        .filter((event) => event.type === 'tool-call-delta')
        .map((event) => ('argumentsDelta' in event ? event.argumentsDelta : ''));
      expect(deltas.join('')).toBe(invoked.toolCalls[0]?.arguments);
      expect(invoked.usage?.outputTokens).toBeGreaterThan(0);
    });
  }
});
