// The runtime's modes as upstream's lllm/proxies.py `Proxy` has them: `deploy()`, `develop()` and the
// `cutoff_date` setter at run time, and `BaseProxy(use_cache=True)` with its `use_cache` switch.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { type ProxyBridge, serveProxy } from './bridge.js';
import { defaultProxyCacheDir } from './cache.js';
import { defineProxy, type ProxyDefinition } from './define.js';
import { registerProxy, unregisterProxy } from './registry.js';
import { ProxyRuntime } from './runtime.js';
import { startTestApi, type TestApi } from './test-api.js';

let api: TestApi;
let weather: ProxyDefinition;
const temporary: string[] = [];

function weatherAt(baseUrl: string): ProxyDefinition {
  return defineProxy({
    path: 'weather',
    name: 'Weather',
    description: 'Forecasts.',
    baseUrl,
    endpoints: [
      {
        category: 'forecast',
        endpoint: '/forecast/{city}',
        key: 'daily',
        name: 'Daily',
        description: 'Daily temperatures.',
        parameters: z.object({ city: z.string(), days: z.number().int().optional() }),
        examples: { city: 'Oslo', days: 5 },
        dtCutoff: { key: 'list/date' },
      },
    ],
  });
}

beforeAll(async () => {
  api = await startTestApi();
  weather = weatherAt(api.url);
});
afterAll(async () => {
  await api.close();
  for (const folder of temporary) rmSync(folder, { recursive: true, force: true });
});

const dates = (value: unknown) => (value as { list: { date: string }[] }).list.map((entry) => entry.date);
const forecasts = (city: string) => api.requests.filter((request) => request.path === `/forecast/${city}`).length;

function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lllm-proxy-modes-'));
  temporary.push(dir);
  return dir;
}

describe('deploy(), develop() and the cutoff at run time', () => {
  // Upstream lllm/proxies.py Proxy.deploy(): deploy_mode = True and cutoff_date = None; develop(): deploy_mode = False.
  test('as upstream’s Proxy.deploy() / develop(): a running runtime goes live and back, and its bridge follows at once', async () => {
    const proxy = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-06-30', cache: false });
    // The bridge a sandbox session (the API interpreter) calls through holds the same runtime.
    await using bridge: ProxyBridge = await serveProxy(proxy, { token: 'modes-bridge-token-0123456789' });
    const viaBridge = async () => {
      const response = await fetch(`${bridge.url}/call`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ path: 'weather/forecast/daily', params: { city: 'Oslo' } }),
      });
      return ((await response.json()) as { result: unknown }).result;
    };
    expect(dates(await viaBridge())).toEqual(['2024-06-28', '2024-06-29']);

    expect(proxy.deploy()).toBe(proxy);
    expect(proxy.deployMode).toBe(true);
    expect(proxy.cutoff).toBeUndefined();
    expect(dates(await proxy.call('weather/forecast/daily', { city: 'Oslo' }))).toHaveLength(5);
    expect(dates(await viaBridge())).toHaveLength(5);
    expect(proxy.toJSON()).toMatchObject({ cutoffDate: null, deployMode: true });
    expect(proxy.retrieveApiDocs(['weather/forecast/daily'])).not.toContain('are withheld');

    // As upstream, deploy() dropped the cutoff and develop() does not bring it back.
    proxy.develop();
    expect(proxy.deployMode).toBe(false);
    expect(proxy.cutoff).toBeUndefined();
    expect(dates(await viaBridge())).toHaveLength(5);
    // Given a date, develop() backtests again, from the next call on.
    proxy.develop('2024-06-29');
    expect(proxy.toJSON()).toMatchObject({ cutoffDate: '2024-06-29', deployMode: false });
    expect(dates(await viaBridge())).toEqual(['2024-06-28']);
    expect(proxy.retrieveApiDocs(['weather/forecast/daily'])).toContain('Entries dated on or after 2024-06-29');
  });

  // Upstream lllm/proxies.py Proxy.cutoff_date setter (and BaseProxy.cutoff_date on every proxy it holds).
  test('as upstream’s cutoff_date setter: the cutoff moves at run time; in deploy mode it is a typed error naming develop()', async () => {
    const proxy = new ProxyRuntime({ activate: [weather], cache: false });
    expect(dates(await proxy.call('weather/forecast/daily', { city: 'Oslo' }))).toHaveLength(5);
    proxy.setCutoffDate('2024-07-01');
    expect(dates(await proxy.call('weather/forecast/daily', { city: 'Oslo' }))).toEqual(['2024-06-28', '2024-06-29', '2024-06-30']);
    proxy.setCutoffDate(new Date(Date.UTC(2024, 5, 29, 12)));
    expect(proxy.cutoff?.iso).toBe('2024-06-29T12:00:00.000Z');
    expect(dates(await proxy.call('weather/forecast/daily', { city: 'Oslo' }))).toEqual(['2024-06-28', '2024-06-29']);
    proxy.setCutoffDate(null);
    expect(proxy.cutoff).toBeUndefined();
    expect(() => proxy.setCutoffDate('30/06/2024')).toThrow(/Cutoff date "30\/06\/2024" is not a date: write it as YYYY-MM-DD/);

    proxy.deploy();
    let error: unknown;
    try {
      proxy.setCutoffDate('2024-06-30');
    } catch (caught) {
      error = caught;
    }
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Cannot set the cutoff date "2024-06-30" in deploy mode: a live runtime applies no cutoff. Call develop("2024-06-30") to backtest again.',
    );
    // Removing a cutoff that is not there is harmless.
    expect(() => proxy.setCutoffDate(null)).not.toThrow();
  });

  test('as upstream’s Proxy(deploy_mode=True): a cutoff given with deploy mode is not held', () => {
    const proxy = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-06-30', deployMode: true, cache: false });
    expect(proxy.cutoff).toBeUndefined();
    expect(proxy.toJSON()).toMatchObject({ cutoffDate: null, deployMode: true });
    // A date that is not one is still refused.
    expect(() => new ProxyRuntime({ activate: [weather], cutoffDate: 'soon', deployMode: true })).toThrow(
      /Cutoff date "soon" is not a date/,
    );
  });
});

