// Conformance: every genuine recorded Anthropic payload (LLLM_FIXTURES_DIR, else
// ../shared/fixtures/real-api beside the repository) through the real `@anthropic-ai/sdk` client and
// our Messages invoker, with the captured request bodies. Skipped when the recordings are absent.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createAnthropic } from '@lllm/anthropic';
import { Dialog, type InvokeEvent, type InvokeRequest, type InvokeResult, type ProviderError } from '@lllm/core';
import { fixtureResponse, listFixtures, readJsonFixture, recordedStatus, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { noRecordings } from './recorded.js';

let server: WireServer;
beforeAll(async () => {
  if (!noRecordings) server = await startWireServer();
});
afterAll(() => server?.close());
beforeEach(() => server?.reset());

const PATH = '/v1/messages';
const provider = () => createAnthropic({ apiKey: 'sk-ant-test-key-000000000000000000', baseURL: server.anthropicBaseURL });
const bodies = () => server.requestsTo(PATH).map((request) => request.body as Record<string, unknown>);

function request(overrides: Partial<InvokeRequest> = {}): InvokeRequest {
  const dialog = Dialog.create({ system: 'Be brief.' });
  dialog.sendMessage('Hello?');
  return { model: 'claude-sonnet-4-5', messages: dialog.messages, tools: [], modelArgs: {}, ...overrides };
}

async function invoke(fixture: string, overrides: Partial<InvokeRequest> = {}, status?: number) {
  server.enqueue(PATH, fixtureResponse(fixture, status === undefined ? {} : { status }));
  const events: InvokeEvent[] = [];
  const result = await provider()
    .messages()
    .invoke(request({ ...overrides, onEvent: (event) => events.push(event) }), new AbortController().signal)
    .catch((error: unknown) => error);
  return { result, events };
}

type Recorded = {
  model: string;
  content: { type: string; text?: string; id?: string; name?: string }[];
  usage: { input_tokens: number; output_tokens: number };
};

describe.skipIf(noRecordings)('recorded Anthropic payloads', () => {
  it('anthropic_messages_text_1.json: text, stop reason, usage; the request has system, max_tokens from the card (capped when not streaming)', async () => {
    const recorded = readJsonFixture<Recorded>('anthropic_messages_text_1.json');
    const { result } = await invoke('anthropic_messages_text_1.json');
    const invoked = result as InvokeResult;
    expect(invoked.content).toBe(recorded.content[0]?.text);
    expect(invoked.finishReason).toBe('stop');
    expect(invoked.model).toBe('claude-sonnet-4-5-20250929');
    expect(invoked.usage).toEqual({ inputTokens: 12, outputTokens: 29 });
    expect(bodies()[0]).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 16_384,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello?' }] }],
    });
  });

  it('anthropic_messages_tooluse_1.json: text then a tool_use without arguments', async () => {
    const { result } = await invoke('anthropic_messages_tooluse_1.json', { model: 'claude-3-opus-latest' });
    const invoked = result as InvokeResult;
    expect(invoked.content).toContain('<thinking>');
    expect(invoked.toolCalls).toEqual([{ id: 'toolu_01LRmxn9vGM1d2DZSDBowdZ1', name: 'updateIssueList', arguments: '{}' }]);
    expect(invoked.finishReason).toBe('tool_calls');
  });

  it('anthropic_messages_tooluse_2.json: the request shape the real API accepted, and the tool call', async () => {
    const recordedRequest = readJsonFixture<{ tools: { name: string; description: string; input_schema: Record<string, unknown> }[] }>(
      'anthropic_messages_tooluse_2.request.json',
    );
    const tools = recordedRequest.tools.map((spec) => ({
      name: spec.name,
      description: spec.description,
      parameters: spec.input_schema,
      linked: true,
      execute: () => '',
    }));
    const { result } = await invoke('anthropic_messages_tooluse_2.json', { tools });
    expect((result as InvokeResult).toolCalls).toEqual([
      { id: 'toolu_01X9wcHKKAZD9tBC711xipPa', name: 'get_user_country', arguments: '{}' },
    ]);
    expect(bodies()[0]?.tools).toEqual(recordedRequest.tools);
  });

  it('anthropic_messages_cache_1.json: cache reads and writes priced exactly by the model card', async () => {
    const { result } = await invoke('anthropic_messages_cache_1.json');
    const invoked = result as InvokeResult;
    expect(invoked.usage).toEqual({ inputTokens: 3, outputTokens: 33, cachedInputTokens: 1111, cacheWriteInputTokens: 418 });
    const { costOf } = await import('@lllm/core');
    // claude-sonnet-4-5: 3 × $3 + 418 × $3.75 + 1111 × $0.30 + 33 × $15 per 1M tokens = $0.0024048
    expect(costOf(invoked.model, invoked.usage).totalUsd).toBe(0.0024048);
  });

  it('anthropic_messages_stream_text_1.chunks.jsonl: text deltas and usage', async () => {
    const { result, events } = await invoke('anthropic_messages_stream_text_1.chunks.jsonl', { stream: true });
    const invoked = result as InvokeResult;
    const text = events.filter((event) => event.type === 'text-delta').map((event) => ('text' in event ? event.text : ''));
    expect(text.length).toBeGreaterThan(1);
    expect(text.join('')).toBe(invoked.content);
    expect(invoked.usage?.outputTokens).toBeGreaterThan(0);
    expect(bodies()[0]?.stream).toBe(true);
  });

  it('anthropic_messages_stream_thinking_1.sse: thinking deltas, signature kept and echoed on the next turn', async () => {
    const { result, events } = await invoke('anthropic_messages_stream_thinking_1.sse', { stream: true, model: 'claude-sonnet-4-0' });
    const invoked = result as InvokeResult;
    expect(events.some((event) => event.type === 'reasoning-delta')).toBe(true);
    expect(String(invoked.extra?.reasoning ?? '').length).toBeGreaterThan(0);
    const thinking = (invoked.raw as { content: { type: string; signature?: string }[] }).content.find(
      (block) => block.type === 'thinking',
    );
    expect(thinking?.signature?.length).toBeGreaterThan(10);
    // The next turn sends the thinking block back unchanged, before the text.
    const { Message } = await import('@lllm/core');
    const reply = new Message({ role: 'assistant', content: invoked.content, creator: 'a', raw: invoked.raw });
    server.enqueue(PATH, fixtureResponse('anthropic_messages_text_1.json'));
    await provider()
      .messages()
      .invoke(
        request({ messages: [...request().messages, reply, new Message({ role: 'user', content: 'More?', creator: 'user' })] }),
        new AbortController().signal,
      );
    const sent = ((bodies().at(-1)?.messages ?? []) as { role: string; content: { type: string; signature?: string }[] }[])[1];
    expect(sent?.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(sent?.content[0]?.signature).toBe(thinking?.signature);
  });

  for (const name of ['anthropic_messages_stream_tooluse_1.chunks.jsonl', 'anthropic_messages_stream_tooluse_2.chunks.jsonl']) {
    it(`${name}: input_json_delta fragments assembled into a tool call`, async () => {
      const { result, events } = await invoke(name, { stream: true });
      const invoked = result as InvokeResult;
      expect(invoked.finishReason).toBe('tool_calls');
      expect(invoked.toolCalls).toHaveLength(1);
      const fragments = events
        .filter((event) => event.type === 'tool-call-delta')
        .map((event) => ('argumentsDelta' in event ? event.argumentsDelta : ''));
      expect(JSON.parse(invoked.toolCalls[0]?.arguments ?? '')).toEqual(fragments.join('') ? JSON.parse(fragments.join('')) : {});
    });
  }

  it('anthropic_messages_error400_1.json: a 400 with its request id, not retryable', async () => {
    const { result } = await invoke('anthropic_messages_error400_1.json');
    const error = result as ProviderError;
    expect(error.statusCode).toBe(400);
    expect(error.kind).toBe('client');
    expect(error.isRetryable).toBe(false);
    expect(error.requestId).toBe('req_011Ca7jT9AHpgXgdv8igm4z9');
    expect(error.message).toContain("does not support effort level 'xhigh'");
  });

  it('anthropic_messages_error404_1.json: an unknown model', async () => {
    const { result } = await invoke('anthropic_messages_error404_1.json');
    expect((result as ProviderError).statusCode).toBe(404);
    expect((result as ProviderError).message).toContain('(not_found_error): model: claude-does-not-exist');
  });

  it('anthropic_messages_error429_1.headers.json: a rate limit with the recorded headers is retryable', async () => {
    // The recording kept the headers only (Anthropic's 429 body has this documented shape).
    const recorded = recordedStatus('anthropic_messages_error429_1');
    server.enqueue(PATH, {
      json: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit' } },
      status: 429,
      headers: recorded?.headers ?? {},
    });
    const error = (await provider()
      .messages()
      .invoke(request(), new AbortController().signal)
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.kind).toBe('rate_limit');
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.requestId).toBe('req_01T5fCVnYdf9X5ZW6KayReBK');
    expect(error.message).toContain('(rate_limit_error)');
  });

  it('every recorded Anthropic payload is replayed above', () => {
    const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
    const missing = listFixtures().filter((name) => name.startsWith('anthropic') && !source.includes(name.replace('.headers.json', '')));
    expect(missing).toEqual([]);
  });
});
