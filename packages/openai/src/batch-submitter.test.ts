// Tactic batches through the OpenAI Batch API (Files + /v1/batches) with the real SDK against the
// wire server's batch endpoints: one uploaded JSONL file and one job for the batch, polled to the
// end; a reply that fails to parse is retried live; an error line fails its input only; an abort
// cancels the job.
import { AbortError, costOf, MemoryLogStore, type Message, Tactic, TacticCallError } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { type CapturedRequest, chatCompletion, openaiError, serveBatchApis, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiBatchSubmitter } from './batch-submitter.js';
import { createOpenAI } from './provider.js';

const CHAT = '/v1/chat/completions';
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

const system = new Prompt({ path: 'batch/system', prompt: 'Answer inside <answer></answer>.', requiredXmlTags: ['answer'] });

/** Requests the server made to itself for a job (not the SDK's). */
const fromJob = (request: CapturedRequest) => !String(request.headers['user-agent'] ?? '').startsWith('OpenAI/');

function setup(processingMs = 60) {
  server.reset();
  const apis = serveBatchApis(server, { processingMs });
  server.respondAlways(CHAT, (request) => {
    const messages = (request.body as { messages: { role: string; content: string }[] }).messages;
    const task = messages.find((message) => message.role === 'user')?.content ?? '';
    const retried = messages.length > 2;
    if (task === 'reject') return openaiError({ status: 400, message: "Invalid value for 'messages'." });
    if (task === 'untagged' && !retried) return { json: chatCompletion({ content: 'no tags here' }) };
    return {
      json: chatCompletion({
        content: `<answer>${task}${retried ? ' (live)' : ''}</answer>`,
        usage: { prompt_tokens: 100, completion_tokens: 10 },
      }),
    };
  });
  const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
  const tactic = Tactic.quick(system, { model: 'gpt-4o-mini', invoker: provider.chat(), agentOptions: { maxLlmRecall: 0 } });
  return { apis, tactic };
}

