// The replay viewer in real Chromium (Debian's), over real logged sessions: it opens the named
// session, every view has its own address (session, dialog, entry, filters) that reopens it, search
// across sessions through FTS5, filters, latency and rate-limit waits, and a clickable dialog tree
// with pruned branches collapsed. Screenshots of the elements that matter are taken and checked for
// what they must show (size, visibility, the highlighted target), not pixel for pixel.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTravelSession, logWeatherSession } from './__fixtures__/sessions.js';
import { ReplaySession } from './replay.js';
import { SqliteLogStore } from './sqlite-store.js';
import { type ReplayViewer, serveReplayViewer } from './viewer.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-viewer-browser-'));
const store = new SqliteLogStore({ directory: folder });
const artifacts = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
let viewer: ReplayViewer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  await logWeatherSession(store, 'weather-run', 1200);
  await logTravelSession(store, 'travel-run');
  viewer = await serveReplayViewer({ store });
  browser = await chromium.launch({
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
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  mkdirSync(artifacts, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await viewer?.close();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A screenshot of one element, saved for people to look at, checked for being there and drawn. */
async function shot(locator: Locator, name: string): Promise<{ width: number; height: number }> {
  await locator.scrollIntoViewIfNeeded();
  expect(await locator.isVisible()).toBe(true);
  const box = await locator.boundingBox();
  const png = await locator.screenshot({ path: join(artifacts, `replay-viewer-${name}.png`) });
  // A PNG, as wide and tall as the element (device pixel ratio 1), and not a blank image.
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  expect(png.readUInt32BE(16)).toBe(Math.ceil(box?.width ?? 0));
  expect(png.length).toBeGreaterThan(1500);
  return { width: box?.width ?? 0, height: box?.height ?? 0 };
}

const query = () => new URL(page.url()).searchParams;

describe('replay viewer in Chromium', () => {
  it('opens the named session from its URL, with latency per reply and per agent and the rate-limit wait', async () => {
    await page.goto(`${viewer.url}&session=weather-run`);
    await page.locator('#session-title').waitFor();
    expect(await page.locator('#session-title').textContent()).toBe('weather-run');
    // The token went into a cookie; the view stays in the address.
    expect(page.url()).toBe(`${viewer.origin}/?session=weather-run`);
    expect(await page.locator('.session.active').textContent()).toContain('weather-run');
    // Nothing left out is shown as "null" or "undefined".
    expect(await page.locator('#main').textContent()).not.toMatch(/\bnull\b|\bundefined\b/);
    const replay = await ReplaySession.load(store, 'weather-run');
    expect(await page.locator('#rate-limit-wait').textContent()).toBe('1.2 s');
    expect(await page.locator('#total-cost').textContent()).toBe(`$${replay.cost.totalUsd.toFixed(6)}`);
    const forecaster = page.locator('#agent-table tr[data-agent="forecaster"]');
    const cells = await forecaster.locator('td').allTextContents();
    expect(cells[0]).toBe('forecaster');
    expect(cells[9]).toBe('1 (1.2 s)');
    // The first reply waited out the rate limit: its latency is at least the 1.2 s wait.
    const mean = replay.agents.find((agent) => agent.agent === 'forecaster')?.meanLatencyMs ?? 0;
    expect(cells[7]).toBe(mean < 1000 ? `${Math.round(mean)} ms` : `${(mean / 1000).toFixed(1)} s`);
    expect(await page.locator('#agent-table tr[data-agent="critic"] td').nth(9).textContent()).toBe('0');
    const latencies = await page.locator('#timeline .msg .latency').allTextContents();
    expect(latencies.length).toBeGreaterThanOrEqual(4);
    expect(latencies.some((text) => /^\d\.\d s$/.test(text))).toBe(true);
    const summary = await shot(page.locator('.summary'), 'summary');
    expect(summary.width).toBeGreaterThan(600);
    await shot(page.locator('#agent-table'), 'agents');
  }, 60_000);

  it('the dialog tree is clickable, pruned branches collapsed; each view has an address that reopens it', async () => {
    await page.goto(`${viewer.origin}/?session=weather-run`);
    await page.locator('#tree').waitFor();
    const pruned = page.locator('details.tree-pruned').first();
    expect(await pruned.evaluate((node) => (node as HTMLDetailsElement).open)).toBe(false);
    expect(await pruned.locator('.tree-node').first().isVisible()).toBe(false);
    await shot(page.locator('#tree'), 'tree-collapsed');
    // Open the fork: the address names it and the timeline shows that dialog alone.
    const fork = page.locator('.tree-node', { hasText: 'fork' });
    const forkId = (await fork.getAttribute('data-dialog')) ?? '';
    await fork.click();
    await page.locator('#show-all').waitFor();
    expect(query().get('dialog')).toBe(forkId);
    expect(await page.locator('#timeline > .dialog').getAttribute('data-dialog')).toBe(forkId);
    expect(await page.locator('#timeline').textContent()).toContain('Bring a jacket tonight');
    expect(await page.locator('#timeline').textContent()).not.toContain('You check forecasts.');
    expect(await page.locator('.tree-node.active').getAttribute('data-dialog')).toBe(forkId);
    // A pruned branch opens on a click, and its node opens it in the timeline.
    await pruned.locator('summary').click();
    const exception = pruned.locator('.tree-node').first();
    expect(await exception.isVisible()).toBe(true);
    await shot(page.locator('#tree'), 'tree-open');
    await exception.click();
    await page.waitForFunction(() => document.querySelector('.tree-node.active')?.textContent?.includes('exception'));
    const exceptionId = await exception.getAttribute('data-dialog');
    expect(await page.locator('#timeline > .dialog').getAttribute('data-dialog')).toBe(exceptionId);
    expect(await page.locator('#timeline .msg').first().textContent()).toContain('pruned');
    // Back returns to the fork; the fork's address reopens it in a fresh page.
    await page.goBack();
    await page.waitForFunction((id) => document.querySelector('#timeline > .dialog')?.getAttribute('data-dialog') === id, forkId);
    const shared = await browser.newPage();
    await shared.context().addCookies(await page.context().cookies());
    await shared.goto(`${viewer.origin}/?session=weather-run&dialog=${forkId}`);
    await shared.locator('#show-all').waitFor();
    expect(await shared.locator('#timeline > .dialog').getAttribute('data-dialog')).toBe(forkId);
    await shared.close();
  }, 60_000);

  it('searches across sessions (FTS5), and a hit opens the message at its own address, inside a collapsed branch', async () => {
    await page.goto(`${viewer.origin}/`);
    await page.locator('.session').first().waitFor();
    await page.locator('#search').fill('jacket');
    await page.locator('#search').press('Enter');
    await page.locator('.hit').first().waitFor();
    expect(await page.locator('#search-count').textContent()).toBe('2 matches (SQLite FTS5)');
    expect((await page.locator('.hit').allTextContents()).join('\n')).toContain('travel-run');
    expect(await page.locator('.hit mark').first().textContent()).toBe('jacket');
    await shot(page.locator('#search-results'), 'search');
    // A pruned reply: the hit opens its collapsed branch and marks the message.
    await page.locator('#search').fill('warm maybe');
    await page.locator('#search').press('Enter');
    await page.waitForFunction(() => document.querySelector('#search-count')?.textContent?.startsWith('1 match'));
    await page.locator('.hit').click();
    const target = page.locator('.msg.target');
    await target.waitFor();
    expect(query().get('session')).toBe('weather-run');
    expect(query().get('entry')).toBe(await target.getAttribute('data-entry'));
    expect(await target.textContent()).toContain('It is warm, maybe.');
    expect(await target.evaluate((node) => getComputedStyle(node).outlineStyle)).toBe('solid');
    expect(await target.evaluate((node) => (node.closest('details') as HTMLDetailsElement | null)?.open)).toBe(true);
    await shot(target, 'target');
    // Only in the open session.
    await page.locator('#search-here').check();
    await page.locator('#search').fill('jacket');
    await page.locator('#search').press('Enter');
    await page.waitForFunction(() => document.querySelector('#search-count')?.textContent?.startsWith('1 match'));
    expect(await page.locator('.hit').textContent()).toContain('weather-run');
    await page.locator('#search-here').uncheck();
  }, 60_000);

  it('filters by agent, role, prompt, tool, pruned and error kind, in the address too', async () => {
    await page.goto(`${viewer.origin}/?session=weather-run`);
    await page.locator('#filters').waitFor();
    const visible = async () =>
      page
        .locator('#timeline .msg')
        .evaluateAll((cards) =>
          cards.filter((card) => !card.classList.contains('filtered-out')).map((card) => (card as HTMLElement).dataset.role),
        );
    await page.locator('#f-role').selectOption('tool_call');
    expect(query().get('role')).toBe('tool_call');
    expect(await visible()).toEqual(['tool_call']);
    expect(await page.locator('#filter-count').textContent()).toMatch(/^1 of \d+ messages$/);
    await page.locator('#f-role').selectOption('');
    await page.locator('#f-agent').selectOption('critic');
    expect(await visible()).toEqual(['assistant']);
    await page.locator('#f-agent').selectOption('');
    await page.locator('#f-prompt').selectOption('review/check');
    expect(await visible()).toEqual(['user', 'assistant']);
    await page.locator('#f-prompt').selectOption('');
    await page.locator('#f-tool').selectOption('lookup');
    expect(await visible()).toEqual(['tool_call']);
    await page.locator('#f-tool').selectOption('');
    await page.locator('#f-pruned').selectOption('true');
    const prunedRoles = await visible();
    expect(prunedRoles.length).toBeGreaterThan(0);
    // A filter that matches inside a collapsed pruned branch opens it.
    expect(await page.locator('#timeline .msg.pruned:not(.filtered-out)').first().isVisible()).toBe(true);
    await page.locator('#f-pruned').selectOption('');
    await page.locator('#f-error').selectOption('rate_limit');
    expect(query().get('error')).toBe('rate_limit');
    expect(await visible()).toEqual(expect.arrayContaining(['assistant', 'tool_call']));
    await shot(page.locator('#main'), 'filtered');
    // The filtered view's address reopens it.
    await page.goto(`${viewer.origin}/?session=weather-run&role=tool_call`);
    await page.locator('#filters').waitFor();
    expect(await page.locator('#f-role').inputValue()).toBe('tool_call');
    expect(await visible()).toEqual(['tool_call']);
    // A session that does not exist says so.
    await page.goto(`${viewer.origin}/?session=nope`);
    await page.locator('#not-found').waitFor();
    expect(await page.locator('#not-found').textContent()).toContain('No logged session "nope"');
    await page.goto(`${viewer.origin}/?session=weather-run`);
    await page.locator('#timeline').waitFor();
    await page.screenshot({ path: join(artifacts, 'replay-viewer-page.png'), fullPage: true });
  }, 60_000);

  it('the search API needs the token and refuses an empty query with a typed message', async () => {
    expect((await fetch(`${viewer.origin}/api/search?q=jacket`)).status).toBe(401);
    const headers = { authorization: `Bearer ${viewer.token}` };
    const found = (await (await fetch(`${viewer.origin}/api/search?q=jacket&session=travel-run`, { headers })).json()) as {
      method: string;
      hits: { session: string }[];
    };
    expect(found).toMatchObject({ method: 'fts5', hits: [{ session: 'travel-run' }] });
    const empty = await fetch(`${viewer.origin}/api/search?q=%20`, { headers });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: string }).error).toContain('has no words to look for');
  });
});
