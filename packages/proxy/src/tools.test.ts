// Proxies as agent tools, inside full agent calls: the real `openai` client and our chat invoker against
// the local wire server, the proxy calling a local REST API.
import { Agent } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt } from '@lllm/prompts';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineProxy, type ProxyDefinition } from './define.js';
import { ProxyRuntime } from './runtime.js';
import { startTestApi, type TestApi } from './test-api.js';
import { proxyApiTools, proxyTools, toolNameFor } from './tools.js';

const CHAT = '/v1/chat/completions';
let server: WireServer;
let api: TestApi;
let weather: ProxyDefinition;

beforeAll(async () => {
  server = await startWireServer();
  api = await startTestApi();
  weather = defineProxy({
    path: 'weather',
    name: 'Weather API',
    description: 'Forecasts for cities.',
    baseUrl: api.url,
    endpoints: [
      {
        category: 'forecast',
        endpoint: '/forecast/{city}',
        key: 'daily',
        name: 'Daily forecast',
        description: 'Daily temperatures for a city.',
        parameters: z.object({ city: z.string(), days: z.number().int().optional() }),
        examples: { city: 'Oslo', days: 2 },
        removeKeys: ['debug'],
        dtCutoff: { key: 'list/date' },
      },
    ],
  });
});
afterAll(async () => {
  await server.close();
  await api.close();
});
beforeEach(() => server.reset());

function completion(message: Record<string, unknown>, finish = 'stop') {
  return {
    json: {
      id: 'chatcmpl-proxy',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 10 },
    },
  };
}
const toolCall = (name: string, args: unknown, id = 'call_1') =>
  completion({ tool_calls: [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }] }, 'tool_calls');

function agentWith(tools: ReturnType<typeof proxyTools>, prompt: string) {
  const provider = createOpenAI({ apiKey: 'sk-test-proxy-tools-0000000000', baseURL: server.openaiBaseURL });
  const agent = new Agent({
    name: 'analyst',
    systemPrompt: new Prompt({ path: 'proxy-test/system', prompt: 'You answer with data from the APIs.' }),
    model: 'gpt-4o-mini',
    invoker: provider.chat(),
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(new Prompt({ path: 'proxy-test/task', prompt, functions: tools }));
  return { agent, dialog };
}

type WireMessage = { role: string; content: unknown; tool_call_id?: string };

describe('proxy endpoints as tools', () => {
  test('one tool per endpoint: the model calls it, the filtered result goes back, a bad call is fed back', async () => {
    // Strictly before the cutoff, as upstream's filter_by_dt_cutoff: 2024-06-30 keeps the 28th and 29th.
    const proxy = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-06-30' });
    const tools = proxyTools(proxy);
    expect(tools.map((tool) => tool.name)).toEqual(['weather__forecast__daily']);
    server.enqueue(
      CHAT,
      toolCall('weather__forecast__daily', { city: 'Oslo', days: 'many' }, 'call_bad'),
      toolCall('weather__forecast__daily', { city: 'Oslo', days: 4 }, 'call_good'),
      completion({ content: 'Oslo: 19 and 21 °C.' }),
    );
    const { agent, dialog } = agentWith(tools, 'Weather in Oslo?');
    const result = await agent.call(dialog);
    expect(result.message.content).toBe('Oslo: 19 and 21 °C.');
    const requests = server.requestsTo(CHAT).map((request) => request.body as { tools?: unknown[]; messages: WireMessage[] });
    expect(requests[0]?.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'weather__forecast__daily',
          description: 'Daily forecast: Daily temperatures for a city. (weather/forecast/daily)',
          parameters: expect.objectContaining({ required: ['city'], additionalProperties: false }),
        },
      },
    ]);
    const last = requests[2]?.messages ?? [];
    const toolResult = last.find((message) => message.role === 'tool' && message.tool_call_id === 'call_good');
    expect(JSON.parse(String(toolResult?.content))).toEqual({
      city: 'Oslo',
      units: 'metric',
      list: [
        { date: '2024-06-28', celsius: 19 },
        { date: '2024-06-29', celsius: 21 },
      ],
    });
    // The bad call was answered with the validation error on a pruned branch.
    const retry = requests[1]?.messages ?? [];
    expect(retry.find((message) => message.tool_call_id === 'call_bad')?.content).toContain(
      'Invalid arguments for "weather__forecast__daily": parameter "days": Invalid input: expected number, received string',
    );
    expect(requests[2]?.messages.some((message) => message.tool_call_id === 'call_bad')).toBe(false);
    expect(api.requests.filter((request) => request.path === '/forecast/Oslo')).toHaveLength(1);
  });

  test('call_api and api_docs for large catalogs', async () => {
    const proxy = new ProxyRuntime({ activate: [weather] });
    const [callApi, apiDocs] = proxyApiTools(proxy);
    server.enqueue(
      CHAT,
      toolCall('api_docs', { paths: ['weather/forecast'] }, 'call_docs'),
      toolCall('call_api', { path: 'weather/forecast/daily', params: { city: 'Bergen', days: 1 } }, 'call_api_1'),
      toolCall('call_api', { path: 'weather/forcast/daily', params: { city: 'Bergen' } }, 'call_api_2'),
      completion({ content: 'Done.' }),
    );
    const { agent, dialog } = agentWith([callApi, apiDocs], `Use the APIs:\n${proxy.endpointDirectory()}`);
    await agent.call(dialog);
    const messages = (server.requestsTo(CHAT).at(-1)?.body as { messages: WireMessage[] } | undefined)?.messages ?? [];
    const results = Object.fromEntries(
      messages.filter((message) => message.role === 'tool').map((message) => [message.tool_call_id, String(message.content)]),
    );
    expect(results.call_docs).toContain('- `city` (string, required, in path)');
    expect(JSON.parse(results.call_api_1 ?? '')).toMatchObject({ city: 'Bergen', list: [{ date: '2024-06-28', celsius: 19 }] });
    expect(results.call_api_2).toMatch(/No endpoint "weather\/forcast\/daily"\. Did you mean "weather\/forecast\/daily"/);
  });

  test('tool names fit the providers’ rules, however long the path', () => {
    const long = `p/${'segment/'.repeat(12)}end`;
    const name = toolNameFor(long);
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(toolNameFor(long, new Set([name]))).not.toBe(name);
  });
});
