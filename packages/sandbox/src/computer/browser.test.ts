// Integration tests against Debian's Chromium driven through playwright-core, on a local page.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SandboxError } from '../errors.js';
import { BrowserComputer } from './browser.js';
import { decodePng, SLOW_POPUP_MS, startTestSite, type TestSite } from './test-page.js';

const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');

interface PageState {
  count: number;
  right: number;
  double: number;
  submitted: string | null;
  keys: string[];
  moved: [number, number] | null;
  drag: [[number, number], [number, number]] | null;
  wheel: number;
}

let site: TestSite;
let computer: BrowserComputer;

async function state(): Promise<PageState> {
  return computer.activePage.evaluate(() => (window as unknown as { testState: PageState }).testState);
}

beforeAll(async () => {
  site = await startTestSite();
  computer = await BrowserComputer.launch({ width: 800, height: 600, startUrl: site.url, settleMs: 50 });
});

afterAll(async () => {
  await computer?.close();
  await site?.close();
});

describe('BrowserComputer', () => {
  test('screenshots are PNGs of the fixed display and show what the actions did', async () => {
    const before = await computer.screenshot();
    expect(before.stale).toBe(false);
    const decodedBefore = decodePng(before.png);
    expect([decodedBefore.width, decodedBefore.height]).toEqual([800, 600]);
    expect(decodedBefore.pixel(750, 60).slice(0, 3)).toEqual([255, 255, 255]);

    const click = await computer.execute({ type: 'click', x: 60, y: 30, button: 'left' });
    expect(click.description).toBe('click left at (60, 30)');
    expect((await state()).count).toBe(1);
    const after = decodePng(click.screenshot.png);
    expect(after.pixel(750, 60).slice(0, 3)).toEqual([255, 0, 0]);
    await mkdir(artifacts, { recursive: true });
    await writeFile(join(artifacts, 'browser-after-click.png'), click.screenshot.png);
  });

  test('right click, double click, move, drag and scroll reach the page', async () => {
    await computer.execute({ type: 'click', x: 180, y: 30, button: 'right' });
    await computer.execute({ type: 'double_click', x: 300, y: 30 });
    await computer.execute({ type: 'move', x: 510, y: 70 });
    await computer.execute({
      type: 'drag',
      path: [
        { x: 100, y: 200 },
        { x: 200, y: 210 },
        { x: 300, y: 220 },
      ],
    });
    const s = await state();
    expect(s.right).toBe(1);
    expect(s.double).toBe(1);
    expect(s.moved).toEqual([510, 70]);
    expect(s.drag).toEqual([
      [100, 200],
      [300, 220],
    ]);
    const scrolled = await computer.execute({ type: 'scroll', x: 400, y: 300, scroll_x: 0, scroll_y: 500 });
    expect(await computer.activePage.evaluate(() => window.scrollY)).toBe(500);
    expect(scrolled.screenshot.png.length).toBeGreaterThan(1000);
    await computer.execute({ type: 'scroll', x: 400, y: 300, scroll_x: 0, scroll_y: -500 });
    expect(await computer.activePage.evaluate(() => window.scrollY)).toBe(0);
  });

  test('type and keypress with normalised combos (CTRL+A, ctrl+shift, Enter)', async () => {
    await computer.execute({ type: 'click', x: 150, y: 90 });
    await computer.execute({ type: 'type', text: 'first draft' });
    await computer.execute({ type: 'keypress', keys: ['CTRL', 'A'] });
    await computer.execute({ type: 'type', text: 'hello world' });
    await computer.execute({ type: 'keypress', keys: ['ctrl+shift+Home'] });
    await computer.execute({ type: 'keypress', keys: ['ENTER'] });
    const s = await state();
    expect(s.submitted).toBe('hello world');
    expect(s.keys).toContain('Ctrl+a');
    expect(s.keys).toContain('Ctrl+Shift+Home');
    expect(s.keys.at(-1)).toBe('Enter');
    await expect(computer.execute({ type: 'keypress', keys: ['CTRL', 'NOPE'] })).rejects.toThrow(/Unknown key "NOPE"/);
  });

  test('coordinates and malformed actions are checked against the display', async () => {
    const outside = computer.execute({ type: 'click', x: 800, y: 10 });
    await expect(outside).rejects.toThrow(InvalidArgumentError);
    await expect(computer.execute({ type: 'click', x: 800, y: 10 })).rejects.toThrow(
      'Point (800, 10) is outside the 800×600 display; coordinates must satisfy 0 ≤ x < 800 and 0 ≤ y < 600.',
    );
    await expect(computer.execute({ type: 'double_click', x: 5, y: -1 })).rejects.toThrow(/outside the 800×600 display/);
    await expect(
      computer.execute({
        type: 'drag',
        path: [
          { x: 1, y: 1 },
          { x: 1, y: 9999 },
        ],
      }),
    ).rejects.toThrow(/\(1, 9999\)/);
    await expect(computer.execute({ type: 'teleport' } as never)).rejects.toThrow(/Unknown computer action type "teleport"/);
    await expect(computer.execute({ type: 'click', x: '10', y: 3 } as never)).rejects.toThrow(/numeric "x"/);
    expect((await state()).count).toBe(1);
  });

  test('navigation stays inside the origin allowlist; blocked requests are reported and never sent', async () => {
    expect(site.outsideHits()).toBe(0);
    expect(computer.blockedRequests().some((blocked) => blocked.url.endsWith('/pixel.png') && !blocked.navigation)).toBe(true);
    const result = await computer.execute({ type: 'click', x: 170, y: 288 });
    expect(result.blocked).toHaveLength(1);
    expect(result.blocked[0]).toMatchObject({ url: `${site.outsideUrl}/leak`, navigation: true, resourceType: 'document' });
    expect(result.url).toBe(`${site.url}/`);
    expect(site.outsideHits()).toBe(0);
    await expect(computer.goto(`${site.outsideUrl}/direct`)).rejects.toThrow(/is blocked: its origin is not in the allowlist/);
    expect(computer.isAllowed(`${site.url}/anything`)).toBe(true);
    expect(computer.isAllowed('data:text/html,hi')).toBe(false);
  });

  test('links, popups and control keys: Alt+Left goes back, F5 reloads', async () => {
    const toSecond = await computer.execute({ type: 'click', x: 40, y: 288 });
    expect(toSecond.url).toBe(`${site.url}/second`);
    expect(decodePng(toSecond.screenshot.png).pixel(400, 500).slice(0, 3)).toEqual([0, 0, 255]);
    const back = await computer.execute({ type: 'keypress', keys: ['ALT', 'LEFT'] });
    expect(back.signal).toBe('back');
    expect(back.url).toBe(`${site.url}/`);
    const reload = await computer.execute({ type: 'keypress', keys: ['F5'] });
    expect(reload.signal).toBe('reload');
    expect((await state()).count).toBe(0);
    const popup = await computer.execute({ type: 'click', x: 310, y: 288 });
    expect(popup.url).toBe(`${site.url}/second`);
    expect(computer.currentUrl()).toBe(`${site.url}/second`);
  });

  test('a popup whose page is slow to commit is adopted before the action returns', async () => {
    // The popup of the previous test is active; bring it back to the main page.
    await computer.goto(site.url);
    expect(computer.currentUrl()).toBe(`${site.url}/`);
    // target=_blank link to a page the server holds back: Playwright reports the new page only once its
    // first navigation commits, long after the 50 ms settle pause.
    const started = Date.now();
    const link = await computer.execute({ type: 'click', x: 400, y: 288 });
    expect(link.url).toBe(`${site.url}/slow-popup`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_POPUP_MS);
    expect(computer.currentUrl()).toBe(`${site.url}/slow-popup`);
    expect(link.screenshot.stale).toBe(false);
    expect(decodePng(link.screenshot.png).pixel(400, 500).slice(0, 3)).toEqual([0, 128, 0]);

    // window.close() of the active popup: the newest other page (the main page) takes over.
    const closed = await computer.execute({ type: 'click', x: 60, y: 30 });
    expect(closed.url).toBe(`${site.url}/`);
    expect(decodePng(closed.screenshot.png).pixel(400, 500).slice(0, 3)).toEqual([255, 255, 255]);

    // The same through window.open() from a click handler.
    const opened = await computer.execute({ type: 'click', x: 520, y: 288 });
    expect(opened.url).toBe(`${site.url}/slow-popup?opened`);
    expect(decodePng(opened.screenshot.png).pixel(400, 500).slice(0, 3)).toEqual([0, 128, 0]);
    expect((await computer.execute({ type: 'click', x: 60, y: 30 })).url).toBe(`${site.url}/`);

    // A popup outside the allowlist is closed and reported within the action (its target is settled
    // when it closes, without sitting out the 5 s adoption deadline); the main page stays active.
    const outsideStarted = Date.now();
    const outside = await computer.execute({ type: 'click', x: 660, y: 288 });
    expect(Date.now() - outsideStarted).toBeLessThan(4_000);
    expect(outside.url).toBe(`${site.url}/`);
    // Exactly the popup: Chromium's own services refused meanwhile (autofill lookups) are logged, not reported here.
    expect(outside.blocked).toEqual([
      expect.objectContaining({ url: `${site.outsideUrl}/popup`, resourceType: 'document', initiator: 'page' }),
    ]);
    expect(site.outsideHits()).toBe(0);
    expect(computer.activePage.isClosed()).toBe(false);
    const open = computer.activePage.context().pages();
    expect(open.map((page) => page.url())).not.toContain(`${site.outsideUrl}/popup`);
    expect(open.some((page) => page.url().startsWith('chrome-error:'))).toBe(false);
  });

  test('wildcard allowlists and bad origins', async () => {
    await expect(BrowserComputer.launch({ allowedOrigins: ['not a url'] })).rejects.toThrow(/is not a URL/);
    await expect(BrowserComputer.launch({ width: 50 })).rejects.toThrow(/from 100 to 4096/);
    await expect(BrowserComputer.launch({ executablePath: '/nonexistent/chromium' })).rejects.toThrow(SandboxError);
  });
});

