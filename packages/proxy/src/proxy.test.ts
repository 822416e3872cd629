import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, ConfigError, ConsoleStream, NotFoundError } from '@lllm/core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { applyCutoff, parseCutoff, parseDateFormat, removeKeyPath } from './cutoff.js';
import { defineProxy, endpointKey, type ProxyDefinition } from './define.js';
import { ProxyError } from './errors.js';
import { getProxy, listProxies, registerProxy, unregisterProxy } from './registry.js';
import { ProxyRuntime } from './runtime.js';
import { freePort, startTestApi, type TestApi } from './test-api.js';

const KEY = 'wx-secret-key-7f3a9c1e55d2';
let api: TestApi;
let weather: ProxyDefinition;
let news: ProxyDefinition;
let markets: ProxyDefinition;
const env = { WEATHER_KEY: KEY, MARKET_TOKEN: 'mk-token-0123456789abcdef' };
const temporary: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  weather = defineProxy({
    path: 'weather',
    name: 'Weather API',
    description: 'Forecasts for cities. Daily resolution.',
    baseUrl: `${api.url}/`,
    apiKey: { env: 'WEATHER_KEY', in: 'query', name: 'appid' },
    timeoutMs: 500,
    endpoints: [
      {
        category: 'forecast',
        subCategory: 'daily',
        endpoint: '/forecast/{city}',
        key: 'daily',
        name: 'Daily forecast',
        description: 'Daily temperatures for a city. Up to five days.',
        parameters: z.object({
          city: z.string().describe('City name'),
          days: z.number().int().min(1).max(5).optional().describe('How many days'),
          units: z.enum(['metric', 'imperial']).optional(),
        }),
        examples: { city: 'Oslo', days: 2, units: 'metric' },
        exampleResponse: { city: 'Oslo', list: [{ date: '2024-06-28', celsius: 19 }] },
        removeKeys: ['debug'],
        dtCutoff: { key: 'list/date', format: '%Y-%m-%d' },
      },
      {
        category: 'tools',
        endpoint: '/echo',
        name: 'Echo',
        description: 'Echoes the JSON body.',
        method: 'POST',
        parameters: z.object({ message: z.string(), tags: z.array(z.string()).optional() }),
        examples: { message: 'hi', tags: ['a'] },
        transform: (response) => (response as { received: unknown }).received,
      },
      { category: 'tools', endpoint: '/slow', name: 'Slow', description: 'Answers after three seconds.' },
      { category: 'tools', endpoint: '/status/500', key: 'fail', name: 'Failing', description: 'Always 500.' },
      { category: 'tools', endpoint: '/api-error', name: 'API error', description: 'A 200 with an error body.' },
      { category: 'tools', endpoint: '/broken-json', name: 'Broken', description: 'Half a JSON body.' },
      { category: 'tools', endpoint: '/text', name: 'Text', description: 'Plain text.' },
      { category: 'tools', endpoint: '/echo-key', name: 'Echo key', description: 'Echoes the key it was sent.' },
    ],
  });
  news = defineProxy({
    path: 'news',
    name: 'News',
    description: 'Headlines by section.',
    baseUrl: api.url,
    endpoints: [
      {
        category: 'headlines',
        endpoint: '/news',
        name: 'Headlines',
        description: 'Sections of headlines.',
        parameters: z.object({ topic: z.string().optional() }),
        examples: { topic: 'all' },
        removeKeys: ['meta', 'data/sections/items/raw'],
        dtCutoff: { key: 'data/sections/items/published', format: '%d/%m/%Y %H:%M' },
      },
    ],
  });
  markets = defineProxy({
    path: 'markets',
    name: 'Markets',
    description: 'Quotes.',
    baseUrl: api.url,
    apiKey: { env: 'MARKET_TOKEN', in: 'header', name: 'Authorization', prefix: 'Bearer ' },
    endpoints: [
      {
        category: 'quotes',
        endpoint: '/quote/{symbol}',
        name: 'Quote',
        description: 'The latest quote.',
        parameters: z.object({ symbol: z.string() }),
        examples: { symbol: 'ACME' },
        dtCutoff: { key: 'asOf', format: 'unix' },
      },
    ],
  });
});
afterAll(async () => {
  await api.close();
  for (const folder of temporary) rmSync(folder, { recursive: true, force: true });
});
afterEach(() => {
  for (const path of listProxies()) unregisterProxy(path);
});

