// The computer-use loop end to end: the real `openai` client against the local Responses wire
// server (scripted computer_call items, captured requests), driving real Chromium on a local page.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, costOf, InvalidArgumentError, Message, ProviderError, registerModelCard, sumCosts } from '@lllm/core';
import { startWireServer, type WireServer } from '@lllm/test-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ComputerUseAgent, type ComputerUseAgentOptions } from './agent.js';
import { BrowserComputer } from './browser.js';
import { ResponsesRequester } from './responses-request.js';
import type { PendingSafetyCheck, SafetyCheckContext } from './safety-checks.js';
import { decodePng, startTestSite, type TestSite } from './test-page.js';
import {
  body,
  CapturingStore,
  computerCall,
  failure,
  inputOf,
  message,
  pngFromDataUrl,
  reasoning,
  response,
  responsesMade,
} from './test-responses.js';

let site: TestSite;
let computer: BrowserComputer;
let wire: WireServer;
let client: OpenAI;
let checkpointDir: string;
/** Waits the loop asked for (the injected sleep returns at once). */
let sleeps: number[] = [];

const KEY = 'sk-test-not-a-real-key-000000';

const RESPONSES = '/v1/responses';

async function pageState(): Promise<{ count: number; submitted: string | null }> {
  return computer.activePage.evaluate(() => (window as unknown as { testState: { count: number; submitted: string | null } }).testState);
}

function agent(options: Partial<ComputerUseAgentOptions> = {}): ComputerUseAgent {
  return new ComputerUseAgent({
    client,
    computer,
    checkpointDir,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    ...options,
  });
}

beforeAll(async () => {
  site = await startTestSite();
  computer = await BrowserComputer.launch({ width: 800, height: 600, startUrl: site.url, settleMs: 50 });
  wire = await startWireServer();
  client = new OpenAI({ apiKey: KEY, baseURL: wire.openaiBaseURL, maxRetries: 0 });
  checkpointDir = await mkdtemp(join(tmpdir(), 'lllm-cua-'));
});

afterAll(async () => {
  await computer?.close();
  await site?.close();
  await wire?.[Symbol.asyncDispose]();
  if (checkpointDir) await rm(checkpointDir, { recursive: true, force: true });
});

beforeEach(async () => {
  sleeps = [];
  await computer.goto(site.url);
  expect(wire.pending(RESPONSES)).toBe(0);
});

