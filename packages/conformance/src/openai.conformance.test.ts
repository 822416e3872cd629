// Conformance: every genuine recorded OpenAI / OpenAI-compatible payload (LLLM_FIXTURES_DIR, else
// ../shared/fixtures/real-api beside the repository), served by the local wire server to the real
// `openai` client, must come out right through our invokers. Skipped when the recordings are absent.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, AgentCallError, Dialog, type InvokeEvent, type InvokeRequest, type InvokeResult, ProviderError } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { fixtureResponse, listFixtures, readJsonFixture, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noRecordings } from './recorded.js';

let server: WireServer;
let provider: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  if (noRecordings) return;
  server = await startWireServer();
  provider = createOpenAI({ apiKey: 'sk-test-fixture-key-0000000000', baseURL: server.openaiBaseURL });
});
afterAll(() => server?.close());

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  const dialog = Dialog.create({ system: 'You are terse.' });
  dialog.sendMessage('What is the capital of France?');
  return { model: 'gpt-4o', messages: dialog.messages, tools: [], modelArgs: {}, ...overrides };
}

async function chat(fixture: string, overrides: Partial<InvokeRequest> = {}, status?: number) {
  server.enqueue(CHAT, fixtureResponse(fixture, status === undefined ? {} : { status }));
  const events: InvokeEvent[] = [];
  const result = await provider
    .chat()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

async function responses(fixture: string, overrides: Partial<InvokeRequest> = {}, status?: number) {
  server.enqueue(RESPONSES, fixtureResponse(fixture, status === undefined ? {} : { status }));
  const events: InvokeEvent[] = [];
  const result = await provider
    .responses()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

type ChatFixture = {
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  choices: { message: { content: string | null } }[];
};

describe.skipIf(noRecordings)('recorded Chat Completions payloads', () => {
  for (const name of [
    'openai_chat_text_1.json',
    'openai_chat_text_2.json',
    'openaicompat_cerebras_chat_1.json',
    'openai_chat_jsonschema_1.json',
    'openai_chat_jsonschema_2.json',
  ]) {
    it(`${name}: text, model and usage`, async () => {
      const recorded = readJsonFixture<ChatFixture>(name);
      const { result } = await chat(name);
      const invoked = result as InvokeResult;
      expect(invoked.content).toBe(recorded.choices[0]?.message.content);
      expect(invoked.model).toBe(recorded.model);
      expect(invoked.finishReason).toBe('stop');
      expect(invoked.toolCalls).toEqual([]);
      expect(invoked.usage).toEqual({ inputTokens: recorded.usage.prompt_tokens, outputTokens: recorded.usage.completion_tokens });
    });
  }

  it('openai_chat_jsonschema_*: the content is the structured JSON', async () => {
    const { result } = await chat('openai_chat_jsonschema_2.json');
    expect(JSON.parse((result as InvokeResult).content)).toEqual({ city: 'San Francisco', temperature: 65, units: 'f' });
  });

  it('openai_chat_toolcalls_1.json: a tool call with its id and raw arguments', async () => {
    const { result } = await chat('openai_chat_toolcalls_1.json');
    expect((result as InvokeResult).toolCalls).toEqual([
      { id: 'call_iXFttys57ap0o16JSlC8yhYo', name: 'get_user_country', arguments: '{}' },
    ]);
    expect((result as InvokeResult).finishReason).toBe('tool_calls');
    expect((result as InvokeResult).content).toBe('');
  });

  it('openaicompat_gemini_chat_toolcall_1.json: a tool call without an id gets a stable one', async () => {
    const { result } = await chat('openaicompat_gemini_chat_toolcall_1.json');
    expect((result as InvokeResult).toolCalls).toEqual([{ id: 'call_0', name: 'get_current_time', arguments: '{}' }]);
  });

  it('openai_chat_logprobs_1.json: token logprobs with alternatives', async () => {
    const { result } = await chat('openai_chat_logprobs_1.json', { model: 'gpt-4o-mini', modelArgs: { logprobs: true, top_logprobs: 2 } });
    const logprobs = (result as InvokeResult).logprobs ?? [];
    expect(logprobs.map((entry) => entry.token).join('')).toContain('Hello!');
    expect(logprobs[0]?.topLogprobs).toHaveLength(2);
    expect(server.requestsTo(CHAT).at(-1)?.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
  });

  for (const name of ['openai_chat_stream_text_1.sse', 'openai_chat_stream_text_2.sse', 'openai_chat_stream_text_3.chunks.jsonl']) {
    it(`${name}: streamed text deltas add up to the final content, with usage`, async () => {
      const { result, events } = await chat(name, { stream: true });
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

  for (const name of ['openai_chat_stream_toolcalls_1.sse', 'openai_chat_stream_toolcalls_2.sse']) {
    it(`${name}: tool-call fragments are assembled`, async () => {
      const { result, events } = await chat(name, { stream: true });
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

  it('openai_chat_stream_toolcalls_1.sse: the recorded arguments come out exactly', async () => {
    const { result } = await chat('openai_chat_stream_toolcalls_1.sse', { stream: true });
    const [call] = (result as InvokeResult).toolCalls;
    expect(call?.name).toBe('get_weather');
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ city: 'New York City' });
  });

  it('openai_chat_stream_logprobs_1.sse: a streamed refusal is a non-retryable refusal error', async () => {
    const { result } = await chat('openai_chat_stream_logprobs_1.sse', { stream: true });
    expect(ProviderError.isInstance(result)).toBe(true);
    expect((result as ProviderError).kind).toBe('refusal');
    expect((result as ProviderError).isRetryable).toBe(false);
    expect((result as ProviderError).message).toContain('the model refused');
  });
});

describe.skipIf(noRecordings)('recorded error payloads', () => {
  it('openai_chat_error400_1.json: a 400 is a client error, not retryable, naming the problem', async () => {
    const { result } = await chat('openai_chat_error400_1.json');
    const error = result as ProviderError;
    expect(error.kind).toBe('client');
    expect(error.statusCode).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain("does not support 'developer' with this model");
    expect(error.message).toContain('invalid_request_error/unsupported_value');
  });

  it('openai_chat_error400_2.json: unsupported max_tokens', async () => {
    const { result } = await chat('openai_chat_error400_2.json', {}, 400);
    expect((result as ProviderError).message).toContain("Use 'max_completion_tokens' instead");
  });

  it('openai_error429_insufficient_quota_1.json: out of quota is a 429 that must not be retried', async () => {
    const { result } = await chat('openai_error429_insufficient_quota_1.json', {}, 429);
    const error = result as ProviderError;
    expect(error.statusCode).toBe(429);
    expect(error.kind).toBe('client');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('retrying will not help');
  });

  it('openaicompat_openrouter_error429_1.json: a rate limit without retry-after is retryable with no wait given', async () => {
    const { result } = await chat('openaicompat_openrouter_error429_1.json');
    const error = result as ProviderError;
    expect(error.kind).toBe('rate_limit');
    expect(error.isRetryable).toBe(true);
    expect(error.retryAfterMs).toBeUndefined();
  });

  it('openai_error500_1.json: a 500 is a retryable server error', async () => {
    const { result } = await responses('openai_error500_1.json', {}, 500);
    const error = result as ProviderError;
    expect(error.kind).toBe('server');
    expect(error.isRetryable).toBe(true);
  });

  it('openai_responses_error400_1.json: the Responses API 400 names the parameter', async () => {
    const { result } = await responses('openai_responses_error400_1.json');
    expect((result as ProviderError).statusCode).toBe(400);
    expect((result as ProviderError).message).toContain("Invalid 'temperature'");
  });
});

type ResponsesFixture = {
  model: string;
  output: { type: string; call_id?: string; name?: string; arguments?: string }[];
  usage: { input_tokens: number; output_tokens: number; output_tokens_details: { reasoning_tokens: number } };
};

describe.skipIf(noRecordings)('recorded Responses API payloads', () => {
  it('openai_responses_text_1.json: output_text and usage', async () => {
    const recorded = readJsonFixture<ResponsesFixture>('openai_responses_text_1.json');
    const { result } = await responses('openai_responses_text_1.json');
    const invoked = result as InvokeResult;
    expect(invoked.content.length).toBeGreaterThan(0);
    expect(invoked.finishReason).toBe('stop');
    expect(invoked.usage).toEqual({ inputTokens: recorded.usage.input_tokens, outputTokens: recorded.usage.output_tokens });
  });

  it('openai_responses_functioncall_1.json: a function_call item becomes a tool call keyed by call_id', async () => {
    const { result } = await responses('openai_responses_functioncall_1.json');
    const [call] = (result as InvokeResult).toolCalls;
    expect(call).toMatchObject({ id: 'call_YfwRsW8sUxDKipwyhWTzOXCA', name: 'get_capital' });
    expect((result as InvokeResult).finishReason).toBe('tool_calls');
  });

  for (const name of ['openai_responses_reasoning_1.json', 'openai_responses_reasoning_2.json']) {
    it(`${name}: reasoning tokens counted, reasoning items kept for the next turn`, async () => {
      const recorded = readJsonFixture<ResponsesFixture>(name);
      const { result } = await responses(name, { model: 'gpt-5' });
      const invoked = result as InvokeResult;
      expect(invoked.usage?.reasoningTokens).toBe(recorded.usage.output_tokens_details.reasoning_tokens);
      expect((invoked.raw as ResponsesFixture).output.some((item) => item.type === 'reasoning')).toBe(true);
    });
  }

  it('openai_responses_logprobs_1.json: output_text logprobs', async () => {
    const { result } = await responses('openai_responses_logprobs_1.json', { model: 'gpt-4o-mini' });
    const invoked = result as InvokeResult;
    expect(invoked.logprobs?.map((entry) => entry.token).join('')).toBe(invoked.content);
  });

  it('openai_responses_stream_text_1.sse: text deltas and the completed response', async () => {
    const { result, events } = await responses('openai_responses_stream_text_1.sse', { stream: true });
    const invoked = result as InvokeResult;
    const text = events.filter((event) => event.type === 'text-delta').map((event) => ('text' in event ? event.text : ''));
    expect(text.join('')).toBe(invoked.content);
    expect(invoked.content.length).toBeGreaterThan(0);
  });

  for (const name of ['openai_responses_stream_functioncall_1.sse', 'openai_responses_stream_usage_1.sse']) {
    it(`${name}: streamed function call arguments and usage`, async () => {
      const { result, events } = await responses(name, { stream: true });
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

describe.skipIf(noRecordings)('recorded payloads through the agent-call state machine', () => {
  const weather = tool({
    name: 'get_weather',
    description: 'Temperature in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    execute: () => '21°C',
  });
  const system = new Prompt({ path: 'conformance/system', prompt: 'You are a weather bot.' });
  const task = new Prompt({
    path: 'conformance/task',
    prompt: 'Weather in {city}? Answer in <answer></answer>.',
    functions: [weather],
    requiredXmlTags: ['answer'],
  });
  const answer = {
    json: {
      id: 'chatcmpl-conformance',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content: '<answer>ok</answer>', refusal: null }, finish_reason: 'stop', logprobs: null },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5 },
    },
  };
  function agent(options: { maxLlmRecall?: number; model?: string; api?: 'chat' | 'responses' } = {}) {
    const waits: number[] = [];
    const built = new Agent({
      name: 'weather',
      systemPrompt: system,
      model: options.model ?? 'gpt-4o-mini',
      invoker: options.api === 'responses' ? provider.responses() : provider.chat(),
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0,
      ...(options.maxLlmRecall === undefined ? {} : { maxLlmRecall: options.maxLlmRecall, backoff: { initialDelayMs: 10 } }),
    });
    const dialog = built.initDialog();
    dialog.sendMessage(task, { city: 'Rome' });
    return { agent: built, dialog, waits };
  }

  it('openaicompat_openrouter_error429_1.json with retry-after: waited out, and the attempt is kept', async () => {
    server.reset();
    server.enqueue(CHAT, { ...fixtureResponse('openaicompat_openrouter_error429_1.json'), headers: { 'retry-after': '3' } }, answer);
    const { agent: weatherAgent, dialog, waits } = agent();
    const result = await weatherAgent.call(dialog);
    expect(waits).toEqual([3000]);
    expect(result.attempts).toMatchObject([{ kind: 'provider', statusCode: 429 }]);
  });

  it('openai_error500_1.json three times: the recall budget ends with a provider AgentCallError', async () => {
    server.reset();
    const failure = fixtureResponse('openai_error500_1.json', { status: 500 });
    server.enqueue(CHAT, failure, failure, failure);
    const { agent: weatherAgent, dialog, waits } = agent({ maxLlmRecall: 2 });
    const error = (await weatherAgent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(AgentCallError.isInstance(error)).toBe(true);
    expect(error.kind).toBe('provider');
    expect(error.attempts).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
  });

  it('openai_responses_reasoning_1.json: the recorded reasoning item and function_call are echoed back on the next turn', async () => {
    server.reset();
    const recorded = readJsonFixture<{ output: { type: string; call_id?: string; name?: string }[] }>('openai_responses_reasoning_1.json');
    const call = recorded.output.find((item) => item.type === 'function_call');
    const plan = tool({
      name: call?.name ?? 'update_plan',
      description: 'Update the plan',
      parameters: { type: 'object', properties: {}, additionalProperties: true },
      execute: () => 'plan updated',
    });
    const planning = new Prompt({ path: 'conformance/plan', prompt: 'Plan {goal}.', functions: [plan], requiredXmlTags: ['answer'] });
    server.enqueue(RESPONSES, fixtureResponse('openai_responses_reasoning_1.json'), {
      json: {
        ...readJsonFixture<Record<string, unknown>>('openai_responses_text_1.json'),
        output: [
          {
            type: 'message',
            id: 'msg_1',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: '<answer>done</answer>', annotations: [] }],
          },
        ],
      },
    });
    const { agent: planner, dialog } = agent({ model: 'gpt-5', api: 'responses' });
    dialog.sendMessage(planning, { goal: 'a trip' });
    const result = await planner.call(dialog);
    expect(result.calls.map((made) => made.name)).toEqual([call?.name]);
    const second = server.requestsTo(RESPONSES)[1]?.body as { input?: { type?: string; call_id?: string; encrypted_content?: string }[] };
    const input = second.input ?? [];
    expect(input.find((item) => item.type === 'reasoning')?.encrypted_content).toMatch(/^gAAAA/);
    expect(input.find((item) => item.type === 'function_call')?.call_id).toBe(call?.call_id);
    expect(input.at(-1)).toMatchObject({ type: 'function_call_output', call_id: call?.call_id, output: 'plan updated' });
  });
});

it.skipIf(noRecordings)('every recorded OpenAI payload is replayed by a test above', () => {
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const missing = listFixtures().filter(
    (name) => /^openai/.test(name) && !name.endsWith('.headers.json') && !name.endsWith('.request.json') && !source.includes(name),
  );
  expect(missing).toEqual([]);
});