describe('a runtime that follows another (modeFrom: an agent interpreter follows its system)', () => {
  test("the system's deploy() / develop() / setCutoffDate() reach it from the next call; its own switch detaches it", async () => {
    const system = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-06-30', cache: false });
    const agent = new ProxyRuntime({ activate: [weather], modeFrom: system, cutoffDate: '2020-01-01', cache: false });
    expect(agent.modeFrom).toBe(system);
    expect(dates(await agent.call('weather/forecast/daily', { city: 'Oslo' }))).toEqual(['2024-06-28', '2024-06-29']);
    system.deploy();
    expect(agent.deployMode).toBe(true);
    expect(dates(await agent.call('weather/forecast/daily', { city: 'Oslo' }))).toHaveLength(5);
    expect(agent.toJSON()).toMatchObject({ cutoffDate: null, deployMode: true });
    system.develop('2024-06-29');
    expect(dates(await agent.call('weather/forecast/daily', { city: 'Oslo' }))).toEqual(['2024-06-28']);
    expect(agent.retrieveApiDocs(['weather/forecast/daily'])).toContain('Entries dated on or after 2024-06-29');
    // A per-call cutoff still only narrows what the followed runtime allows.
    expect(dates(await agent.call('weather/forecast/daily', { city: 'Oslo' }, { cutoffDate: '2024-07-01' }))).toEqual(['2024-06-28']);

    // Its own switch: its own mode from now on, whatever the system does next.
    agent.setCutoffDate('2024-06-30');
    expect(agent.modeFrom).toBeUndefined();
    system.deploy();
    expect(agent.deployMode).toBe(false);
    expect(dates(await agent.call('weather/forecast/daily', { city: 'Oslo' }))).toEqual(['2024-06-28', '2024-06-29']);
  });
});