describe('ComputerUseAgent', () => {
  test('completes a task on the page from scripted computer_call items', async () => {
    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(
      RESPONSES,
      response([reasoning, computerCall('call_1', { type: 'click', button: 'left', x: 150, y: 90 })]),
      response([computerCall('call_2', { type: 'type', text: 'hello agent' })]),
      response([computerCall('call_3', { type: 'keypress', keys: ['ENTER'] })]),
      response([message("I submitted 'hello agent'.")]),
    );
    const actions: string[] = [];
    const result = await agent({ onAction: (record) => actions.push(record.description) }).run(
      'Type "hello agent" into the box and submit it.',
      {
        sessionId: 'task-1',
      },
    );
    expect(result.status).toBe('completed');
    expect(result.finalText).toBe("I submitted 'hello agent'.");
    expect(result.steps).toBe(4);
    expect(actions).toEqual(['click left at (150, 90)', 'type "hello agent"', 'keypress ENTER']);
    expect((await pageState()).submitted).toBe('hello agent');

    const requests = wire.requestsTo(RESPONSES).slice(before);
    expect(requests).toHaveLength(4);
    const first = body(requests[0]);
    expect(first.model).toBe('computer-use-preview');
    expect(first.truncation).toBe('auto');
    expect(first.tools).toEqual([{ type: 'computer_use_preview', display_width: 800, display_height: 600, environment: 'browser' }]);
    expect(first.previous_response_id).toBeUndefined();
    const [userMessage] = inputOf(requests[0]);
    const content = userMessage?.content as Record<string, unknown>[];
    expect(userMessage?.role).toBe('user');
    expect(content[0]).toEqual({ type: 'input_text', text: 'Type "hello agent" into the box and submit it.' });
    expect(content[1]?.type).toBe('input_image');
    const firstShot = decodePng(pngFromDataUrl(content[1]?.image_url));
    expect([firstShot.width, firstShot.height]).toEqual([800, 600]);

    for (const [index, request] of requests.slice(1).entries()) {
      expect(body(request).previous_response_id).toBe(`resp_${responsesMade() - 3 + index}`);
      const [output] = inputOf(request);
      expect(output?.type).toBe('computer_call_output');
      expect(output?.call_id).toBe(`call_${index + 1}`);
      expect(output?.acknowledged_safety_checks).toBeUndefined();
      const screenshot = output?.output as Record<string, unknown>;
      expect(screenshot.type).toBe('computer_screenshot');
      expect(decodePng(pngFromDataUrl(screenshot.image_url)).width).toBe(800);
    }
    // The request carrying call_1's output was sent with the key, never with its value in a log.
    expect(requests[0]?.headers.authorization).toBe('Bearer sk-test-not-a-real-key-000000');

    const saved = JSON.parse(await readFile(join(checkpointDir, 'task-1.json'), 'utf8'));
    expect(saved.status).toBe('completed');
    expect((await agent().checkpoint('task-1'))?.finalText).toBe("I submitted 'hello agent'.");
    expect((await agent().resume('task-1')).status).toBe('completed');
    expect(wire.requestsTo(RESPONSES).length).toBe(before + 4);
    await expect(agent().run('again', { sessionId: 'task-1' })).rejects.toThrow(/already has a checkpoint/);
  });

  test('pending safety checks stop the run until a callback acknowledges them', async () => {
    const check = { id: 'sc_1', code: 'malicious_instructions', message: 'The page asks to click a suspicious button.' };
    wire.enqueue(RESPONSES, response([computerCall('call_s', { type: 'click', button: 'left', x: 60, y: 30 }, [check])]));
    const stopped = await agent().run('Click increment.', { sessionId: 'safety' });
    expect(stopped.status).toBe('safety_stop');
    expect(stopped.pendingSafetyChecks).toEqual([check]);
    expect(stopped.actions).toEqual([]);
    expect((await pageState()).count).toBe(0);

    const seen: { checks: readonly PendingSafetyCheck[]; context: SafetyCheckContext }[] = [];
    wire.enqueue(RESPONSES, response([message('Clicked.')]));
    const resumed = await agent({
      onSafetyCheck: (checks, context) => {
        seen.push({ checks, context });
        return 'acknowledge';
      },
    }).resume('safety');
    expect(resumed.status).toBe('completed');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.checks).toEqual([check]);
    expect(seen[0]?.context).toMatchObject({ sessionId: 'safety', callId: 'call_s', url: `${site.url}/` });
    expect((await pageState()).count).toBe(1);
    const last = wire.requestsTo(RESPONSES).at(-1);
    expect(inputOf(last)[0]).toMatchObject({ type: 'computer_call_output', call_id: 'call_s', acknowledged_safety_checks: [check] });
  });

  test('the step budget stops a run; resume answers the pending call without repeating its actions', async () => {
    wire.enqueue(RESPONSES, response([computerCall('call_m', { type: 'click', button: 'left', x: 60, y: 30 })]));
    const bounded = await agent({ maxSteps: 1 }).run('Click increment once.', { sessionId: 'budget' });
    expect(bounded.status).toBe('max_steps');
    expect(bounded.steps).toBe(1);
    expect((await pageState()).count).toBe(1);
    const sentBefore = wire.requestsTo(RESPONSES).length;

    wire.enqueue(RESPONSES, response([message('Done.')]));
    const resumed = await agent({ maxSteps: 5 }).resume('budget');
    expect(resumed.status).toBe('completed');
    expect(resumed.steps).toBe(2);
    expect((await pageState()).count).toBe(1);
    const request = wire.requestsTo(RESPONSES)[sentBefore];
    expect(body(request).previous_response_id).toBe(bounded.lastResponseId);
    expect(inputOf(request)[0]).toMatchObject({ type: 'computer_call_output', call_id: 'call_m' });
  });

  test('a run interrupted midway resumes without re-running the interrupted call', async () => {
    wire.enqueue(RESPONSES, response([computerCall('call_i', { type: 'click', button: 'left', x: 60, y: 30 })]));
    const crashing = agent({
      onAction: () => {
        throw new Error('process crashed here');
      },
    });
    await expect(crashing.run('Click increment.', { sessionId: 'crash' })).rejects.toThrow('process crashed here');
    const saved = JSON.parse(await readFile(join(checkpointDir, 'crash.json'), 'utf8'));
    expect(saved.status).toBe('running');
    expect(saved.pendingCalls[0].state).toBe('started');
    expect((await pageState()).count).toBe(1);

    wire.enqueue(RESPONSES, response([message('Done.')]));
    const resumed = await agent().resume('crash');
    expect(resumed.status).toBe('completed');
    expect((await pageState()).count).toBe(1);
    const input = inputOf(wire.requestsTo(RESPONSES).at(-1));
    expect(input[0]).toMatchObject({ type: 'computer_call_output', call_id: 'call_i' });
    expect(JSON.stringify(input[1])).toContain('interrupted while performing call call_i');
  });

  test('an exhausted recall budget is a typed error, the checkpoint kept with the attempts, and the session resumes', async () => {
    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(RESPONSES, failure(500, 'upstream exploded'), failure(502, 'bad gateway'));
    const failing = agent({ maxLlmRecall: 1 }).run('Click increment.', { sessionId: 'flaky' });
    await expect(failing).rejects.toThrow(ProviderError);
    await expect(failing).rejects.toMatchObject({ kind: 'server', statusCode: 502 });
    await expect(failing).rejects.toThrow(/failed 2 times in a row \(maxLlmRecall 1\).*resume\("flaky"\)/);
    expect(wire.requestsTo(RESPONSES).length).toBe(before + 2);
    expect(sleeps).toEqual([1000]);
    expect(existsSync(join(checkpointDir, 'flaky.json'))).toBe(true);
    const saved = JSON.parse(await readFile(join(checkpointDir, 'flaky.json'), 'utf8'));
    expect(saved.status).toBe('running');
    expect(saved.initialSent).toBe(false);
    expect(saved.steps).toBe(0);
    expect(saved.attempts.map((attempt: Record<string, unknown>) => [attempt.kind, attempt.statusCode, attempt.waitMs])).toEqual([
      ['server', 500, 1000],
      ['server', 502, undefined],
    ]);
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_f', { type: 'click', button: 'left', x: 60, y: 30 })]),
      response([message('Clicked it.')]),
    );
    const resumed = await agent().resume('flaky');
    expect(resumed.status).toBe('completed');
    expect(resumed.finalText).toBe('Clicked it.');
    expect(resumed.attempts).toHaveLength(2);
    expect(resumed.steps).toBe(2);
    expect((await pageState()).count).toBe(1);
  });

  test('batched actions (GA computer tool, full-input conversation): blocked navigation and bad coordinates are told to the model', async () => {
    const sentBefore = wire.requestsTo(RESPONSES).length;
    wire.enqueue(
      RESPONSES,
      response([
        computerCall(
          'call_b',
          [
            { type: 'click', button: 'left', x: 170, y: 288 },
            { type: 'click', button: 'left', x: 5000, y: 5 },
            { type: 'type', text: 'never typed' },
          ],
          [],
          true,
        ),
      ]),
      response([message('The link is blocked.')]),
    );
    const result = await agent({ tool: 'computer', model: 'gpt-5.4', conversation: 'input' }).run('Open the outside link.', {
      sessionId: 'batched',
    });
    expect(result.status).toBe('completed');
    expect(result.actions.map((record) => [record.description, record.ok])).toEqual([
      ['click left at (170, 288)', true],
      ['click left at (5000, 5)', false],
    ]);
    expect(result.actions[0]?.blocked[0]).toMatchObject({ url: `${site.outsideUrl}/leak`, navigation: true });
    expect(site.outsideHits()).toBe(0);
    const [first, second] = wire.requestsTo(RESPONSES).slice(sentBefore);
    expect(body(first).tools).toEqual([{ type: 'computer' }]);
    expect(body(first).truncation).toBeUndefined();
    expect(body(second).previous_response_id).toBeUndefined();
    const input = inputOf(second);
    expect(input.map((item) => item.type ?? item.role)).toEqual(['user', 'computer_call', 'computer_call_output', 'user']);
    const note = JSON.stringify(input[3]);
    expect(note).toContain(`Navigation to ${site.outsideUrl}/leak was blocked`);
    expect(note).toContain('Point (5000, 5) is outside the 800×600 display');
    expect((await pageState()).submitted).toBeNull();
  });

  test('a 429 waits out retry-after and retries the same request; the checkpoint has no duplicate items and no action re-runs', async () => {
    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(
      RESPONSES,
      failure(429, 'Rate limit reached.', { 'retry-after': '7' }),
      response([computerCall('call_r', { type: 'click', button: 'left', x: 60, y: 30 })]),
      failure(429, 'Rate limit reached.', { 'retry-after-ms': '1500' }),
      response([message('Clicked once.')]),
    );
    const result = await agent({ conversation: 'input' }).run('Click increment once.', { sessionId: 'rate-limited' });
    expect(result.status).toBe('completed');
    expect(result.finalText).toBe('Clicked once.');
    expect(result.steps).toBe(2);
    expect(sleeps).toEqual([7000, 1500]);
    expect((await pageState()).count).toBe(1);
    expect(result.actions).toHaveLength(1);
    expect(result.attempts.map((attempt) => [attempt.kind, attempt.statusCode, attempt.waitMs, attempt.step])).toEqual([
      ['rate_limit', 429, 7000, 1],
      ['rate_limit', 429, 1500, 2],
    ]);

    const requests = wire.requestsTo(RESPONSES).slice(before);
    expect(requests).toHaveLength(4);
    // A retry resends exactly the request that failed.
    expect(requests[1]?.rawBody).toBe(requests[0]?.rawBody);
    expect(requests[3]?.rawBody).toBe(requests[2]?.rawBody);
    expect(inputOf(requests[3]).map((item) => item.type ?? item.role)).toEqual(['user', 'computer_call', 'computer_call_output']);

    const saved = JSON.parse(await readFile(join(checkpointDir, 'rate-limited.json'), 'utf8'));
    expect(saved.history.map((item: Record<string, unknown>) => item.type ?? item.role)).toEqual([
      'user',
      'computer_call',
      'computer_call_output',
      'message',
    ]);
    expect(saved.actions).toHaveLength(1);
    expect(saved.stepCosts.map((step: Record<string, unknown>) => step.responseId)).toEqual([
      `resp_${responsesMade() - 1}`,
      `resp_${responsesMade()}`,
    ]);
  });

  test('a 500 twice, then success: retried with backoff under maxLlmRecall', async () => {
    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_5', { type: 'click', button: 'left', x: 60, y: 30 })]),
      failure(500, 'The server had an error.'),
      failure(503, 'Overloaded.'),
      response([message('Done after retries.')]),
    );
    const result = await agent({ backoff: { initialDelayMs: 250, multiplier: 3 } }).run('Click increment.', { sessionId: 'server-errors' });
    expect(result.status).toBe('completed');
    expect(result.finalText).toBe('Done after retries.');
    expect(sleeps).toEqual([250, 750]);
    expect(result.attempts.map((attempt) => [attempt.kind, attempt.statusCode, attempt.isRetryable])).toEqual([
      ['server', 500, true],
      ['server', 503, true],
    ]);
    expect((await pageState()).count).toBe(1);
    const requests = wire.requestsTo(RESPONSES).slice(before);
    expect(requests).toHaveLength(4);
    expect(requests[2]?.rawBody).toBe(requests[1]?.rawBody);
    expect(requests[3]?.rawBody).toBe(requests[1]?.rawBody);
    expect(body(requests[3]).previous_response_id).toBe(result.stepCosts[0]?.responseId);
  });

  test('a timeout is a transient fault: the request is retried', async () => {
    wire.enqueue(RESPONSES, { ...response([message('Slow.')]), delayMs: 3000 }, response([message('Fast.')]));
    const result = await agent({ timeoutMs: 300 }).run('Say something.', { sessionId: 'timeout' });
    expect(result.finalText).toBe('Fast.');
    expect(result.attempts.map((attempt) => attempt.kind)).toEqual(['timeout']);
    expect(sleeps).toEqual([1000]);
  });

  test('a stalled provider ends as a typed timeout on the recall budget; each stalled request is abandoned', async () => {
    const disconnects = wire.disconnects;
    const stalled = { ...response([message('Never sent in time.')]), delayMs: 60_000 };
    wire.enqueue(RESPONSES, stalled, { ...stalled });
    const started = Date.now();
    const failing = agent({ timeoutMs: 250, maxLlmRecall: 1 }).run('Say something.', { sessionId: 'stalled' });
    await expect(failing).rejects.toThrow(ProviderError);
    await expect(failing).rejects.toMatchObject({ kind: 'timeout', isRetryable: true, provider: 'openai' });
    await expect(failing).rejects.toThrow(
      /failed 2 times in a row \(maxLlmRecall 1\).*timed out after 250 ms without a reply \(timeoutMs\)/,
    );
    // Two 250 ms deadlines, not the 60 s stall (nor the client's own 10 minutes).
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(sleeps).toEqual([1000]);
    const saved = JSON.parse(await readFile(join(checkpointDir, 'stalled.json'), 'utf8'));
    expect(saved.attempts.map((attempt: Record<string, unknown>) => [attempt.kind, attempt.waitMs])).toEqual([
      ['timeout', 1000],
      ['timeout', undefined],
    ]);
    // The client hung up on both stalled responses: nothing is left waiting on the server.
    await expect.poll(() => wire.disconnects, { timeout: 5_000 }).toBe(disconnects + 2);
  });

  test("request timeouts default to core's 120 s; 0 turns them off; a bad value is a typed error naming it", async () => {
    const policy = { client, sleep: async () => undefined, random: () => 0 };
    expect(new ResponsesRequester(policy).timeoutMs).toBe(120_000);
    expect(new ResponsesRequester({ ...policy, timeoutMs: 0 }).timeoutMs).toBe(0);
    expect(() => agent({ timeoutMs: -5 })).toThrow(InvalidArgumentError);
    expect(() => agent({ timeoutMs: -5 })).toThrow(/timeoutMs must be a number of milliseconds >= 0 \(0: no limit\), got -5/);
    // With no limit a slow reply is waited for.
    wire.enqueue(RESPONSES, { ...response([message('Slow but fine.')]), delayMs: 400 });
    const result = await agent({ timeoutMs: 0 }).run('Say something.', { sessionId: 'no-limit' });
    expect(result.finalText).toBe('Slow but fine.');
    expect(result.attempts).toEqual([]);
  });

  test('a dropped connection is retried; a 429 for exhausted quota fails at once', async () => {
    wire.enqueue(RESPONSES, { drop: 'immediately' }, response([message('Back.')]));
    const result = await agent().run('Say something.', { sessionId: 'dropped' });
    expect(result.finalText).toBe('Back.');
    expect(result.attempts.map((attempt) => attempt.kind)).toEqual(['connection']);
    expect(sleeps).toEqual([1000]);

    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(RESPONSES, {
      status: 429,
      headers: { 'retry-after': '1' },
      json: { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' } },
    });
    const failing = agent().run('Say something.', { sessionId: 'no-quota' });
    await expect(failing).rejects.toMatchObject({ kind: 'client', statusCode: 429, isRetryable: false });
    await expect(failing).rejects.toThrow(/no quota left/);
    expect(wire.requestsTo(RESPONSES).length).toBe(before + 1);
    expect(sleeps).toEqual([1000]);
  });

  test('a 400 fails at once with a typed ProviderError; the log gets the attempt without the key', async () => {
    const before = wire.requestsTo(RESPONSES).length;
    const store = new CapturingStore();
    wire.enqueue(RESPONSES, (request) => failure(400, `Invalid 'tools[0]' sent with ${request.headers.authorization}.`));
    const failing = agent({ log: { store, session: 'bad-request' } }).run('Click increment.', { sessionId: 'bad-request' });
    await expect(failing).rejects.toThrow(ProviderError);
    await expect(failing).rejects.toMatchObject({ kind: 'client', statusCode: 400, isRetryable: false });
    await expect(failing).rejects.not.toThrow(KEY);
    expect(wire.requestsTo(RESPONSES).length).toBe(before + 1);
    expect(sleeps).toEqual([]);
    const saved = JSON.parse(await readFile(join(checkpointDir, 'bad-request.json'), 'utf8'));
    expect(saved.attempts).toMatchObject([{ kind: 'client', statusCode: 400, isRetryable: false }]);

    const pruned = (await store.read('messages', 'bad-request')).filter((entry) => entry.data.pruned === true);
    expect(pruned).toHaveLength(1);
    const logged = Message.fromJSON(pruned[0]?.data.message as never);
    expect(logged.extra.error).toMatchObject({ kind: 'client', statusCode: 400, isRetryable: false });
    expect(logged.attempts[0]).toMatchObject({ kind: 'provider', statusCode: 400 });
    expect(JSON.stringify(store.handed)).not.toContain(KEY);
    expect(JSON.stringify(store.handed)).toContain("Invalid 'tools[0]' sent with Bearer [REDACTED]");
  });

  test('aborting while waiting out a rate limit stops at once', async () => {
    wire.enqueue(RESPONSES, failure(429, 'Slow down.', { 'retry-after': '60' }));
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user cancelled')), 200);
    const failing = agent({ sleep: undefined }).run('Click increment.', { sessionId: 'aborted', signal: controller.signal });
    await expect(failing).rejects.toThrow(AbortError);
    expect(Date.now() - started).toBeLessThan(5000);
    const saved = JSON.parse(await readFile(join(checkpointDir, 'aborted.json'), 'utf8'));
    expect(saved.attempts).toMatchObject([{ kind: 'rate_limit', statusCode: 429, waitMs: 60_000 }]);
  });

  test('the rate-limit budget ends a run that would wait too long', async () => {
    wire.enqueue(RESPONSES, failure(429, 'Slow down.', { 'retry-after': '20' }), failure(429, 'Slow down.', { 'retry-after': '20' }));
    const failing = agent({ rateLimit: { maxTotalWaitMs: 30_000 } }).run('Click increment.', { sessionId: 'rate-budget' });
    await expect(failing).rejects.toMatchObject({ kind: 'rate_limit', statusCode: 429 });
    await expect(failing).rejects.toThrow(/rate-limit budget \(8 waits, 30000 ms in total\)/);
    expect(sleeps).toEqual([20_000]);
  });

  test('usage is summed and priced exactly with the model card, across resume; an unknown model is priced known: false', async () => {
    registerModelCard({
      name: 'test-cua-priced',
      provider: 'openai',
      features: { computerUse: true },
      pricing: { input: 3, cachedInput: 0.75, output: 12 },
    });
    const model = 'test-cua-priced';
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_u', { type: 'click', button: 'left', x: 60, y: 30 })], {
        model,
        usage: {
          input_tokens: 1200,
          input_tokens_details: { cached_tokens: 200 },
          output_tokens: 80,
          output_tokens_details: { reasoning_tokens: 50 },
          total_tokens: 1280,
        },
      }),
    );
    const first = await agent({ model, maxSteps: 1 }).run('Click increment.', { sessionId: 'priced' });
    expect(first.status).toBe('max_steps');
    // 1000 × $3/M + 200 × $0.75/M + 80 × $12/M = $0.00411
    expect(first.cost).toMatchObject({ known: true, totalPicoUsd: 4_110_000_000 });
    expect(first.usage).toEqual({ inputTokens: 1000, outputTokens: 80, cachedInputTokens: 200, reasoningTokens: 50 });

    wire.enqueue(
      RESPONSES,
      failure(500, 'transient'),
      response([message('Done.')], {
        model: `${model}-2026-01-01`,
        usage: { input_tokens: 1500, input_tokens_details: { cached_tokens: 1000 }, output_tokens: 40, total_tokens: 1540 },
      }),
    );
    const result = await agent({ model }).resume('priced');
    expect(result.status).toBe('completed');
    expect(result.usage).toEqual({ inputTokens: 1500, outputTokens: 120, cachedInputTokens: 1200, reasoningTokens: 50 });
    // + 500 × $3/M + 1000 × $0.75/M + 40 × $12/M = $0.00273
    expect(result.cost).toMatchObject({ known: true, totalPicoUsd: 6_840_000_000, inputUsd: 0.0045, cachedInputUsd: 0.0009 });
    expect(result.cost.totalUsd).toBeCloseTo(0.00684, 12);
    expect(result.stepCosts.map((step) => [step.step, step.model, step.cost.totalPicoUsd])).toEqual([
      [1, model, 4_110_000_000],
      [2, `${model}-2026-01-01`, 2_730_000_000],
    ]);
    expect((await agent({ model }).checkpoint('priced'))?.cost.totalPicoUsd).toBe(6_840_000_000);

    wire.enqueue(RESPONSES, response([message('Hi.')], { model: 'no-such-cua-model' }));
    const unknown = await agent({ model: 'no-such-cua-model' }).run('Say hi.', { sessionId: 'unpriced' });
    expect(unknown.status).toBe('completed');
    expect(unknown.usage.inputTokens).toBe(1000);
    expect(unknown.cost.known).toBe(false);
  });

  test('a LogStore gets every response, action and failed attempt: no screenshot data, no secrets, priced as the result', async () => {
    registerModelCard({ name: 'test-cua-logged', provider: 'openai', features: {}, pricing: { input: 2, output: 8 } });
    const model = 'test-cua-logged';
    const secret = 'sk-proj-abcdefghijklmnopqrstuvwx';
    const store = new CapturingStore();
    wire.enqueue(
      RESPONSES,
      (request) => failure(429, `Rate limit for ${request.headers.authorization}.`, { 'retry-after': '2' }),
      response([reasoning, computerCall('call_l', { type: 'click', button: 'left', x: 60, y: 30 })], { model }),
      response([message(`The page shows ${secret}.`)], { model }),
    );
    const result = await agent({ model, log: { store, session: 'cua-log' }, instructions: 'Be careful.' }).run('Click increment.', {
      sessionId: 'logged',
    });
    expect(result.status).toBe('completed');
    expect(sleeps).toEqual([2000]);

    const dialogs = await store.read('dialogs', 'cua-log');
    const root = dialogs.find((entry) => entry.data.branch === 'root');
    const fork = dialogs.find((entry) => entry.data.branch === 'exception');
    expect(root?.data.computerUseSession).toBe('logged');
    expect(fork?.data).toMatchObject({ parentDialogId: root?.data.dialogId, forkIndex: 2 });

    const entries = await store.read('messages', 'cua-log');
    const main = entries.filter((entry) => entry.data.dialogId === root?.data.dialogId);
    expect(main.map((entry) => entry.data.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const messages = main.map((entry) => Message.fromJSON(entry.data.message as never));
    expect(messages.map((item) => [item.role, item.creator])).toEqual([
      ['system', 'system'],
      ['user', 'user'],
      ['tool_call', 'computer-use'],
      ['tool', 'computer'],
      ['tool', 'computer'],
      ['assistant', 'computer-use'],
    ]);
    const [, task, call, action, output, answer] = messages;
    expect(task?.content).toBe('Click increment.');
    expect(task?.extra.screenshot).toMatch(/^\[screenshot 800×600, \d+ bytes\]$/);
    expect(call?.toolCalls[0]?.toJSON()).toEqual({
      id: 'call_l',
      name: 'computer',
      arguments: { actions: [{ type: 'click', button: 'left', x: 60, y: 30 }] },
    });
    expect(call?.usage).toEqual({ inputTokens: 1000, outputTokens: 20 });
    expect(call?.attempts).toMatchObject([{ kind: 'provider', statusCode: 429 }]);
    expect(call?.extra.responseId).toBe(result.stepCosts[0]?.responseId);
    expect(action).toMatchObject({ toolCallId: 'call_l', content: 'click left at (60, 30)' });
    expect(action?.extra.action).toMatchObject({ ok: true, callId: 'call_l' });
    expect(output).toMatchObject({ toolCallId: 'call_l' });
    expect(output?.content).toMatch(/^\[screenshot 800×600, \d+ bytes\]$/);
    expect(answer?.content).toBe('The page shows [REDACTED].');

    const failed = entries.filter((entry) => entry.data.pruned === true);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.data).toMatchObject({ dialogId: fork?.data.dialogId, index: 2 });
    expect(Message.fromJSON(failed[0]?.data.message as never).extra).toMatchObject({
      step: 1,
      waitMs: 2000,
      error: { kind: 'rate_limit', statusCode: 429, isRetryable: true, retryAfterMs: 2000 },
    });

    // What the store was handed, before its own redaction.
    const handed = JSON.stringify(store.handed);
    expect(handed).not.toContain(KEY);
    expect(handed).not.toContain(secret);
    expect(handed).not.toContain('base64');
    expect(handed).not.toContain('iVBORw0KGgo');
    expect(handed.length).toBeLessThan(20_000);

    // Priced from the log alone, as ReplaySession does: the same exact total as the result.
    const replies = entries
      .map((entry) => Message.fromJSON(entry.data.message as never))
      .filter((item) => item.role === 'assistant' || item.role === 'tool_call');
    expect(sumCosts(replies.map((item) => costOf(item.model, item.usage)))).toEqual(result.cost);
    expect(result.cost).toMatchObject({ known: true, totalPicoUsd: 2 * (1000 * 2_000_000 + 20 * 8_000_000) });
  });

  test('Ctrl+W from the model ends the session', async () => {
    await using own = await BrowserComputer.launch({ width: 640, height: 480, startUrl: site.url, settleMs: 20 });
    wire.enqueue(RESPONSES, response([computerCall('call_w', { type: 'keypress', keys: ['CTRL', 'W'] })]));
    const result = await new ComputerUseAgent({ client, computer: own }).run('Close the tab.');
    expect(result.status).toBe('ended');
    expect(result.actions[0]?.signal).toBe('end_session');
    expect(result.checkpointPath).toBeUndefined();
    expect(own.ended).toBe(true);
  });
});
