import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover, REDACTED, redactString } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { type ProxyBridge, serveProxy } from './bridge.js';
import { defineProxy, type ProxyDefinition } from './define.js';
import { getProxy, listProxies, registerProxyDiscovery, unregisterProxy } from './registry.js';
import { ProxyRuntime } from './runtime.js';
import { startTestApi, type TestApi } from './test-api.js';

let api: TestApi;
let weather: ProxyDefinition;
let news: ProxyDefinition;
let bridge: ProxyBridge;

beforeAll(async () => {
  api = await startTestApi();
  weather = defineProxy({
    path: 'weather',
    name: 'Weather',
    description: 'Forecasts.',
    baseUrl: api.url,
    timeoutMs: 400,
    endpoints: [
      {
        category: 'forecast',
        endpoint: '/forecast/{city}',
        key: 'daily',
        name: 'Daily',
        description: 'Daily temperatures.',
        parameters: z.object({ city: z.string(), days: z.number().int().optional() }),
        examples: { city: 'Oslo', days: 2 },
        dtCutoff: { key: 'list/date' },
      },
      { category: 'tools', endpoint: '/slow', name: 'Slow', description: 'Slow.' },
    ],
  });
  news = defineProxy({
    path: 'news',
    name: 'News',
    description: 'Headlines.',
    baseUrl: api.url,
    endpoints: [{ category: 'headlines', endpoint: '/news', name: 'Headlines', description: 'Headlines.' }],
  });
  bridge = await serveProxy(new ProxyRuntime({ activate: [weather, news], cutoffDate: '2024-07-01', cache: false }), {
    token: 'bridge-token-abcdef0123456789',
  });
});
afterAll(async () => {
  await bridge?.close();
  await api.close();
});