describe('BrowserComputer failures and control signals', () => {
  test('a failed capture reuses the last good screenshot; Ctrl+W ends the session', async () => {
    await using hung = await BrowserComputer.launch({
      width: 640,
      height: 480,
      startUrl: site.url,
      allowedOrigins: ['http://127.0.0.1:*'],
      screenshotTimeoutMs: 1_000,
      settleMs: 20,
    });
    expect(hung.isAllowed(site.outsideUrl)).toBe(true);
    const good = await hung.screenshot();
    expect(decodePng(good.png).width).toBe(640);
    // Freeze the renderer: screenshots now time out.
    await hung.activePage.evaluate(() => {
      setTimeout(() => {
        for (;;) {
          // spin
        }
      }, 10);
    });
    const result = await hung.execute({ type: 'wait', ms: 100 });
    expect(result.screenshot.stale).toBe(true);
    expect(result.screenshot.error).toMatch(/Timeout/i);
    expect(result.screenshot.png.equals(good.png)).toBe(true);
    const ended = await hung.execute({ type: 'keypress', keys: ['CTRL', 'W'] });
    expect(ended.signal).toBe('end_session');
    expect(ended.ended).toBe(true);
    expect(hung.ended).toBe(true);
    await expect(hung.execute({ type: 'screenshot' })).rejects.toThrow(/has ended/);
  });
});
