// The computer-use loop end to end: the real `openai` client against the local Responses wire
// server (scripted computer_call items, captured requests), driving real Chromium on a local page.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderError } from '@lllm/core';
import { type CapturedRequest, startWireServer, type WireServer } from '@lllm/test-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ComputerUseAgent, type ComputerUseAgentOptions, type PendingSafetyCheck, type SafetyCheckContext } from './agent.js';
import { BrowserComputer } from './browser.js';
import { decodePng, startTestSite, type TestSite } from './test-page.js';

let site: TestSite;
let computer: BrowserComputer;
let wire: WireServer;
let client: OpenAI;
let checkpointDir: string;
let responseCount = 0;

const RESPONSES = '/v1/responses';

function response(output: unknown[]) {
  responseCount++;
  return {
    json: {
      id: `resp_${responseCount}`,
      object: 'response',
      created_at: 1_761_323_546,
      status: 'completed',
      model: 'computer-use-preview',
      output,
      usage: { input_tokens: 1000, output_tokens: 20, total_tokens: 1020 },
    },
  };
}

function computerCall(callId: string, action: unknown, checks: PendingSafetyCheck[] = [], batched = false) {
  return {
    type: 'computer_call',
    id: `cu_${callId}`,
    call_id: callId,
    ...(batched ? { actions: action } : { action }),
    pending_safety_checks: checks,
    status: 'completed',
  };
}

function message(text: string) {
  return {
    type: 'message',
    id: `msg_${responseCount}`,
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

const reasoning = { type: 'reasoning', id: 'rs_1', summary: [] };

function body(request: CapturedRequest | undefined): Record<string, unknown> {
  return (request?.body ?? {}) as Record<string, unknown>;
}

function inputOf(request: CapturedRequest | undefined): Record<string, unknown>[] {
  return body(request).input as Record<string, unknown>[];
}

function pngFromDataUrl(url: unknown): Buffer {
  const text = String(url);
  expect(text.startsWith('data:image/png;base64,')).toBe(true);
  return Buffer.from(text.slice('data:image/png;base64,'.length), 'base64');
}

async function pageState(): Promise<{ count: number; submitted: string | null }> {
  return computer.activePage.evaluate(() => (window as unknown as { testState: { count: number; submitted: string | null } }).testState);
}

function agent(options: Partial<ComputerUseAgentOptions> = {}): ComputerUseAgent {
  return new ComputerUseAgent({ client, computer, checkpointDir, ...options });
}

beforeAll(async () => {
  site = await startTestSite();
  computer = await BrowserComputer.launch({ width: 800, height: 600, startUrl: site.url, settleMs: 50 });
  wire = await startWireServer();
  client = new OpenAI({ apiKey: 'sk-test-not-a-real-key-000000', baseURL: wire.openaiBaseURL, maxRetries: 0 });
  checkpointDir = await mkdtemp(join(tmpdir(), 'lllm-cua-'));
});

afterAll(async () => {
  await computer?.close();
  await site?.close();
  await wire?.[Symbol.asyncDispose]();
  if (checkpointDir) await rm(checkpointDir, { recursive: true, force: true });
});

beforeEach(async () => {
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
      expect(body(request).previous_response_id).toBe(`resp_${responseCount - 3 + index}`);
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

  test('a provider error is typed, the checkpoint kept, and the session resumes', async () => {
    wire.enqueue(RESPONSES, { status: 500, json: { error: { message: 'upstream exploded', type: 'server_error' } } });
    const failing = agent().run('Click increment.', { sessionId: 'flaky' });
    await expect(failing).rejects.toThrow(ProviderError);
    await expect(failing).rejects.toMatchObject({ kind: 'server', statusCode: 500 });
    expect(existsSync(join(checkpointDir, 'flaky.json'))).toBe(true);
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_f', { type: 'click', button: 'left', x: 60, y: 30 })]),
      response([message('Clicked it.')]),
    );
    const resumed = await agent().resume('flaky');
    expect(resumed.status).toBe('completed');
    expect(resumed.finalText).toBe('Clicked it.');
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