const runtime = (options: ConstructorParameters<typeof ProxyRuntime>[0] = {}) =>
  new ProxyRuntime({ activate: [weather, news, markets], env, ...options });

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  try {
    await promise;
  } catch (error) {
    if (ProxyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ProxyError');
}

describe('defining proxies', () => {
  test('endpoint keys: category[/subCategory]/endpoint in lower case with dashes, -post for POST', () => {
    expect(weather.endpoints.map((endpoint) => endpoint.fullPath)).toEqual([
      'weather/forecast/daily/daily',
      'weather/tools/echo-post',
      'weather/tools/slow',
      'weather/tools/fail',
      'weather/tools/api-error',
      'weather/tools/broken-json',
      'weather/tools/text',
      'weather/tools/echo-key',
    ]);
    expect(endpointKey({ category: 'Stock Data', endpoint: '/v3/Quote/{symbol}' })).toBe('stock-data/v3-quote-symbol');
    expect(weather.endpoint('forecast/daily/daily')?.locations).toEqual({ city: 'path', days: 'query', units: 'query' });
    expect(weather.endpoint('tools/echo-post')?.locations).toEqual({ message: 'body', tags: 'body' });
  });

  test('every problem in a declaration is reported at once', () => {
    let error: unknown;
    try {
      defineProxy({
        path: 'Bad Path',
        name: 'x',
        description: 'x',
        baseUrl: 'ftp://nowhere',
        endpoints: [
          { category: 'a', endpoint: '/x', name: 'X', description: 'x' },
          { category: 'a', endpoint: '/X', name: 'X again', description: 'x' },
          {
            category: 'b',
            endpoint: '/item/{id}',
            name: 'Item',
            description: 'x',
            parameters: z.object({ other: z.string() }),
            dtCutoff: { key: 'date', format: '%Q' },
          },
          { category: '', endpoint: '/y', name: 'Y', description: 'y' },
        ],
      });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^path: "Bad Path" must be lower-case/m);
    expect(problems).toMatch(/^baseUrl: "ftp:\/\/nowhere" must be http\(s\)/m);
    expect(problems).toMatch(/key "a\/x" is already used by "X"/);
    expect(problems).toMatch(/path parameter \{id\} is not among the parameters \(other\)/);
    expect(problems).toMatch(/examples: give an example value for "other"/);
    expect(problems).toMatch(/dtCutoff.format: .*%Q/);
    expect(problems).toMatch(/endpoints\[3\]\.category: is required/);
  });

  test('the registry: duplicates are errors naming both sources, unknown names get suggestions', () => {
    registerProxy(weather, { source: 'a.ts' });
    registerProxy(weather, { source: 'a.ts' });
    const twin = defineProxy({ path: 'weather', name: 'W2', description: 'x', baseUrl: api.url, endpoints: [] });
    expect(() => registerProxy(twin, { source: 'b.ts' })).toThrow(/"weather" is defined twice \(first in a\.ts, again in b\.ts\)/);
    expect(() => getProxy('wether')).toThrow(NotFoundError);
    expect(() => getProxy('wether')).toThrow(/Did you mean "weather"/);
    expect(listProxies()).toEqual(['weather']);
  });
});

describe('activation', () => {
  test('unknown proxies and proxies without their key are skipped with a warning naming them', async () => {
    registerProxy(weather);
    registerProxy(markets);
    const warnings: string[] = [];
    const proxy = new ProxyRuntime({
      activate: ['weather', 'markets', 'wheather'],
      env: { WEATHER_KEY: KEY },
      onWarning: (message) => warnings.push(message),
    });
    expect(proxy.activated()).toEqual(['weather']);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/Proxy "markets" is skipped: its API key variable MARKET_TOKEN is not set/);
    expect(warnings[1]).toMatch(/Proxy "wheather" is skipped: .*Did you mean "weather"/);
    const notActive = await failure(proxy.call('markets/quotes/quote-symbol', { symbol: 'X' }));
    expect(notActive.kind).toBe('not_activated');
    expect(notActive.message).toMatch(/MARKET_TOKEN is not set/);
  });

  test('default activation is every registered proxy; toJSON/fromJSON round-trips the state', () => {
    registerProxy(weather);
    registerProxy(news);
    const proxy = new ProxyRuntime({ env, cutoffDate: '2024-06-30', cache: { dir: '/tmp/lllm-cache-x', ttlMs: 1000 } });
    expect(proxy.activated()).toEqual(['news', 'weather']);
    const json = JSON.parse(JSON.stringify(proxy));
    expect(json).toEqual({
      activated: ['news', 'weather'],
      cutoffDate: '2024-06-30',
      deployMode: false,
      cache: { dir: '/tmp/lllm-cache-x', ttlMs: 1000 },
      useCache: true,
    });
    expect(ProxyRuntime.fromJSON(json, { env }).toJSON()).toEqual(json);
  });
});