async function post(path: string, body: unknown, token = bridge.token) {
  const response = await fetch(`${bridge.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { result?: unknown; error?: { message: string; kind: string } } };
}

describe('the HTTP bridge', () => {
  test('binds to loopback and answers calls with the runtime’s result', async () => {
    expect(bridge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { status, body } = await post('/call', { path: 'weather/forecast/daily', params: { city: 'Oslo' } });
    expect(status).toBe(200);
    // The runtime's cutoff 2024-07-01 keeps 06-28, 06-29 and 06-30: strictly before it, as upstream.
    expect((body.result as { list: unknown[] }).list).toHaveLength(3);
  });

  test('a session’s cutoff narrows the runtime’s, never widens it; its proxies narrow the activation', async () => {
    const earlier = await post('/call', { path: 'weather/forecast/daily', params: { city: 'Oslo' }, cutoffDate: '2024-06-29' });
    expect((earlier.body.result as { list: unknown[] }).list).toHaveLength(1);
    const later = await post('/call', { path: 'weather/forecast/daily', params: { city: 'Oslo' }, cutoffDate: '2030-01-01' });
    expect((later.body.result as { list: unknown[] }).list).toHaveLength(3);
    const narrowed = await post('/call', { path: 'news/headlines/news', proxies: ['weather'] });
    expect(narrowed).toEqual({
      status: 403,
      body: { error: { message: 'Proxy "news" is not activated for this session; activated: weather.', kind: 'not_activated' } },
    });
  });

  test('failures keep their kind and a fitting status', async () => {
    expect((await post('/call', { path: 'weather/forecast/daily', params: {} })).status).toBe(400);
    const missing = await post('/call', { path: 'weather/forecast/dayly', params: {} });
    expect(missing.status).toBe(404);
    expect(missing.body.error?.message).toMatch(/Did you mean "weather\/forecast\/daily"/);
    expect((await post('/call', { path: 'weather/tools/slow' })).status).toBe(504);
    expect((await post('/call', '{not json')).body.error?.kind).toBe('validation');
    expect(
      (await post('/call', { path: 'weather/forecast/daily', params: { city: 'Oslo' }, cutoffDate: 'soon' })).body.error?.message,
    ).toMatch(/Cutoff date "soon" is not a date/);
  });

  test('a wrong or missing token is refused before anything runs', async () => {
    const before = api.requests.length;
    const refused = await post('/call', { path: 'weather/forecast/daily', params: { city: 'Oslo' } }, 'wrong-token-000000000000');
    expect(refused.status).toBe(401);
    expect(api.requests.length).toBe(before);
    const health = await fetch(`${bridge.url}/health`);
    expect(await health.json()).toEqual({ ok: true });
    const authorised = await fetch(`${bridge.url}/health`, { headers: { authorization: `Bearer ${bridge.token}` } });
    expect(await authorised.json()).toEqual({ ok: true, proxies: ['weather', 'news'] });
    const docs = await post('/docs', { paths: ['weather/forecast/daily'] });
    expect(docs.body.result).toContain('## weather/forecast/daily');
    const listing = await fetch(`${bridge.url}/endpoints`, { headers: { authorization: `Bearer ${bridge.token}` } });
    expect(((await listing.json()) as { result: { path: string }[] }).result.map((entry) => entry.path)).toEqual([
      'weather/forecast/daily',
      'weather/tools/slow',
      'news/headlines/news',
    ]);
  });
});

describe('session tokens', () => {
  const oslo = { path: 'weather/forecast/daily', params: { city: 'Oslo' } };
  const days = (body: { result?: unknown }) => (body.result as { list: unknown[] }).list.length;

  test('a raw request with a session token gets the session’s proxies and cutoff, whatever its body leaves out', async () => {
    const session = bridge.createSession({ label: 'kernel-1', proxies: ['weather'], cutoffDate: '2024-06-29' });
    expect(session).toMatchObject({ url: bridge.url, label: 'kernel-1', proxies: ['weather'], cutoffDate: '2024-06-29', active: true });
    expect(session.token).not.toBe(bridge.token);
    // No proxies, no cutoffDate in the body: the server-side narrowing still applies.
    const bare = await post('/call', oslo, session.token);
    expect(bare.status).toBe(200);
    expect(days(bare.body)).toBe(1);
    // The body can only narrow: a later cutoff is ignored, an earlier one applies.
    expect(days((await post('/call', { ...oslo, cutoffDate: '2030-01-01' }, session.token)).body)).toBe(1);
    expect(days((await post('/call', { ...oslo, cutoffDate: '2024-06-28' }, session.token)).body)).toBe(0);
    // A proxy outside the session is refused even when the body lists it, and nothing reaches the API.
    const before = api.requests.length;
    const widened = await post('/call', { path: 'news/headlines/news', proxies: ['weather', 'news'] }, session.token);
    expect(widened).toEqual({
      status: 403,
      body: { error: { message: 'Proxy "news" is not activated for session "kernel-1"; activated: weather.', kind: 'not_activated' } },
    });
    const sneaky = await post('/call', { path: '/news//headlines/news' }, session.token);
    expect(sneaky.status).toBe(403);
    expect(api.requests.length).toBe(before);
    expect(session.calls).toBe(5);
    // What the token may list and read about is its own proxies only.
    const listing = await fetch(`${bridge.url}/endpoints`, { headers: { authorization: `Bearer ${session.token}` } });
    expect(((await listing.json()) as { result: { path: string }[] }).result.map((entry) => entry.path)).toEqual([
      'weather/forecast/daily',
      'weather/tools/slow',
    ]);
    expect((await post('/docs', { paths: ['news/headlines/news'] }, session.token)).status).toBe(403);
    expect((await post('/docs', { paths: ['weather/forecast/daily'] }, session.token)).body.result).toContain('## weather/forecast/daily');
    session.revoke();
  });

  test('a session without proxies reaches every activated proxy, still under the runtime’s cutoff', async () => {
    const session = bridge.createSession();
    expect(session.proxies).toEqual([]);
    expect((await post('/call', { path: 'news/headlines/news' }, session.token)).status).toBe(200);
    expect(days((await post('/call', { ...oslo, cutoffDate: '2031-01-01' }, session.token)).body)).toBe(3);
    session.revoke();
  });

  test('a wrong, revoked or expired token gets 401 before anything runs', async () => {
    const before = api.requests.length;
    const revoked = bridge.createSession({ proxies: ['weather'] });
    expect((await post('/call', oslo, revoked.token)).status).toBe(200);
    revoked.revoke();
    expect(revoked.active).toBe(false);
    expect((await post('/call', oslo, revoked.token)).status).toBe(401);
    const expiring = bridge.createSession({ label: 'short', ttlMs: 40 });
    expect(expiring.expiresAt).toBeInstanceOf(Date);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(expiring.active).toBe(false);
    const expired = await post('/call', oslo, expiring.token);
    expect(expired.status).toBe(401);
    expect(expired.body.error).toMatchObject({ kind: 'expired' });
    expect(expired.body.error?.message).toMatch(/session "short" expired at .*createSession\(\)/);
    expect(expired.body.error?.message).not.toContain(expiring.token);
    const forged = await post('/call', oslo, `${revoked.token.slice(0, -1)}0`);
    expect(forged.status).toBe(401);
    const raw = await fetch(`${bridge.url}/call`, { method: 'POST', body: JSON.stringify(oslo) });
    expect(raw.status).toBe(401);
    expect(api.requests.length).toBe(before + 1);
  });

  test('sessions are checked when created, tokens are secrets, and closing the bridge ends them', async () => {
    expect(() => bridge.createSession({ proxies: ['wether'] })).toThrow(
      /Proxy "wether" is not activated in the bridge's runtime.*did you mean "weather".*activated: weather, news/,
    );
    expect(() => bridge.createSession({ cutoffDate: 'soon' })).toThrow(/Cutoff date "soon" is not a date/);
    expect(() => bridge.createSession({ ttlMs: 0 })).toThrow(/ttlMs must be a positive number of milliseconds, got 0/);
    const local = await serveProxy(new ProxyRuntime({ activate: [weather] }));
    const session = local.createSession({ proxies: ['weather'] });
    expect(redactString(`master ${local.token} session ${session.token}`)).toBe(`master ${REDACTED} session ${REDACTED}`);
    await local.close();
    expect(session.active).toBe(false);
    expect(() => local.createSession()).toThrow(/bridge is closed/);
  });
});

describe('[proxies] discovery', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'lllm-proxy-discovery-'));
  });
  afterAll(() => {
    for (const path of listProxies()) unregisterProxy(path);
    rmSync(root, { recursive: true, force: true });
  });

  test('modules in the configured folders register the proxies they export', async () => {
    mkdirSync(join(root, 'apis', 'nested'), { recursive: true });
    writeFileSync(join(root, 'lllm.toml'), '[proxies]\nfolders = ["apis"]\n');
    const proxyModule = new URL('./index.ts', import.meta.url).pathname;
    writeFileSync(
      join(root, 'apis', 'nested', 'geo.ts'),
      `import { defineProxy } from ${JSON.stringify(proxyModule)};
export const geo = defineProxy({
  path: 'geo',
  name: 'Geo',
  description: 'Places.',
  baseUrl: 'http://127.0.0.1:1',
  endpoints: [{ category: 'places', endpoint: '/lookup', name: 'Lookup', description: 'Find a place.' }],
});
export const notAProxy = 42;
`,
    );
    registerProxyDiscovery();
    const report = await discover({ startPath: root, env: {} });
    const section = report.sections.find((candidate) => candidate.name === 'proxies');
    expect(section?.handled).toBe(true);
    expect(section?.failures).toEqual([]);
    expect(section?.modules.map((module) => module.modulePath)).toEqual(['nested/geo']);
    expect(getProxy('geo').endpoints.map((endpoint) => endpoint.fullPath)).toEqual(['geo/places/lookup']);
  });
});
