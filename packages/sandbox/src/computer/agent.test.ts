// The computer-use loop end to end: the real `openai` client against the local Responses wire
// server (scripted computer_call items, captured requests), driving real Chromium on a local page.
// Provider faults are in agent-faults.test.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { costOf, Message, registerModelCard, sumCosts } from '@lllm/core';
import type { WireServer } from '@lllm/test-server';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ComputerUseAgent, type ComputerUseAgentOptions } from './agent.js';
import { BrowserComputer, type Computer } from './browser.js';
import type { PendingSafetyCheck, SafetyCheckContext } from './safety-checks.js';
import { type AgentWorld, TEST_KEY as KEY, RESPONSES, startAgentWorld } from './test-agent.js';
import { decodePng, type TestSite } from './test-page.js';
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

let world: AgentWorld;
let site: TestSite;
let computer: BrowserComputer;
let wire: WireServer;
let client: OpenAI;
let checkpointDir: string;
/** Waits the loop asked for (the injected sleep returns at once). */
let sleeps: number[];
const agent = (options: Partial<ComputerUseAgentOptions> = {}) => world.agent(options);
const pageState = () => world.pageState();

beforeAll(async () => {
  world = await startAgentWorld();
  ({ site, computer, wire, client, checkpointDir, sleeps } = world);
});

afterAll(async () => {
  await world?.close();
});

beforeEach(async () => {
  await world.reset();
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

  test("an action's notice reaches the model with the next screenshot", async () => {
    const notice = 'The page was left for the one before it.';
    // A Computer of our own around the real browser: its results carry a notice.
    const noting: Computer = {
      environment: computer.environment,
      display: computer.display,
      get ended() {
        return computer.ended;
      },
      currentUrl: () => computer.currentUrl(),
      screenshot: () => computer.screenshot(),
      execute: async (action) => ({ ...(await computer.execute(action)), notice }),
    };
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_n', { type: 'click', button: 'left', x: 60, y: 30 })]),
      response([message('Noted.')]),
    );
    const before = wire.requestsTo(RESPONSES).length;
    const result = await agent({ computer: noting }).run('Click increment.', { sessionId: 'notice' });
    expect(result.finalText).toBe('Noted.');
    const followUp = inputOf(wire.requestsTo(RESPONSES)[before + 1]);
    expect(followUp[0]?.type).toBe('computer_call_output');
    expect(followUp[1]).toEqual({ role: 'user', content: [{ type: 'input_text', text: notice }] });
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
