// The allowlist holds for everything the browser process sends, proven from the outside: Debian's
// Chromium runs behind the computer's egress proxy, which forwards allowed traffic to an independent
// recording proxy (the only way out); a foreign server and a foreign UDP port count what reaches them.
import { InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BlockedRequest, BrowserComputer } from './browser.js';
import { type EgressSite, type RecordingProxy, startEgressSite, startRecordingProxy } from './test-egress.js';
import { decodePng } from './test-page.js';

let site: EgressSite;
let recorder: RecordingProxy;
let computer: BrowserComputer;
const reported: BlockedRequest[] = [];

beforeAll(async () => {
  site = await startEgressSite();
  recorder = await startRecordingProxy();
  computer = await BrowserComputer.launch({
    width: 800,
    height: 600,
    startUrl: `${site.url}/`,
    settleMs: 100,
    upstreamProxy: recorder.url,
    onBlocked: (blocked) => reported.push(blocked),
  });
});

afterAll(async () => {
  await computer?.close();
  await recorder?.close();
  await site?.close();
});

/** Click the full-page link of `/go?to=…`, then wait: what both actions reported blocked. */
async function follow(to: string): Promise<{ blocked: BlockedRequest[]; url: string }> {
  await computer.goto(`${site.url}/go?to=${encodeURIComponent(to)}`);
  const click = await computer.execute({ type: 'click', x: 100, y: 100 });
  const wait = await computer.execute({ type: 'wait', ms: 800 });
  return { blocked: [...click.blocked, ...wait.blocked], url: wait.url };
}

