// Provider faults in the computer-use loop, end to end: the real `openai` client against the local
// Responses wire server (scripted errors, delays, stalls and dropped connections), driving real
// Chromium on a local page. The loop's policy is the agent call's: 429 waits, transient faults use
// the recall budget, every request has a deadline, other 4xx fail at once.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AbortError, InvalidArgumentError, Message, ProviderError } from '@lllm/core';
import type { WireServer } from '@lllm/test-server';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { ComputerUseAgentOptions } from './agent.js';
import { ResponsesRequester } from './responses-request.js';
import { type AgentWorld, TEST_KEY as KEY, RESPONSES, startAgentWorld } from './test-agent.js';
import { body, CapturingStore, computerCall, failure, inputOf, message, response, responsesMade } from './test-responses.js';

let world: AgentWorld;
let wire: WireServer;
let client: OpenAI;
let checkpointDir: string;
/** Waits the loop asked for (the injected sleep returns at once). */
let sleeps: number[];
const agent = (options: Partial<ComputerUseAgentOptions> = {}) => world.agent(options);
const pageState = () => world.pageState();

beforeAll(async () => {
  world = await startAgentWorld();
  ({ wire, client, checkpointDir, sleeps } = world);
});

afterAll(async () => {
  await world?.close();
});

beforeEach(async () => {
  await world.reset();
});

describe('ComputerUseAgent provider faults', () => {
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
    expect((saved.history as Record<string, unknown>[]).map((item) => item.type ?? item.role)).toEqual([
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
});
