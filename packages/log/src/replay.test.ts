import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, ConsoleStream, registerModelCard } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt, tool } from '@lllm/prompts';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ReplaySession, renderTranscript } from './replay.js';
import { SqliteLogStore } from './sqlite-store.js';
import { serveReplayViewer } from './viewer.js';

const directory = mkdtempSync(join(tmpdir(), 'lllm-replay-'));
let store: SqliteLogStore;

/** A real logged session: a tool call, a pruned parse retry, a forked follow-up, frontend events. */
async function logSession(session: string): Promise<void> {
  registerModelCard({ name: 'replay-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } });
  const usage = { inputTokens: 100, outputTokens: 10 };
  const lookup = tool({
    name: 'lookup',
    description: 'Look up a city',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }) => `${city}: 21°C`,
  });
  const system = new Prompt({ path: 'replay/system', prompt: 'You are a weather bot.' });
  const task = new Prompt({ path: 'replay/task', prompt: 'Weather in {city}?', functions: [lookup], requiredXmlTags: ['answer'] });
  const stream = new ConsoleStream({ silent: true, log: { store, session } });
  const invoker = createScriptedInvoker([
    { toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' } }], usage, model: 'replay-model' },
    { content: 'It is warm.', usage, model: 'replay-model' },
    { content: '<answer>21°C in Oslo</answer>', usage, model: 'replay-model' },
    { content: '<answer>Bring a jacket</answer>', usage, model: 'replay-model' },
  ]);
  const agent = new Agent({ name: 'forecaster', systemPrompt: system, model: 'replay-model', invoker, log: store, session, stream });
  const dialog = agent.initDialog();
  dialog.sendMessage(task, { city: 'Oslo' });
  stream.write('Asking the forecaster');
  await agent.call(dialog);
  const followUp = dialog.fork();
  followUp.sendMessage(task, { city: 'Oslo tonight' });
  await agent.call(followUp);
  stream.write('Done');
  await store.flush();
}

beforeAll(async () => {
  store = new SqliteLogStore({ directory });
  await logSession('weather-run');
});
afterAll(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('ReplaySession', () => {
  it('rebuilds dialogs with lineage, messages, activities, totals and per-agent figures', async () => {
    const replay = await ReplaySession.load(store, 'weather-run');
    const [root] = replay.roots;
    expect(root?.branch).toBe('root');
    expect(root?.messages.map((entry) => entry.message.role)).toEqual(['system', 'user', 'tool_call', 'tool', 'assistant']);
    const branches = replay.dialogs.map((dialog) => dialog.branch).sort();
    expect(branches).toEqual(['exception', 'fork', 'root']);
    const exception = replay.dialogs.find((dialog) => dialog.branch === 'exception');
    expect(exception?.parentId).toBe(root?.id);
    expect(exception?.messages.map((entry) => entry.message.content)).toEqual([
      'It is warm.',
      expect.stringContaining('Missing the required <answer>'),
    ]);
    expect(exception?.messages.every((entry) => entry.pruned)).toBe(true);
    const fork = replay.dialogs.find((dialog) => dialog.branch === 'fork');
    expect(fork?.parentId).toBe(root?.id);
    expect(fork?.forkIndex).toBe(5);
    expect(root?.children.map((child) => child.branch).sort()).toEqual(['exception', 'fork']);
    // Four replies at 100 + 10 tokens each, the pruned one included: 4 × (100 × $1 + 10 × $2) / 1M.
    expect(replay.tokens).toMatchObject({ inputTokens: 400, outputTokens: 40 });
    expect(replay.cost.totalUsd).toBe(0.00048);
    expect(replay.agents).toEqual([expect.objectContaining({ agent: 'forecaster', replies: 3, retries: 1, toolCalls: 1 })]);
    expect(replay.frontend.map((event) => event.text)).toEqual(['Asking the forecaster', 'Done']);
    const times = replay.activities.map((activity) => activity.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(replay.activities.filter((activity) => activity.kind === 'dialog')).toHaveLength(3);
  });

  it('an unknown session names recent ones', async () => {
    await expect(ReplaySession.load(store, 'weather-rnu')).rejects.toThrow('Recent sessions: "weather-run"');
  });

  it('renders a readable transcript', async () => {
    const text = renderTranscript(await ReplaySession.load(store, 'weather-run'));
    expect(text).toContain('Session weather-run');
    expect(text).toContain('user [replay/task]');
    expect(text).toContain('→ lookup({"city":"Oslo"})');
    expect(text).toContain('✂ pruned retry branch');
    expect(text).toContain('⟲ retry (parse): Missing the required <answer>');
    expect(text).toContain('forecaster: 3 replies, 1 pruned retries, 1 tool calls');
    expect(text).toContain('$0.000480');
    expect(text).not.toContain('\u001b[');
    expect(renderTranscript(await ReplaySession.load(store, 'weather-run'), { color: true })).toContain('\u001b[');
  });
});

describe('replay viewer in Chromium', () => {
  it('lists sessions, shows the timeline and expands a pruned attempt on click', async () => {
    const viewer = await serveReplayViewer({ store });
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    const browser = await chromium.launch({
      executablePath: process.env.LLLM_CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(viewer.url);
      // The token moved from the address into a cookie.
      expect(page.url()).toBe(`${viewer.origin}/`);
      await page.locator('.session', { hasText: 'weather-run' }).click();
      await page.locator('#timeline').waitFor();
      expect(await page.locator('#total-cost').textContent()).toBe('$0.000480');
      const timeline = (await page.locator('#timeline').textContent()) ?? '';
      expect(timeline).toContain('Weather in Oslo?');
      expect(timeline).toContain('→ lookup({"city":"Oslo"})');
      expect(await page.locator('.tree').textContent()).toContain('exception');
      const attempt = page.locator('details.attempt').first();
      const failedReply = attempt.locator('.attempt-reply');
      expect(await failedReply.isVisible()).toBe(false);
      await attempt.locator('summary').click();
      expect(await failedReply.isVisible()).toBe(true);
      expect(await failedReply.textContent()).toBe('It is warm.');
      const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'replay-viewer.png'), fullPage: true });
      const missing = await (
        await fetch(`${viewer.origin}/api/sessions/nope`, { headers: { authorization: `Bearer ${viewer.token}` } })
      ).json();
      expect(missing.error).toContain('No logged session "nope"');
    } finally {
      await browser.close();
      await viewer.close();
    }
  }, 60_000);
});
