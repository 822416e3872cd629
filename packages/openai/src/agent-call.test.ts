// The agent-call state machine end to end through the real `openai` client and our invokers, against
// the local wire server: every branch, with assertions on what went over the wire.
import { AbortError, Agent, AgentCallError, type AgentOptions, budgetedInvoker, LocalProviderBudget, rateLimitFetch } from '@lllm/core';
import { LINKED_SIGNAL, sharedFetch } from '@lllm/http';
import { Prompt, tool } from '@lllm/prompts';
import {
  type CapturedRequest,
  functionCall,
  openaiError,
  outputMessage,
  reasoningItem,
  responseBody,
  startWireServer,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestOptions } from './chat-invoker.js';
import { createOpenAI } from './provider.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const usage = { prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 40 } };

function completion(message: Record<string, unknown>, finish = 'stop') {
  return {
    json: {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null },
      ],
      usage,
    },
  };
}
const text = (content: string) => completion({ content });
const calls = (...list: { name: string; arguments: unknown; id?: string }[]) =>
  completion(
    {
      tool_calls: list.map((call, index) => ({
        id: call.id ?? `call_${index}`,
        type: 'function',
        function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
      })),
    },
    'tool_calls',
  );

const lookups: string[] = [];
const weather = tool({
  name: 'get_weather',
  description: 'Temperature in a city',
  parameters: z.object({ city: z.string() }),
  execute: ({ city }) => {
    lookups.push(city);
    return { city, celsius: 21 };
  },
});
const system = new Prompt({ path: 'wire/system', prompt: 'You are a weather bot.' });
const task = new Prompt({
  path: 'wire/task',
  prompt: 'Weather in {city}? Answer in <answer></answer>.',
  functions: [weather],
  requiredXmlTags: ['answer'],
});

/** The signal an SDK request's options hand @lllm/http's fetch alone. */
const linkedSignalOf = (options: ReturnType<typeof requestOptions> | undefined) =>
  (options?.fetchOptions as { [LINKED_SIGNAL]?: AbortSignal } | undefined)?.[LINKED_SIGNAL];

function agent(options: Partial<AgentOptions> = {}, api: 'chat' | 'responses' = 'chat') {
  const waits: number[] = [];
  const provider = createOpenAI({ apiKey: 'sk-test-agent-key-000000000000', baseURL: server.openaiBaseURL });
  const built = new Agent({
    name: 'weather',
    systemPrompt: system,
    model: 'gpt-4o-mini',
    invoker: api === 'chat' ? provider.chat() : provider.responses(),
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...options,
  });
  const dialog = built.initDialog();
  dialog.sendMessage(task, { city: 'Paris' });
  return { agent: built, dialog, waits };
}

type WireMessage = { role: string; content: unknown; tool_call_id?: string };
const messagesOf = (body: Record<string, unknown> | undefined): WireMessage[] => (body?.messages ?? []) as WireMessage[];
const bodies = (path = CHAT) => server.requestsTo(path).map((request: CapturedRequest) => request.body as Record<string, unknown>);