describe('the response cache', () => {
  // Upstream BaseProxy.__init__(use_cache=True) and utils.cache_call: responses kept under $TMP_DIR/.cache.
  test('as upstream’s BaseProxy(use_cache=True): on by default, in $LLLM_CACHE_DIR/proxies, so a repeated call sends nothing', async () => {
    const root = process.env.LLLM_CACHE_DIR as string;
    expect(root).toMatch(/lllm-proxy-test-cache-/);
    expect(defaultProxyCacheDir()).toBe(join(root, 'proxies'));
    expect(defaultProxyCacheDir({})).toMatch(/\.lllm[\\/]cache[\\/]proxies$/);
    const proxy = new ProxyRuntime({ activate: [weather] });
    expect(proxy.cache?.dir).toBe(join(root, 'proxies'));
    expect(proxy.useCache).toBe(true);
    const before = forecasts('Lillehammer');
    const first = await proxy.call('weather/forecast/daily', { city: 'Lillehammer' });
    expect(await proxy.call('weather/forecast/daily', { city: 'Lillehammer' })).toEqual(first);
    expect(forecasts('Lillehammer')).toBe(before + 1);
    expect(readdirSync(join(root, 'proxies', 'weather')).length).toBeGreaterThan(0);
    expect(new ProxyRuntime({ activate: [weather], cache: false }).cache).toBeUndefined();
  });

  // Upstream utils.cache_call: "always save the response, but read from cache if cache is True".
  test('as upstream’s use_cache=False: every call goes to the API, and its response is still stored', async () => {
    const dir = temporaryDir();
    const live = new ProxyRuntime({ activate: [weather], cache: { dir }, useCache: false });
    const before = forecasts('Narvik');
    await live.call('weather/forecast/daily', { city: 'Narvik' });
    await live.call('weather/forecast/daily', { city: 'Narvik' });
    expect(forecasts('Narvik')).toBe(before + 2);
    expect(live.toJSON()).toMatchObject({ useCache: false });
    // What it stored serves a runtime that reads the cache.
    registerProxy(weather);
    try {
      const reading = ProxyRuntime.fromJSON({ ...live.toJSON(), useCache: true });
      await reading.call('weather/forecast/daily', { city: 'Narvik' });
      expect(forecasts('Narvik')).toBe(before + 2);
      expect(ProxyRuntime.fromJSON(live.toJSON()).useCache).toBe(false);
    } finally {
      unregisterProxy('weather');
    }
  });

  // Upstream utils.create_cache_key(url, params): the request URL is part of the key.
  test('as upstream’s cache key (the request URL): the same endpoint of another server never shares an entry', async () => {
    const dir = temporaryDir();
    await using other = await startTestApi();
    const here = new ProxyRuntime({ activate: [weather], cache: { dir } });
    const there = new ProxyRuntime({ activate: [weatherAt(other.url)], cache: { dir } });
    await here.call('weather/forecast/daily', { city: 'Tromsø' });
    await there.call('weather/forecast/daily', { city: 'Tromsø' });
    expect(other.requests.map((request) => request.path)).toEqual(['/forecast/Troms%C3%B8']);
  });

  test('a handler endpoint (code, an MCP tool that may act) is never cached', async () => {
    let runs = 0;
    const counter = defineProxy({
      path: 'counter',
      name: 'Counter',
      description: 'Counts.',
      endpoints: [{ category: 'count', endpoint: 'next', name: 'Next', description: 'The next number.', handler: () => ({ n: ++runs }) }],
    });
    const proxy = new ProxyRuntime({ activate: [counter], cache: { dir: temporaryDir() } });
    expect(await proxy.call('counter/count/next')).toEqual({ n: 1 });
    expect(await proxy.call('counter/count/next')).toEqual({ n: 2 });
  });

  test('a cache folder that cannot be written does not fail the call: the answer comes back and the runtime warns once', async () => {
    const blocker = join(temporaryDir(), 'not-a-folder');
    writeFileSync(blocker, 'a file where the cache folder would go');
    const warnings: string[] = [];
    const proxy = new ProxyRuntime({ activate: [weather], cache: { dir: blocker }, onWarning: (message) => warnings.push(message) });
    expect(dates(await proxy.call('weather/forecast/daily', { city: 'Oslo', days: 2 }))).toEqual(['2024-06-28', '2024-06-29']);
    await proxy.call('weather/forecast/daily', { city: 'Oslo', days: 1 });
    expect(warnings).toEqual([
      `The proxy response cache at ${blocker} cannot be written (ENOTDIR); calls go on without it. Set LLLM_CACHE_DIR to a writable folder, or pass cache: false.`,
    ]);
    expect(proxy.warnings).toEqual(warnings);
  });

  test('deploy() stops reading and writing the cache; develop() uses it again', async () => {
    const dir = temporaryDir();
    const proxy = new ProxyRuntime({ activate: [weather], cache: { dir } });
    const before = forecasts('Hamar');
    proxy.deploy();
    await proxy.call('weather/forecast/daily', { city: 'Hamar' });
    expect(existsSync(join(dir, 'weather'))).toBe(false);
    proxy.develop();
    await proxy.call('weather/forecast/daily', { city: 'Hamar' });
    await proxy.call('weather/forecast/daily', { city: 'Hamar' });
    expect(forecasts('Hamar')).toBe(before + 2);
    expect(readdirSync(join(dir, 'weather'))).toHaveLength(1);
  });
});
