// Every FMP endpoint upstream's example declares (data/fmp-endpoints.json), through the real
// ProxyRuntime against a local FMP that checks the key, knows exactly those paths and answers with
// dated rows in FMP's list shape.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, ProxyRuntime } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fmpProxy } from '../proxies/fmp.js';

const FMP_KEY = 'test-key-fmp-catalog-77';
const catalog = JSON.parse(readFileSync(new URL('../data/fmp-endpoints.json', import.meta.url), 'utf8')) as {
  endpoints: { category: string; endpoint: string; parameters: Record<string, { required: boolean; example: unknown }> }[];
};
const knownPaths = new Set(catalog.endpoints.map((entry) => `/stable${entry.endpoint}`));
const requests: { path: string; query: URLSearchParams }[] = [];
let server: Server;
let baseUrl = '';

// Two rows, one before and one after 2024-01-01, carrying every date field a family is cut by.
const ROWS = [
  { symbol: 'AAPL', date: '2023-12-29', filingDate: '2023-11-03', publishedDate: '2023-12-29 16:00:00', close: 192.53 },
  { symbol: 'AAPL', date: '2024-01-02', filingDate: '2024-02-02', publishedDate: '2024-01-02 16:00:00', close: 185.64 },
];
const at = (date: string, time: string) => ({ ...ROWS[0], date: `${date}${time}` });

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: url.searchParams });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (url.searchParams.get('apikey') !== FMP_KEY)
      return send(401, { 'Error Message': 'Invalid API KEY. Feel free to create a Free API Key.' });
    if (!knownPaths.has(url.pathname)) return send(404, { 'Error Message': 'Not found' });
    const intraday = url.pathname.includes('/historical-chart/') || url.pathname.includes('/technical-indicators/');
    return send(200, intraday ? [at('2023-12-29', ' 15:59:00'), at('2024-01-02', ' 09:30:00')] : ROWS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stable`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const runtime = (cutoffDate?: string, key = FMP_KEY) =>
  new ProxyRuntime({ activate: [fmpProxy({ baseUrl })], env: { FMP_API_KEY: key }, ...(cutoffDate ? { cutoffDate } : {}), cache: false });

describe('FMP catalog', () => {
  it('holds every endpoint upstream declares (135), in upstream’s 23 categories', () => {
    expect(catalog.endpoints).toHaveLength(135);
    expect(new Set(catalog.endpoints.map((entry) => entry.category)).size).toBe(23);
    expect(fmpProxy({ baseUrl: 'http://127.0.0.1:1/stable' }).endpoints).toHaveLength(138);
  });

  it('autoTest passes for each with its examples, each request on its documented path with the key', async () => {
    const before = requests.length;
    const categories = [...new Set(catalog.endpoints.map((entry) => entry.category))].map(
      (category) =>
        `fmp/${category
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, '-')
          .replace(/^-|-$/g, '')}`,
    );
    const report = await runtime().autoTest({ paths: categories });
    expect(report.results.filter((result) => result.status !== 'passed')).toEqual([]);
    expect(report.passed).toBe(135);
    const sent = requests.slice(before);
    expect(sent).toHaveLength(135);
    expect(new Set(sent.map((request) => request.path))).toEqual(knownPaths);
    expect(sent.every((request) => request.query.get('apikey') === FMP_KEY)).toBe(true);
  });

  it('the cutoff withholds later rows for prices, intraday bars, indicators, news and statements', async () => {
    const proxy = runtime('2023-12-31');
    const paths = proxy.endpointDirectory();
    const pick = (fragment: string) => {
      const found = paths
        .split('\n')
        .map((line) => line.trim().split(/\s+/)[0] ?? '')
        .find((path) => path.includes(fragment));
      if (!found) throw new Error(`no endpoint containing ${fragment}`);
      return found;
    };
    for (const fragment of [
      'historical-price-eod-full',
      'historical-chart-5min',
      'technical-indicators-sma',
      'news-stock',
      'balance-sheet-statement',
    ]) {
      const path = pick(fragment);
      const endpoint = catalog.endpoints.find((entry) =>
        path.endsWith(
          entry.endpoint
            .slice(1)
            .replace(/[^a-z0-9]+/gi, '-')
            .toLowerCase(),
        ),
      );
      const params = Object.fromEntries(Object.entries(endpoint?.parameters ?? {}).map(([name, spec]) => [name, spec.example]));
      const rows = (await proxy.call(path, params)) as unknown[];
      expect(rows, path).toHaveLength(1);
    }
  });

  it('checks parameters before sending, and a wrong key is FMP’s 401 naming FMP_API_KEY', async () => {
    const before = requests.length;
    const missing = await runtime()
      .call('fmp/technical-indicators/technical-indicators-sma', { symbol: 'AAPL', timeframe: '1day' })
      .catch((error: unknown) => error);
    expect(ProxyError.isInstance(missing) && missing.kind).toBe('validation');
    const badDate = await runtime()
      .call('fmp/chart/end-of-day/historical-price-eod-full', { symbol: 'AAPL', from: '01/01/2023' })
      .catch((error: unknown) => error);
    expect(ProxyError.isInstance(badDate) && badDate.kind).toBe('validation');
    expect(requests.length).toBe(before);
    const rejected = await runtime(undefined, 'wrong-fmp-key-000000')
      .call('fmp/search/search-symbol', { query: 'AAPL' })
      .catch((error: unknown) => error);
    expect(ProxyError.isInstance(rejected) && rejected.statusCode).toBe(401);
    expect(String((rejected as Error).message)).toContain('FMP_API_KEY');
    expect(String((rejected as Error).message)).not.toContain('wrong-fmp-key-000000');
  });
});