describe('agent calls through the Chat Completions invoker', () => {
  it('parse retry: the failed reply and the error go to the model once, then are pruned', async () => {
    server.enqueue(CHAT, text('Sunny!'), text('<answer>Sunny, 21°C</answer>'));
    const { agent: weatherAgent, dialog } = agent();
    const result = await weatherAgent.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['Sunny, 21°C'] } });
    const [first, second] = bodies();
    expect(first?.messages).toEqual([
      { role: 'system', content: 'You are a weather bot.' },
      { role: 'user', content: 'Weather in Paris? Answer in <answer></answer>.' },
    ]);
    expect(messagesOf(second).slice(2)).toEqual([
      { role: 'assistant', content: 'Sunny!' },
      { role: 'user', content: expect.stringContaining('Missing the required <answer>…</answer> block.') },
    ]);
    expect(dialog.messages.map((m) => m.content)).not.toContain('Sunny!');
    expect(result.message.attempts[0]?.message?.content).toBe('Sunny!');
  });

  it('tool loop: tools on the wire, results sent back with tool_call_id, a repeated call not re-run', async () => {
    lookups.length = 0;
    server.enqueue(
      CHAT,
      calls({ name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_a' }),
      calls({ name: 'get_weather', arguments: { city: 'Paris' }, id: 'call_b' }),
      text('<answer>21°C</answer>'),
    );
    const { agent: weatherAgent, dialog } = agent();
    const result = await weatherAgent.call(dialog);
    expect(lookups).toEqual(['Paris']);
    expect(result.calls.map((call) => call.id)).toEqual(['call_a', 'call_b']);
    const [first, second, third] = bodies();
    expect(first?.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Temperature in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
        },
      },
    ]);
    expect(messagesOf(second).slice(2)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_a', content: '{"city":"Paris","celsius":21}' },
    ]);
    const lastTool = messagesOf(third).at(-1);
    expect(lastTool).toMatchObject({ role: 'tool', tool_call_id: 'call_b' });
    expect(lastTool?.content).toContain('already called with identical arguments');
  });

  it('final wrap-up: after maxInterruptTimes the "answer now" prompt goes out without tools', async () => {
    server.enqueue(CHAT, calls({ name: 'get_weather', arguments: { city: 'Paris' } }), text('<answer>21°C</answer>'));
    const { agent: weatherAgent, dialog } = agent({ maxInterruptTimes: 1 });
    await weatherAgent.call(dialog);
    const last = bodies().at(-1);
    expect(last?.tools).toBeUndefined();
    expect(messagesOf(last).at(-1)?.content).toContain('Do not call any more functions');
  });

  it('structured output: response_format json_schema, the reply validated by zod', async () => {
    const report = new Prompt({
      path: 'wire/report',
      prompt: 'Report {city}.',
      format: z.object({ city: z.string(), celsius: z.number() }),
    });
    server.enqueue(CHAT, text('{"city": "Paris"}'), text('{"city": "Paris", "celsius": 21}'));
    const { agent: weatherAgent, dialog } = agent();
    dialog.sendMessage(report, { city: 'Paris' });
    const result = await weatherAgent.call<{ city: string; celsius: number }>(dialog);
    expect(result.parsed).toEqual({ city: 'Paris', celsius: 21 });
    expect(bodies()[0]?.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'wire_report',
        strict: true,
        schema: {
          type: 'object',
          properties: { city: { type: 'string' }, celsius: { type: 'number' } },
          required: ['city', 'celsius'],
          additionalProperties: false,
        },
      },
    });
    expect(result.attempts[0]?.error).toContain('celsius');
  });

  it('images go out as data URLs with their caption', async () => {
    server.enqueue(CHAT, text('<answer>a chart</answer>'));
    const { agent: weatherAgent, dialog } = agent();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).toString('base64');
    dialog.sendImage(png, 'What is this?');
    await weatherAgent.call(dialog);
    expect(messagesOf(bodies()[0]).at(-1)).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
      ],
    });
  });

  it('429 then success: waits for retry-after, and the attempt is kept', async () => {
    server.enqueue(
      CHAT,
      {
        status: 429,
        headers: { 'retry-after': '3' },
        json: { error: { code: 429, message: 'Rate limit exceeded: upstream provider is busy.', metadata: { provider_name: 'Example' } } },
      },
      text('<answer>ok</answer>'),
    );
    const { agent: weatherAgent, dialog, waits } = agent();
    const result = await weatherAgent.call(dialog);
    expect(waits).toEqual([3000]);
    expect(result.attempts).toMatchObject([{ kind: 'provider', statusCode: 429 }]);
    expect(server.requestsTo(CHAT)).toHaveLength(2);
  });

  it('5xx exhausting the recall budget ends with a provider AgentCallError', async () => {
    const failure = openaiError({ status: 500, message: 'The server had an error while processing your request.' });
    server.enqueue(CHAT, failure, failure, failure);
    const { agent: weatherAgent, dialog, waits } = agent({ maxLlmRecall: 2, backoff: { initialDelayMs: 10 } });
    const error = (await weatherAgent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(AgentCallError.isInstance(error)).toBe(true);
    expect(error.kind).toBe('provider');
    expect(error.attempts).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
    expect(server.requestsTo(CHAT)).toHaveLength(3);
  });

  it('a timeout past the client limit is retried, then succeeds', async () => {
    server.enqueue(CHAT, { ...text('<answer>late</answer>'), delayMs: 3_000 }, text('<answer>on time</answer>'));
    const { agent: weatherAgent, dialog } = agent({ timeoutMs: 200 });
    const result = await weatherAgent.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['on time'] } });
  });

  it('without a caller signal the SDK gets the request limit instead of a signal, and still closes the connection on time', async () => {
    const provider = createOpenAI({ apiKey: 'sk-test-agent-key-000000000000', baseURL: server.openaiBaseURL });
    const client = provider.client('gpt-4o-mini');
    const chat = provider.chat();
    const handed: ReturnType<typeof requestOptions>[] = [];
    const invoker = {
      name: chat.name,
      invoke: (request: Parameters<typeof chat.invoke>[0], signal: AbortSignal) => {
        handed.push(requestOptions(client, signal));
        return chat.invoke(request, signal);
      },
    };
    server.enqueue(CHAT, { ...text('<answer>late</answer>'), delayMs: 3_000 }, text('<answer>on time</answer>'));
    const { agent: timed, dialog } = agent({ invoker, timeoutMs: 200, maxLlmRecall: 0 });
    const before = server.disconnects;
    const started = Date.now();
    const error = await timed.call(dialog).catch((caught: unknown) => caught);
    expect(AgentCallError.isInstance(error) && error.kind).toBe('provider');
    expect((error as Error).message).toContain('timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // (An earlier test's aborted request may be counted in the same window.)
    expect(server.disconnects).toBeGreaterThan(before);
    // What is left of the limit when the request starts (200 ms, less the microseconds since the deadline was set).
    expect(handed).toEqual([{ timeout: expect.any(Number) }]);
    expect(handed[0]?.timeout).toBeGreaterThan(150);
    expect(handed[0]?.timeout).toBeLessThanOrEqual(200);

    // A caller's signal is handed on (linked to the deadline), so aborting it ends the request: to
    // @lllm/http's fetch alone, which the provider's client uses, not to the SDK.
    const controller = new AbortController();
    const next = agent({ invoker, timeoutMs: 200 });
    await next.agent.call(next.dialog, { signal: controller.signal });
    expect(handed[1]?.signal).toBeUndefined();
    expect(handed[1]?.timeout).toBeUndefined();
    expect(linkedSignalOf(handed[1])).toBeInstanceOf(AbortSignal);
  });

  it('a caller’s abort ends the request on a fetch of the user’s own (the SDK gets the signal) and through rateLimitFetch (the fetch does)', async () => {
    for (const [fetch, route] of [
      [globalThis.fetch, 'sdk'],
      [rateLimitFetch('openai', { budget: new LocalProviderBudget(), fetch: sharedFetch() }), 'fetch'],
    ] as const) {
      const provider = createOpenAI({ apiKey: 'sk-test-agent-key-000000000000', baseURL: server.openaiBaseURL, fetch });
      const options = requestOptions(provider.client('gpt-4o-mini'), new AbortController().signal);
      expect(route === 'sdk' ? options.signal : linkedSignalOf(options)).toBeInstanceOf(AbortSignal);
      server.enqueue(CHAT, { ...text('<answer>never</answer>'), delayMs: 10_000 });
      const { agent: slow, dialog } = agent({ invoker: provider.chat() });
      const controller = new AbortController();
      const before = server.disconnects;
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const error = await slow.call(dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
      expect(AbortError.isInstance(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(server.disconnects).toBe(before + 1);
    }
  });

  it('behind a rate-limit budget that makes it wait, the SDK still gets the rest of the request limit instead of a signal', async () => {
    const provider = createOpenAI({ apiKey: 'sk-test-agent-key-000000000000', baseURL: server.openaiBaseURL });
    const client = provider.client('gpt-4o-mini');
    const chat = provider.chat();
    const handed: ReturnType<typeof requestOptions>[] = [];
    const spy = {
      name: chat.name,
      invoke: (request: Parameters<typeof chat.invoke>[0], signal: AbortSignal) => {
        handed.push(requestOptions(client, signal));
        return chat.invoke(request, signal);
      },
    };
    const budget = new LocalProviderBudget();
    budget.rateLimited('bench-key', 300);
    server.enqueue(CHAT, text('<answer>after the wait</answer>'));
    const { agent: budgeted, dialog } = agent({ invoker: budgetedInvoker(spy, { budget, key: () => 'bench-key' }), timeoutMs: 2_000 });
    const result = await budgeted.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['after the wait'] } });
    expect(handed).toEqual([{ timeout: expect.any(Number) }]);
    // The 300 ms spent waiting for the budget came off the 2,000 ms limit.
    expect(handed[0]?.timeout).toBeLessThanOrEqual(1_750);
    expect(handed[0]?.timeout).toBeGreaterThan(1_000);
  });

  it('abort mid-call: rejects with AbortError and the connection is closed', async () => {
    server.enqueue(CHAT, { ...text('<answer>never</answer>'), delayMs: 10_000 });
    const { agent: weatherAgent, dialog } = agent();
    const controller = new AbortController();
    const before = server.disconnects;
    setTimeout(() => controller.abort(), 100);
    const error = await weatherAgent.call(dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.disconnects).toBe(before + 1);
  });

  it('streams replies: text deltas reach the stream, the parsed message still comes back', async () => {
    const { createSilentStream } = await import('@lllm/core');
    const stream = createSilentStream();
    const chunks = ['<ans', 'wer>str', 'eamed</answer>'].map((piece) => ({
      data: {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, delta: { content: piece }, finish_reason: null }],
      },
    }));
    server.enqueue(CHAT, {
      events: [
        ...chunks,
        {
          data: {
            id: 'c',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'gpt-4o-mini',
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
          },
        },
        { data: { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [], usage } },
      ],
      done: true,
    });
    const { agent: weatherAgent, dialog } = agent({ stream, streamReplies: true });
    const result = await weatherAgent.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['streamed'] } });
    expect(stream.events.filter((event) => event.type === 'text-delta')).toHaveLength(3);
    expect(result.message.usage).toEqual({ inputTokens: 60, outputTokens: 20, cachedInputTokens: 40 });
    // gpt-4o-mini: 60 × 0.15 + 40 × 0.075 + 20 × 0.60 per 1M tokens = 0.000024 USD
    expect(result.cost.totalUsd).toBe(0.000024);
  });
});