describe('BrowserComputer egress', () => {
  test('a 302 → 307 chain that ends off the list is stopped at the hop, reported, and the page stays', async () => {
    const { blocked, url } = await follow('/chain');
    expect(blocked).toContainEqual(
      expect.objectContaining({ url: `${site.foreignUrl}/redirected`, navigation: true, stoppedBy: 'proxy', initiator: 'page' }),
    );
    expect(url.startsWith(site.url)).toBe(true);
    expect(site.allowedHits).toEqual(expect.arrayContaining(['/chain', '/chain2']));
  });

  test('meta refresh and script navigations off the list are blocked and reported', async () => {
    const meta = await follow('/meta');
    expect(meta.blocked).toContainEqual(
      expect.objectContaining({ url: `${site.foreignUrl}/meta-target`, navigation: true, stoppedBy: 'route' }),
    );
    expect(meta.url.startsWith(site.url)).toBe(true);
    const script = await follow('/script');
    expect(script.blocked).toContainEqual(expect.objectContaining({ url: `${site.foreignUrl}/script-target`, navigation: true }));
    expect(script.url.startsWith(site.url)).toBe(true);
  });

  test('a page that navigates off the list while still parsing: the action ends promptly, with a fresh screenshot and a note', async () => {
    // Stopped after its body began: it paints, and the action does not wait for a `load` that never comes.
    await computer.goto(`${site.url}/go?to=${encodeURIComponent('/parsing-body')}`);
    let started = Date.now();
    const painted = await computer.execute({ type: 'click', x: 100, y: 100 });
    // Before the fix: 5 s waiting for `load`, then the screenshot.
    expect(Date.now() - started).toBeLessThan(4_500);
    expect(painted.blocked).toContainEqual(
      expect.objectContaining({ url: `${site.foreignUrl}/from-parsing`, navigation: true, stoppedBy: 'route' }),
    );
    expect(painted.url).toBe(`${site.url}/parsing-body`);
    expect(painted.screenshot.stale).toBe(false);
    expect(decodePng(painted.screenshot.png).pixel(400, 500)).toEqual([0, 0, 255, 255]);
    expect(painted.notice).toBeUndefined();

    // Stopped in its head: it can never paint (every screenshot would time out), so the browser goes back.
    await computer.goto(`${site.url}/go?to=${encodeURIComponent('/parsing-head')}`);
    started = Date.now();
    const stopped = await computer.execute({ type: 'click', x: 100, y: 100 });
    // Before the fix: 5 s for `load` and 5 s for a screenshot that timed out, returned stale.
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(stopped.blocked).toContainEqual(expect.objectContaining({ url: `${site.foreignUrl}/from-parsing`, navigation: true }));
    expect(stopped.screenshot.stale).toBe(false);
    expect(stopped.url).toBe(`${site.url}/go?to=${encodeURIComponent('/parsing-head')}`);
    expect(stopped.notice).toBe(
      `${site.url}/parsing-head tried to go to ${site.foreignUrl}/from-parsing while it was still loading; that navigation was blocked, which stopped the page before it could be shown, so the browser went back to ${stopped.url}.`,
    );
    // The page is usable again: the next screenshot is fresh too.
    expect((await computer.screenshot()).stale).toBe(false);
    expect(site.foreignHits).toEqual([]);
  });

  test('fetch, XHR, img, iframe, redirected fetch, WebSocket and WebRTC to the foreign origin are all stopped; allowed ones work', async () => {
    const { blocked } = await follow('/subresources');
    const page = computer.activePage;
    await page.waitForFunction(
      () => {
        const results = (window as unknown as { results?: Record<string, unknown> }).results ?? {};
        return ['fetch', 'redirectedFetch', 'allowedFetch', 'xhr', 'foreignSocket', 'allowedSocket', 'rtc'].every((key) => key in results);
      },
      undefined,
      { timeout: 10_000 },
    );
    const results = await page.evaluate(() => (window as unknown as { results: Record<string, unknown> }).results);
    expect(results).toMatchObject({
      fetch: 'failed',
      xhr: 'failed',
      foreignSocket: 'failed',
      allowedFetch: 'hello',
      allowedSocket: 'pong:ping',
    });
    // The redirect hop of a fetch is answered by the proxy, never by the foreign server.
    expect(results.redirectedFetch).not.toBe(200);
    // Give ICE gathering time to send STUN, if it were going to.
    await computer.execute({ type: 'wait', ms: 1_500 });
    // All of them the page's: the ones the proxy stopped (redirect hop, WebSocket tunnel) too, though Chromium's own
    // services use the same proxy.
    const urls = [...blocked, ...computer.blockedRequests()]
      .filter((item) => item.initiator === 'page')
      .map((item) => `${item.stoppedBy} ${item.resourceType} ${item.url}`);
    for (const expected of [
      `route fetch ${site.foreignUrl}/fetch`,
      `route xhr ${site.foreignUrl}/xhr`,
      `route image ${site.foreignUrl}/img.png`,
      `route document ${site.foreignUrl}/frame`,
      `proxy empty ${site.foreignUrl}/fetch-redirected`,
      `proxy tunnel ${site.foreignUrl.replace('http://', '')}`,
    ]) {
      expect(urls, `"${expected}" missing from the blocked reports:\n${urls.join('\n')}`).toContain(expected);
    }
    expect(site.udpPackets(), 'STUN datagrams reached the foreign UDP port').toBe(0);
  });

  test('nothing reached the foreign server, and the way out carried only allowed hosts', async () => {
    expect(site.foreignHits, `the foreign server was reached: ${site.foreignHits.join(', ')}`).toEqual([]);
    const allowedHost = site.url.replace('http://', '');
    const hosts = recorder.hosts();
    expect(hosts, `the recording proxy saw ${hosts.join(', ') || 'nothing'}; only ${allowedHost} is allowed`).toEqual([allowedHost]);
    // Chromium's own background traffic (update checks, account lookups), if any, was refused and logged, never sent.
    const own = computer.blockedRequests().filter((item) => item.initiator === 'browser');
    for (const item of own) expect(item.stoppedBy).toBe('proxy');
    expect(reported.filter((item) => item.initiator === 'browser')).toEqual(own);
  });

  test('flags that would route traffic around the proxy are refused', async () => {
    const launch = BrowserComputer.launch({ startUrl: `${site.url}/`, args: ['--proxy-server=direct://', '--disable-gpu'] });
    await expect(launch).rejects.toThrow(InvalidArgumentError);
    await expect(BrowserComputer.launch({ startUrl: `${site.url}/`, args: ['--host-resolver-rules=MAP * 1.2.3.4'] })).rejects.toThrow(
      /"--host-resolver-rules=MAP \* 1\.2\.3\.4" would route traffic around the browser's egress proxy/,
    );
    await expect(BrowserComputer.launch({ startUrl: `${site.url}/`, upstreamProxy: 'socks5://127.0.0.1:1080' })).rejects.toThrow(
      /upstreamProxy "socks5:\/\/127\.0\.0\.1:1080" is not an HTTP proxy address/,
    );
  });
});
