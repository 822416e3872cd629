// Tactic batches through Anthropic Message Batches with the real SDK against the wire server's batch
// endpoints: one batch for the calls, polled to `ended`, results read from `results_url`; an
// unparseable reply is retried live; an errored request fails its input only; an abort cancels.
import { AbortError, Tactic } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import {
  anthropicError,
  anthropicMessage,
  type CapturedRequest,
  serveBatchApis,
  startWireServer,
  textBlock,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicBatchSubmitter } from './batch-submitter.js';
import { createAnthropic } from './provider.js';

const MESSAGES = '/v1/messages';
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

const system = new Prompt({ path: 'batch/system', prompt: 'Answer inside <answer></answer>.', requiredXmlTags: ['answer'] });
const fromJob = (request: CapturedRequest) => !String(request.headers['user-agent'] ?? '').startsWith('Anthropic/');

function setup(processingMs = 60) {
  server.reset();
  const apis = serveBatchApis(server, { processingMs });
  server.respondAlways(MESSAGES, (request) => {
    const messages = (request.body as { messages: { role: string; content: string | { type: string; text?: string }[] }[] }).messages;
    const first = messages[0]?.content;
    const task = typeof first === 'string' ? first : (first?.find((block) => block.type === 'text')?.text ?? '');
    const retried = messages.length > 1;
    if (task === 'reject') return anthropicError({ status: 400, type: 'invalid_request_error', message: 'messages: bad content' });
    if (task === 'untagged' && !retried) return { json: anthropicMessage({ content: [textBlock('no tags here')] }) };
    return {
      json: anthropicMessage({
        content: [textBlock(`<answer>${task}${retried ? ' (live)' : ''}</answer>`)],
        usage: { input_tokens: 50, output_tokens: 5 },
      }),
    };
  });
  const provider = createAnthropic({ baseURL: server.anthropicBaseURL, apiKey: 'test-key' });
  const tactic = Tactic.quick(system, { model: 'claude-haiku-4-5', invoker: provider.messages(), agentOptions: { maxLlmRecall: 0 } });
  return { apis, provider, tactic };
}

describe('providerBatch: Anthropic Message Batches', () => {
  it('prices a message batch at half the live price, cache reads and writes included', async () => {
    const run = async (batched: boolean) => {
      server.reset();
      serveBatchApis(server, { processingMs: 30 });
      server.respondAlways(MESSAGES, {
        json: anthropicMessage({
          model: 'claude-haiku-4-5-20251001',
          content: [textBlock('<answer>ok</answer>')],
          usage: { input_tokens: 40, output_tokens: 8, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 },
        }),
      });
      const provider = createAnthropic({ baseURL: server.anthropicBaseURL, apiKey: 'test-key' });
      const tactic = Tactic.quick(system, { model: 'claude-haiku-4-5', invoker: provider.messages(), agentOptions: { maxLlmRecall: 0 } });
      return tactic.batch(
        ['a', 'b', 'c'],
        batched ? { providerBatch: { submitter: anthropicBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 20 } } : {},
      );
    };
    const live = await run(false);
    const batch = await run(true);
    expect(server.requestsTo(MESSAGES).filter(fromJob)).toHaveLength(3);
    // claude-haiku-4-5: $1 input, $5 output, $0.10 cache reads, $1.25 cache writes per 1M tokens.
    const livePico = (40 * 1 + 8 * 5 + 1000 * 0.1 + 200 * 1.25) * 1_000_000;
    expect(live.outcomes.map((outcome) => outcome.cost.totalPicoUsd)).toEqual([livePico, livePico, livePico]);
    expect(batch.outcomes.map((outcome) => outcome.cost.totalPicoUsd)).toEqual([livePico / 2, livePico / 2, livePico / 2]);
    const first = batch.outcomes[0];
    expect(first?.cost).toMatchObject({ cachedInputUsd: 0.00005, cacheWriteUsd: 0.000125 });
    expect(batch.spentUsd * 2).toBe(live.spentUsd);
  });

  it('sends the first request of every call as one batch, reads the results, retries unparseable replies live', async () => {
    const { apis, provider, tactic } = setup();
    const report = await tactic.batch(['one', 'untagged', 'reject', 'two'], {
      providerBatch: { submitter: anthropicBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 30 },
    });
    expect(report.outcomes.map((outcome) => (outcome.ok ? outcome.value.xmlTags.answer?.[0] : 'ERR'))).toEqual([
      'one',
      'untagged (live)',
      'ERR',
      'two',
    ]);
    const created = server.requestsTo('/v1/messages/batches');
    expect(created).toHaveLength(1);
    const requests = (
      (created[0]?.body ?? { requests: [] }) as { requests: { custom_id: string; params: { model: string; system?: unknown } }[] }
    ).requests;
    expect(requests.map((request) => request.custom_id)).toEqual(['request-0', 'request-1', 'request-2', 'request-3']);
    expect(requests.every((request) => request.params.model === 'claude-haiku-4-5')).toBe(true);
    expect([...apis.anthropicBatches.values()][0]).toMatchObject({
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 3, errored: 1, canceled: 0, expired: 0 },
    });
    expect(server.requests.filter((request) => /^\/v1\/messages\/batches\/msgbatch_\w+\/results$/.test(request.path))).toHaveLength(1);
    const live = server.requestsTo(MESSAGES).filter((request) => !fromJob(request));
    expect(live).toHaveLength(1);
    const rejected = report.outcomes[2];
    if (rejected && !rejected.ok)
      expect(rejected.error.message).toMatch(/failed in message batch msgbatch_\w+ \(invalid_request_error\): messages: bad content/);
    else expect.fail('the rejected request must fail its input');
  });

  it('an abort cancels the batch', async () => {
    const { apis, provider, tactic } = setup(10_000);
    const controller = new AbortController();
    const batch = tactic.batch(['a', 'b'], {
      signal: controller.signal,
      providerBatch: { submitter: anthropicBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 10 },
    });
    for (let waited = 0; apis.anthropicBatches.size === 0 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort();
    await expect(batch).rejects.toSatisfy(AbortError.isInstance);
    for (let waited = 0; [...apis.anthropicBatches.values()][0]?.processing_status === 'in_progress' && waited < 2_000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect([...apis.anthropicBatches.values()][0]?.processing_status).toMatch(/^(canceling|ended)$/);
    expect([...apis.anthropicBatches.values()][0]?.cancel_initiated_at).not.toBeNull();
  });
});