describe('agent calls through the Responses invoker', () => {
  it('sends input items and tools, then function_call / function_call_output with reasoning items echoed back', async () => {
    const planCall = responseBody({
      model: 'gpt-5-2025-08-07',
      output: [
        reasoningItem({ summary: ['Planning the trip first.'], encryptedContent: 'gAAAAABlllm-opaque-reasoning-state' }),
        functionCall({ callId: 'call_lllmPlan01', name: 'update_plan', arguments: '{"steps":["book","pack"]}' }),
      ],
      usage: { input_tokens: 80, output_tokens: 120, reasoning_tokens: 96 },
    });
    server.enqueue(
      RESPONSES,
      { json: planCall },
      {
        json: {
          id: 'resp_2',
          object: 'response',
          created_at: 1,
          model: 'gpt-5-2025-08-07',
          status: 'completed',
          output: [
            {
              type: 'message',
              id: 'msg_1',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: '<answer>done</answer>', annotations: [] }],
            },
          ],
          usage: {
            input_tokens: 10,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: 5,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: 15,
          },
        },
      },
    );
    const plan = tool({
      name: 'update_plan',
      description: 'Update the plan',
      parameters: { type: 'object', properties: {}, additionalProperties: true },
      execute: () => 'plan updated',
    });
    const planning = new Prompt({ path: 'wire/plan', prompt: 'Plan {goal}.', functions: [plan], requiredXmlTags: ['answer'] });
    const { agent: planner, dialog } = agent({ model: 'gpt-5' }, 'responses');
    dialog.sendMessage(planning, { goal: 'a trip' });
    const result = await planner.call(dialog);
    expect(result.calls.map((call) => call.name)).toEqual(['update_plan']);
    const [first, second] = bodies(RESPONSES);
    expect(first?.tools).toEqual([
      {
        type: 'function',
        name: 'update_plan',
        description: 'Update the plan',
        parameters: { type: 'object', properties: {}, additionalProperties: true },
        strict: false,
      },
    ]);
    const input = (second?.input ?? []) as { type?: string; call_id?: string; output?: string; encrypted_content?: string }[];
    const reasoning = input.find((item) => item.type === 'reasoning');
    expect(reasoning?.encrypted_content).toMatch(/^gAAAA/);
    const call = input.find((item) => item.type === 'function_call');
    expect(call?.call_id).toBe('call_lllmPlan01');
    expect(input.at(-1)).toEqual({ type: 'function_call_output', call_id: 'call_lllmPlan01', output: 'plan updated' });
    expect(result.message.usage).toEqual({ inputTokens: 10, outputTokens: 5 });
  });

  it('hosted tools go out only when the model card has the feature', async () => {
    const hosted = new Prompt({
      path: 'wire/hosted',
      prompt: 'Search.',
      allowWebSearch: true,
      mcpServers: [{ label: 'docs', url: 'https://mcp.example.com/sse', requireApproval: 'never', allowedTools: ['search'] }],
      computerUseConfig: { displayWidth: 1024, displayHeight: 768, environment: 'browser' },
    });
    server.enqueue(RESPONSES, { json: responseBody({ output: [outputMessage('Searched.')] }) });
    const { agent: searcher, dialog } = agent({ model: 'gpt-4o', maxLlmRecall: 0 }, 'responses');
    dialog.sendMessage(hosted);
    const error = (await searcher.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.message).toContain('does not support it (its model card lacks features.computerUse)');
    expect(server.requestsTo(RESPONSES)).toHaveLength(0);
    const withoutComputer = new Prompt({ path: 'wire/hosted2', prompt: 'Search.', allowWebSearch: true, mcpServers: hosted.mcpServers });
    dialog.sendMessage(withoutComputer);
    await searcher.call(dialog);
    expect(bodies(RESPONSES)[0]?.tools).toEqual([
      {
        type: 'mcp',
        server_label: 'docs',
        server_url: 'https://mcp.example.com/sse',
        require_approval: 'never',
        allowed_tools: ['search'],
      },
      { type: 'web_search' },
    ]);
  });
});

