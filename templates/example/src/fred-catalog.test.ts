// FRED's category, tag and series-tag endpoints (the ones upstream's FRED proxy declares besides
// search, metadata and observations) against a local server that answers in the documented shapes
// and checks the key, through the real ProxyRuntime.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, ProxyRuntime } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fredProxy } from '../proxies/fred.js';

const FRED_KEY = 'fredtestkey0123456789abcdefghijk';
const TODAY = '2024-07-01';
const requests: { path: string; query: URLSearchParams }[] = [];
let server: Server;
let url = '';

const TAGS = [
  {
    name: 'usa',
    group_id: 'geo',
    notes: 'United States of America',
    created: '2012-02-27 10:18:19-06',
    popularity: 100,
    series_count: 544634,
  },
  {
    name: 'nsa',
    group_id: 'seas',
    notes: 'Not Seasonally Adjusted',
    created: '2012-02-27 10:18:19-06',
    popularity: 100,
    series_count: 690000,
  },
];
const SERIES = [
  {
    id: 'BOPGSTB',
    title: 'Trade Balance: Goods and Services',
    observation_start: '1992-01-01',
    frequency: 'Monthly',
    realtime_start: TODAY,
    realtime_end: TODAY,
    notes: 'long',
  },
  {
    id: 'NEWBAL',
    title: 'A balance first published in 2024',
    observation_start: '2024-03-01',
    frequency: 'Monthly',
    realtime_start: TODAY,
    realtime_end: TODAY,
    notes: '',
  },
];