describe('providerBatch: the OpenAI Batch API', () => {
  it('sends the first request of every call as one job, polls it, and retries unparseable replies live', async () => {
    const { apis, tactic } = setup();
    const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
    const inputs = ['one', 'two', 'untagged', 'three', 'reject'];
    const report = await tactic.batch(inputs, {
      providerBatch: { submitter: openaiBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 30 },
    });
    const answers = report.outcomes.map((outcome) => (outcome.ok ? outcome.value.xmlTags.answer?.[0] : 'ERR'));
    expect(answers).toEqual(['one', 'two', 'untagged (live)', 'three', 'ERR']);

    expect(server.requestsTo('/v1/files')).toHaveLength(1);
    const created = server.requestsTo('/v1/batches');
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({ endpoint: CHAT, completion_window: '24h' });
    const [batch] = [...apis.openaiBatches.values()];
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 5, completed: 4, failed: 1 } });
    const input = [...apis.files.values()].find((file) => file.purpose === 'batch');
    const lines = (input?.content ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { custom_id: string; method: string; url: string; body: { model: string } });
    expect(lines.map((line) => line.custom_id)).toEqual(['request-0', 'request-1', 'request-2', 'request-3', 'request-4']);
    expect(lines.every((line) => line.method === 'POST' && line.url === CHAT && line.body.model === 'gpt-4o-mini')).toBe(true);
    // Polled until it ended.
    expect(
      server.requests.filter((request) => request.method === 'GET' && /^\/v1\/batches\/batch_/.test(request.path)).length,
    ).toBeGreaterThan(1);

    const chat = server.requestsTo(CHAT);
    expect(chat.filter(fromJob)).toHaveLength(5);
    // Only the retry of the unparseable reply went live.
    const live = chat.filter((request) => !fromJob(request));
    expect(live).toHaveLength(1);
    expect(JSON.stringify(live[0]?.body)).toContain('no tags here');

    const rejected = report.outcomes[4];
    expect(rejected?.ok).toBe(false);
    if (rejected && !rejected.ok) {
      expect(TacticCallError.isInstance(rejected.error)).toBe(true);
      expect(rejected.error.message).toMatch(/failed in batch batch_\w+ with HTTP 400: Invalid value for 'messages'/);
    }
  });

  it('prices a batch job at half the live price: Cost, the logged messages and summary, the spend caps count', async () => {
    const run = async (batched: boolean) => {
      setup();
      const log = new MemoryLogStore();
      const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
      const tactic = Tactic.quick(system, { model: 'gpt-4o-mini', invoker: provider.chat(), log, agentOptions: { maxLlmRecall: 0 } });
      const report = await tactic.batch(
        ['one', 'two'],
        batched ? { providerBatch: { submitter: openaiBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 30 } } : {},
      );
      return { report, log };
    };
    const live = await run(false);
    const batch = await run(true);
    expect(server.requestsTo(CHAT).filter(fromJob)).toHaveLength(2);
    const picos = (report: typeof live.report) => report.outcomes.map((outcome) => outcome.cost.totalPicoUsd);
    // 100 input and 10 output tokens of gpt-4o-mini: $0.15 and $0.60 per 1M live, half in a batch.
    expect(picos(live.report)).toEqual([21_000_000, 21_000_000]);
    expect(picos(batch.report)).toEqual([10_500_000, 10_500_000]);
    expect(batch.report.spentUsd * 2).toBe(live.report.spentUsd);
    expect(batch.report.costKnown).toBe(true);
    // What the log holds prices the same way (replays and session summaries read only the log).
    const loggedCost = async (log: MemoryLogStore) => {
      let pico = 0;
      let summaryUsd = 0;
      for (const session of await log.sessions()) {
        for (const entry of await log.read('messages', session.session)) {
          const data = entry.data as { message?: { role: string; model?: string; usage?: Message['usage'] }; costUsd?: number };
          if (data.message?.role === 'assistant') pico += costOf(data.message.model, data.message.usage).totalPicoUsd;
          if (typeof data.costUsd === 'number') summaryUsd += data.costUsd;
        }
      }
      return { pico, summaryUsd };
    };
    const liveLogged = await loggedCost(live.log);
    const batchLogged = await loggedCost(batch.log);
    expect(batchLogged.pico).toBe(21_000_000);
    expect(batchLogged.pico * 2).toBe(liveLogged.pico);
    expect(batchLogged.summaryUsd).toBeCloseTo(0.000021, 12);
    expect(batchLogged.summaryUsd * 2).toBeCloseTo(liveLogged.summaryUsd, 15);
  });

  it('a spend cap counts the batch price: the cap that stops a live batch after two calls lets four batched calls run', async () => {
    const run = async (batched: boolean) => {
      setup();
      const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
      const tactic = Tactic.quick(system, { model: 'gpt-4o-mini', invoker: provider.chat(), agentOptions: { maxLlmRecall: 0 } });
      // Two live calls cost $0.000042 (21,000,000 pico-dollars each).
      return tactic.batch(['a', 'b', 'c', 'd'], {
        concurrency: 1,
        maxCostUsd: 0.000042,
        ...(batched ? { providerBatch: { submitter: openaiBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 5 } } : {}),
      });
    };
    const live = await run(false);
    expect([live.done, live.skipped, live.capReached]).toEqual([2, 2, true]);
    const batch = await run(true);
    expect([batch.done, batch.skipped, batch.capReached]).toEqual([4, 0, false]);
    expect(batch.spentUsd).toBe(live.spentUsd);
  });

  it('an abort cancels the job and stops the batch at once', async () => {
    const { apis, tactic } = setup(10_000);
    const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
    const controller = new AbortController();
    const batch = tactic.batch(['a', 'b', 'c'], {
      signal: controller.signal,
      providerBatch: { submitter: openaiBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 10 },
    });
    for (let waited = 0; apis.openaiBatches.size === 0 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const abortedAt = performance.now();
    controller.abort();
    await expect(batch).rejects.toSatisfy(AbortError.isInstance);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    for (
      let waited = 0;
      server.requestsTo(`/v1/batches/${[...apis.openaiBatches.keys()][0]}/cancel`).length === 0 && waited < 2_000;
      waited += 10
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect([...apis.openaiBatches.values()][0]?.status).toMatch(/^cancell(ing|ed)$/);
  });

  it('an agent whose invoker no submitter serves stays live', async () => {
    const { apis, tactic } = setup();
    const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
    const report = await tactic.batch(['one', 'two'], {
      providerBatch: [{ submitter: openaiBatchSubmitter(provider.client, { invokerName: 'some-other-invoker', pollIntervalMs: 20 }) }],
    });
    expect(report.done).toBe(2);
    expect(apis.openaiBatches.size).toBe(0);
    expect(server.requestsTo(CHAT).filter(fromJob)).toHaveLength(0);
  });

  it("a job slower than the agents' per-request timeout is still waited for", async () => {
    server.reset();
    const apis = serveBatchApis(server, { processingMs: 400 });
    server.respondAlways(CHAT, { json: chatCompletion({ content: '<answer>slow</answer>' }) });
    const provider = createOpenAI({ baseURL: server.openaiBaseURL, apiKey: 'test-key' });
    const tactic = Tactic.quick(system, {
      model: 'gpt-4o-mini',
      invoker: provider.chat(),
      agentOptions: { timeoutMs: 100, maxLlmRecall: 0 },
    });
    const report = await tactic.batch(['a', 'b'], {
      providerBatch: { submitter: openaiBatchSubmitter(provider.client, { pollIntervalMs: 20 }), windowMs: 10 },
    });
    expect(report.outcomes.map((outcome) => (outcome.ok ? outcome.value.xmlTags.answer?.[0] : 'ERR'))).toEqual(['slow', 'slow']);
    expect(apis.openaiBatches.size).toBe(1);
    expect(server.requestsTo(CHAT).filter((request) => !fromJob(request))).toHaveLength(0);
  });
});