describe('calls', () => {
  test('path and query parameters, the key in the query, keys removed, the cutoff applied (strictly before it, as upstream)', async () => {
    const proxy = runtime({ cutoffDate: '2024-06-30' });
    const before = api.requests.length;
    const result = await proxy.call('weather/forecast/daily/daily', { city: 'São Paulo', days: 5 });
    const sent = api.requests[before];
    expect(sent?.path).toBe('/forecast/S%C3%A3o%20Paulo');
    expect(sent?.query).toEqual({ days: ['5'], appid: [KEY] });
    expect(result).toEqual({
      city: 'São Paulo',
      units: 'metric',
      list: [
        { date: '2024-06-28', celsius: 19 },
        { date: '2024-06-29', celsius: 21 },
      ],
    });
  });

  test('POST sends a JSON body; a header key carries its prefix; the transform runs last', async () => {
    const proxy = runtime();
    expect(await proxy.call('weather/tools/echo-post', { message: 'hello', tags: ['x', 'y'] })).toEqual({
      message: 'hello',
      tags: ['x', 'y'],
    });
    const before = api.requests.length;
    await proxy.call('markets/quotes/quote-symbol', { symbol: 'ACME' });
    expect(api.requests[before]?.headers.authorization).toBe('Bearer mk-token-0123456789abcdef');
  });

  test('bad parameters name the parameter, the problem and what is expected', async () => {
    const proxy = runtime();
    const wrongType = await failure(proxy.call('weather/forecast/daily/daily', { city: 'Oslo', days: 'two' }));
    expect(wrongType.kind).toBe('validation');
    expect(wrongType.message).toMatch(/^Cannot call weather\/forecast\/daily\/daily: parameter "days": .*number/);
    expect(wrongType.message).toContain('Expected: city (string, required), days (integer), units ("metric" | "imperial")');
    const unknown = await failure(proxy.call('weather/forecast/daily/daily', { city: 'Oslo', day: 2 }));
    expect(unknown.message).toContain('"day" is not a parameter of weather/forecast/daily/daily');
    const missing = await failure(proxy.call('weather/forecast/daily/daily', {}));
    expect(missing.message).toMatch(/parameter "city"/);
    expect(api.requests.some((request) => request.query.day)).toBe(false);
  });

  test('unknown paths get the closest endpoints', async () => {
    const error = await failure(runtime().call('weather/forecast/dialy/daily', { city: 'Oslo' }));
    expect(error.kind).toBe('not_found');
    expect(error.suggestions[0]).toBe('weather/forecast/daily/daily');
    expect(error.message).toMatch(/Did you mean "weather\/forecast\/daily\/daily"/);
  });

  test('HTTP errors, API error bodies, broken JSON, timeouts and refused connections are typed; no key in any message', async () => {
    const proxy = runtime();
    const http = await failure(proxy.call('weather/tools/fail'));
    expect(http).toMatchObject({ kind: 'http', statusCode: 500, isRetryable: true });
    expect(http.message).toMatch(
      /failed with HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/status\/500\?appid=\[REDACTED\]: status 500 as asked/,
    );
    const apiError = await failure(proxy.call('weather/tools/api-error'));
    expect(apiError).toMatchObject({ kind: 'api', isRetryable: false });
    expect(apiError.message).toContain('Invalid API call: unknown symbol XYZ');
    const broken = await failure(proxy.call('weather/tools/broken-json'));
    expect(broken.kind).toBe('response');
    expect(await proxy.call('weather/tools/text')).toBe('plain text answer');
    const started = Date.now();
    const timeout = await failure(proxy.call('weather/tools/slow'));
    expect(timeout).toMatchObject({ kind: 'timeout', isRetryable: true });
    expect(timeout.message).toMatch(/timed out after 500 ms/);
    expect(Date.now() - started).toBeLessThan(2_500);
    const port = await freePort();
    const dead = defineProxy({
      path: 'dead',
      name: 'Dead',
      description: 'x',
      baseUrl: `http://127.0.0.1:${port}`,
      endpoints: [{ category: 'a', endpoint: '/b', name: 'B', description: 'b' }],
    });
    const refused = await failure(new ProxyRuntime({ activate: [dead] }).call('dead/a/b'));
    expect(refused.kind).toBe('connection');
    expect(refused.message).toBe(
      `dead/a/b could not reach http://127.0.0.1:${port}/b: ECONNREFUSED. Check the proxy's baseUrl and the network.`,
    );
    for (const error of [http, apiError, broken, timeout]) expect(error.message).not.toContain(KEY);
  });

  test('aborting rejects with an AbortError and stops the request', async () => {
    const controller = new AbortController();
    const pending = runtime().call('weather/tools/slow', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow(AbortError);
    controller.abort();
    await expect(runtime().call('weather/tools/slow', {}, { signal: controller.signal })).rejects.toThrow(AbortError);
  });

  test('handler endpoints run in code, with the same validation and post-processing', async () => {
    const local = defineProxy({
      path: 'local',
      name: 'Local',
      description: 'In-process.',
      endpoints: [
        {
          category: 'math',
          endpoint: 'add',
          name: 'Add',
          description: 'Adds.',
          parameters: z.object({ a: z.number(), b: z.number() }),
          handler: ({ a, b }) => ({ sum: (a as number) + (b as number), secret: 'drop me' }),
          removeKeys: ['secret'],
        },
        {
          category: 'math',
          endpoint: 'explode',
          name: 'Explode',
          description: 'Throws.',
          handler: () => {
            throw new Error('kaboom');
          },
        },
      ],
    });
    const proxy = new ProxyRuntime({ activate: [local] });
    expect(await proxy.call('local/math/add', { a: 2, b: 3 })).toEqual({ sum: 5 });
    const error = await failure(proxy.call('local/math/explode'));
    expect(error).toMatchObject({ kind: 'api', message: 'local/math/explode failed: kaboom' });
  });
});

describe('cutoff dates', () => {
  // Upstream lllm/proxies.py filter_by_dt_cutoff: `date_obj < cutoff_date`, the cutoff read as midnight of its day.
  test('as upstream’s filter_by_dt_cutoff, nested lists keep only entries strictly before the cutoff day (23:59 on it is withheld); undated entries are withheld; deploy mode shows everything', async () => {
    const result = (await runtime({ cutoffDate: '2024-06-30' }).call('news/headlines/news', {})) as {
      data: { sections: { items: unknown[] }[] };
    };
    expect(result).toEqual({
      data: {
        sections: [
          { name: 'markets', items: [{ title: 'Old news', published: '29/06/2024 08:00' }] },
          { name: 'tech', items: [] },
        ],
      },
    });
    const live = (await runtime({ cutoffDate: '2024-06-30', deployMode: true }).call('news/headlines/news', {})) as typeof result;
    expect(live.data.sections[0]?.items).toHaveLength(3);
    const dayAfter = (await runtime({ cutoffDate: '2024-07-01' }).call('news/headlines/news', {})) as typeof result;
    expect(dayAfter.data.sections[1]?.items).toEqual([{ title: 'Chips', published: '30/06/2024 23:59' }]);
  });

  // Upstream filter_by_dt_cutoff: a single dict not before the cutoff becomes {'error': 'No data found at time …'}.
  test('as upstream’s filter_by_dt_cutoff, a single object on or after the cutoff becomes an explanatory error object', async () => {
    const proxy = runtime({ cutoffDate: '2024-06-30' });
    expect(await proxy.call('markets/quotes/quote-symbol', { symbol: 'ACME' })).toMatchObject({ symbol: 'ACME', asOf: 1_719_000_000 });
    expect(await proxy.call('markets/quotes/quote-symbol', { symbol: 'LATE' })).toEqual({
      error: 'cutoff',
      message:
        'markets/quotes/quote-symbol returned data dated 1720000000, on or after the cutoff date 2024-06-30; it is withheld in this run. Ask for an earlier period.',
      cutoffDate: '2024-06-30',
      date: 1_720_000_000,
    });
  });

  test('a per-call cutoff can only narrow the runtime cutoff', async () => {
    const proxy = runtime({ cutoffDate: '2024-06-29' });
    const later = (await proxy.call('weather/forecast/daily/daily', { city: 'Oslo' }, { cutoffDate: '2024-07-02' })) as { list: unknown[] };
    expect(later.list).toEqual([{ date: '2024-06-28', celsius: 19 }]);
    const earlier = (await proxy.call('weather/forecast/daily/daily', { city: 'Oslo' }, { cutoffDate: '2024-06-28' })) as {
      list: unknown[];
    };
    expect(earlier.list).toEqual([]);
  });

  test('formats: iso, unix, unix_ms, strftime; cutoff parsing', () => {
    expect(parseDateFormat('iso')('2024-06-30T10:00:00+02:00')).toBe(Date.UTC(2024, 5, 30, 8));
    expect(parseDateFormat('iso')('2024-06-30')).toBe(Date.UTC(2024, 5, 30));
    expect(parseDateFormat('unix')('1719000000')).toBe(1_719_000_000_000);
    expect(parseDateFormat('unix_ms')(1_719_000_000_123)).toBe(1_719_000_000_123);
    expect(parseDateFormat('%Y%m%d')('20240630')).toBe(Date.UTC(2024, 5, 30));
    expect(parseDateFormat('%d.%m.%y')('30.06.24')).toBe(Date.UTC(2024, 5, 30));
    expect(parseDateFormat('%Y-%m-%d')('2024-02-31')).toBeUndefined();
    expect(() => parseDateFormat('dd/mm/yyyy')).toThrow(/use "iso", "unix", "unix_ms" or a strftime pattern/);
    // As upstream (strptime('%Y-%m-%d') → midnight; keep `date < cutoff`): the cutoff day is the first withheld instant.
    expect(parseCutoff('2024-06-30')).toEqual({ iso: '2024-06-30', beforeMs: Date.UTC(2024, 5, 30) });
    expect(parseCutoff('2024-06-30T12:00:00Z')).toEqual({ iso: '2024-06-30T12:00:00.000Z', beforeMs: Date.UTC(2024, 5, 30, 12) });
    expect(() => parseCutoff('30/06/2024')).toThrow(/write it as YYYY-MM-DD/);
    expect(() => parseCutoff('2024-02-30')).toThrow(/not a date/);
    expect(applyCutoff([{ d: 1 }, { d: 3 }, { d: 5 }], { key: 'd', format: 'unix' }, { iso: 'x', beforeMs: 3000 }, 'p')).toEqual({
      value: [{ d: 1 }],
      withheld: 2,
    });
    expect(removeKeyPath({ a: [{ b: 1, c: 2 }, { b: 3 }] }, 'a/b')).toEqual({ a: [{ c: 2 }, {}] });
  });
});

describe('the response cache', () => {
  test('a hit sends nothing; the key ignores parameter order and the API key; TTL and deploy mode bypass it; no secret on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lllm-proxy-cache-'));
    temporary.push(dir);
    const proxy = runtime({ cache: { dir, ttlMs: 60_000 } });
    const count = () => api.requests.filter((request) => request.path === '/echo-key' || request.path.startsWith('/forecast/')).length;
    const start = count();
    const first = await proxy.call('weather/forecast/daily/daily', { city: 'Oslo', days: 2, units: 'metric' });
    const second = await proxy.call('weather/forecast/daily/daily', { units: 'metric', days: 2, city: 'Oslo' });
    expect(second).toEqual(first);
    expect(count()).toBe(start + 1);
    // The same call with another key hits the same entry: the key is not part of the cache key.
    const otherKey = new ProxyRuntime({ activate: [weather], env: { WEATHER_KEY: 'another-key-99999999' }, cache: { dir } });
    await otherKey.call('weather/forecast/daily/daily', { city: 'Oslo', days: 2, units: 'metric' });
    expect(count()).toBe(start + 1);
    // An API that echoes the key: what is stored is redacted.
    expect(await proxy.call('weather/tools/echo-key')).toEqual({ youSent: '[REDACTED]' });
    const files = readdirSync(join(dir, 'weather'));
    expect(files.length).toBe(2);
    for (const file of files) expect(readFileSync(join(dir, 'weather', file), 'utf8')).not.toContain(KEY);
    // Expired entries and deploy mode go to the API.
    await new ProxyRuntime({ activate: [weather], env, cache: { dir, ttlMs: 0 } }).call('weather/forecast/daily/daily', {
      city: 'Oslo',
      days: 2,
      units: 'metric',
    });
    await runtime({ cache: { dir }, deployMode: true }).call('weather/forecast/daily/daily', { city: 'Oslo', days: 2, units: 'metric' });
    expect(count()).toBe(start + 4);
  });
});