describe('provider configuration', () => {
  it('a missing key is a ConfigError naming the variable, raised at request time', async () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      const invoker = createOpenAI({ baseURL: server.openaiBaseURL }).chat();
      const error = await invoker
        .invoke({ model: 'gpt-4o', messages: [], tools: [], modelArgs: {} }, new AbortController().signal)
        .catch((caught: unknown) => caught);
      expect((error as Error).message).toContain('set OPENAI_API_KEY');
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });

  it('sends the key, custom headers and the organization; arguments a model rejects are caught before sending', async () => {
    server.enqueue(CHAT, text('<answer>x</answer>'));
    const provider = createOpenAI({
      apiKey: 'sk-test-header-key-00000000000',
      baseURL: server.openaiBaseURL,
      headers: { 'x-team': 'research' },
      organization: 'org-1',
    });
    await provider.chat().invoke({ model: 'gpt-4o', messages: [], tools: [], modelArgs: { temperature: 0 } }, new AbortController().signal);
    const captured = server.requestsTo(CHAT)[0];
    expect(captured?.headers.authorization).toBe('Bearer sk-test-header-key-00000000000');
    expect(captured?.headers['x-team']).toBe('research');
    expect(captured?.headers['openai-organization']).toBe('org-1');
    const rejected = await provider
      .chat()
      .invoke({ model: 'o3', messages: [], tools: [], modelArgs: { temperature: 0.2 } }, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect((rejected as Error).message).toContain('"o3" does not accept temperature');
    expect(server.requestsTo(CHAT)).toHaveLength(1);
  });

  it('reasoning models get developer messages and max_completion_tokens', async () => {
    server.enqueue(CHAT, text('ok'));
    const provider = createOpenAI({ apiKey: 'sk-test-reasoning-key-000000000', baseURL: server.openaiBaseURL });
    const dialog = (await import('@lllm/core')).Dialog.create({ system: 'Be brief.' });
    await provider
      .chat()
      .invoke({ model: 'o4-mini', messages: dialog.messages, tools: [], modelArgs: { max_tokens: 500 } }, new AbortController().signal);
    const body = bodies()[0];
    expect(body?.messages).toEqual([{ role: 'developer', content: 'Be brief.' }]);
    expect(body?.max_completion_tokens).toBe(500);
    expect(body?.max_tokens).toBeUndefined();
    expect(body?.temperature).toBeUndefined();
  });
});