function answer(path: string, query: URLSearchParams): { status: number; body: unknown } {
  if (query.get('api_key') !== FRED_KEY)
    return { status: 400, body: { error_code: 400, error_message: 'Bad Request.  The value for variable api_key is not registered.' } };
  if (query.get('file_type') !== 'json')
    return {
      status: 400,
      body: { error_code: 400, error_message: 'Bad Request.  Variable file_type is not one of the values: xml, json.' },
    };
  const tags = {
    realtime_start: TODAY,
    realtime_end: TODAY,
    order_by: 'series_count',
    sort_order: 'desc',
    count: TAGS.length,
    offset: 0,
    limit: 1000,
    tags: TAGS,
  };
  const seriess = {
    realtime_start: TODAY,
    realtime_end: TODAY,
    order_by: 'series_id',
    sort_order: 'asc',
    count: SERIES.length,
    offset: 0,
    limit: 1000,
    seriess: SERIES,
  };
  switch (path) {
    case '/fred/category':
      return { status: 200, body: { categories: [{ id: Number(query.get('category_id') ?? 0), name: 'Trade Balance', parent_id: 13 }] } };
    case '/fred/category/children':
      return {
        status: 200,
        body: {
          categories: [
            { id: 16, name: 'Exports', parent_id: 13 },
            { id: 17, name: 'Imports', parent_id: 13 },
          ],
        },
      };
    case '/fred/category/related':
      return { status: 200, body: { categories: [{ id: 149, name: 'Arkansas', parent_id: 27281 }] } };
    case '/fred/series/categories':
      return { status: 200, body: { categories: [{ id: 95, name: 'Monthly Rates', parent_id: 15 }] } };
    case '/fred/category/series':
    case '/fred/tags/series':
      return { status: 200, body: seriess };
    case '/fred/category/tags':
    case '/fred/category/related_tags':
    case '/fred/series/search/tags':
    case '/fred/series/search/related_tags':
    case '/fred/series/tags':
    case '/fred/tags':
    case '/fred/related_tags':
      return { status: 200, body: tags };
    default:
      return { status: 404, body: { error_code: 404, error_message: 'Not Found' } };
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const parsed = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: parsed.pathname, query: parsed.searchParams });
    const reply = answer(parsed.pathname, parsed.searchParams);
    response.writeHead(reply.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fred`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const runtime = (cutoffDate?: string) =>
  new ProxyRuntime({
    activate: [fredProxy({ baseUrl: url })],
    env: { FRED_API_KEY: FRED_KEY },
    ...(cutoffDate ? { cutoffDate } : {}),
    cache: false,
  });

describe('FRED catalog endpoints', () => {
  it('every endpoint upstream declares is here (16), under categories, series and tags', () => {
    const paths = runtime().endpointDirectory();
    for (const path of [
      'fred/categories/category',
      'fred/categories/children',
      'fred/categories/related',
      'fred/categories/series',
      'fred/categories/tags',
      'fred/categories/related-tags',
      'fred/series/info',
      'fred/series/categories',
      'fred/series/observations',
      'fred/series/search',
      'fred/series/search-tags',
      'fred/series/search-related-tags',
      'fred/series/tags',
      'fred/tags/tags',
      'fred/tags/related-tags',
      'fred/tags/series',
    ])
      expect(paths).toContain(path);
  });

  it('each calls its documented path with the key and file_type=json, and its own parameters', async () => {
    const proxy = runtime();
    const calls: [string, Record<string, unknown>, string][] = [
      ['fred/categories/category', { category_id: 125 }, '/fred/category'],
      ['fred/categories/children', { category_id: 13 }, '/fred/category/children'],
      ['fred/categories/related', { category_id: 32073 }, '/fred/category/related'],
      ['fred/categories/series', { category_id: 125, filter_variable: 'frequency', filter_value: 'Monthly' }, '/fred/category/series'],
      ['fred/categories/tags', { category_id: 125, tag_group_id: 'geo' }, '/fred/category/tags'],
      ['fred/categories/related-tags', { category_id: 125, tag_names: 'services;quarterly' }, '/fred/category/related_tags'],
      ['fred/series/categories', { series_id: 'EXJPUS' }, '/fred/series/categories'],
      ['fred/series/search-tags', { series_search_text: 'monetary service index' }, '/fred/series/search/tags'],
      [
        'fred/series/search-related-tags',
        { series_search_text: 'mortgage rate', tag_names: '30-year;frb' },
        '/fred/series/search/related_tags',
      ],
      ['fred/series/tags', { series_id: 'STLFSI' }, '/fred/series/tags'],
      ['fred/tags/tags', { search_text: 'gdp' }, '/fred/tags'],
      ['fred/tags/related-tags', { tag_names: 'monetary aggregates;weekly' }, '/fred/related_tags'],
      ['fred/tags/series', { tag_names: 'slovenia;food;oecd' }, '/fred/tags/series'],
    ];
    for (const [path, params, wirePath] of calls) {
      await proxy.call(path, params);
      const request = requests.at(-1);
      expect(request?.path, path).toBe(wirePath);
      expect(request?.query.get('api_key')).toBe(FRED_KEY);
      expect(request?.query.get('file_type')).toBe('json');
      for (const [name, value] of Object.entries(params)) expect(request?.query.get(name), `${path} ${name}`).toBe(String(value));
    }
  });

  it('tags drop the real-time period; series lists drop notes and withhold series that began after the cutoff', async () => {
    const tags = (await runtime().call('fred/tags/tags', {})) as Record<string, unknown> & { tags: { name: string }[] };
    expect(tags).not.toHaveProperty('realtime_start');
    expect(tags.tags.map((tag) => tag.name)).toEqual(['usa', 'nsa']);
    const series = (await runtime().call('fred/tags/series', { tag_names: 'usa' })) as { seriess: Record<string, unknown>[] };
    expect(series.seriess.map((entry) => entry.id)).toEqual(['BOPGSTB', 'NEWBAL']);
    expect(series.seriess[0]).not.toHaveProperty('notes');
    const backtest = (await runtime('2023-12-31').call('fred/categories/series', { category_id: 125 })) as { seriess: { id: string }[] };
    expect(backtest.seriess.map((entry) => entry.id)).toEqual(['BOPGSTB']);
  });

  it('autoTest passes for each of them with its own examples', async () => {
    const report = await runtime().autoTest({
      paths: [
        'fred/categories',
        'fred/tags',
        'fred/series/categories',
        'fred/series/search-tags',
        'fred/series/search-related-tags',
        'fred/series/tags',
      ],
    });
    expect(report.results.filter((result) => result.status !== 'passed')).toEqual([]);
    expect(report.passed).toBe(13);
  });

  it('a required tag list is checked before any request', async () => {
    const before = requests.length;
    const error = await runtime()
      .call('fred/tags/related-tags', {})
      .catch((caught: unknown) => caught);
    expect(ProxyError.isInstance(error) && error.kind).toBe('validation');
    expect(requests.length).toBe(before);
  });
});