describe('docs for prompts', () => {
  test('catalog, directory, endpoint directory, full docs and path checks', () => {
    const proxy = runtime({ cutoffDate: '2024-06-30' });
    expect(proxy.apiCatalog()).toContain(
      '## Weather API (`weather`)\nForecasts for cities. Daily resolution.\nCategories: forecast (1), tools (7)',
    );
    expect(proxy.apiDirectory(['weather'])).toContain(
      '- `weather/forecast/daily/daily` [daily]: Daily forecast. Daily temperatures for a city.',
    );
    expect(proxy.apiDirectory(['weather'])).not.toContain('news/');
    expect(proxy.endpointDirectory(['markets'])).toBe('markets/quotes/quote-symbol  GET   Quote');
    const docs = proxy.retrieveApiDocs(['weather/forecast/daily/daily', 'news', 'weather/forcast']);
    expect(docs).toContain('- `city` (string, required, in path): City name. Example: "Oslo".');
    expect(docs).toContain('- `units` ("metric" | "imperial", optional, in query): Example: "metric".');
    expect(docs).toContain('Example call: CALL_API("weather/forecast/daily/daily", {"city":"Oslo","days":2,"units":"metric"})');
    expect(docs).toContain('Entries dated on or after 2024-06-30 (by `list/date`) are withheld.');
    expect(docs).toContain('"celsius": 19');
    expect(docs).toContain('## news/headlines/news');
    expect(docs).toMatch(/## weather\/forcast\nNo such endpoint\. Did you mean: weather\/forecast\/daily\/daily/);
    expect(proxy.checkPaths(['news/headlines/news', 'news/headline/news'])).toEqual({
      valid: ['news/headlines/news'],
      invalid: [{ path: 'news/headline/news', suggestions: ['news/headlines/news'] }],
    });
  });
});

describe('autoTest', () => {
  test('calls every endpoint with its examples, reports per category, shows progress', async () => {
    const stream = new ConsoleStream({ silent: true });
    const report = await runtime().autoTest({ stream });
    expect(report.byCategory).toEqual({
      'weather/forecast': { passed: 1, failed: 0, skipped: 0 },
      'weather/tools': { passed: 3, failed: 4, skipped: 0 },
      'news/headlines': { passed: 1, failed: 0, skipped: 0 },
      'markets/quotes': { passed: 1, failed: 0, skipped: 0 },
    });
    expect(report.results.find((result) => result.path === 'weather/tools/fail')?.error).toMatch(/HTTP 500/);
    const progress = stream.events.filter((event) => event.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ current: 10, total: 10 });
    const one = await runtime().autoTest({ paths: ['markets'] });
    expect(one.passed).toBe(1);
    await expect(runtime().autoTest({ paths: ['market'] })).rejects.toThrow(/nothing matches "market"/);
  });
});
