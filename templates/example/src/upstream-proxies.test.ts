// The proxies the Python LLLM's example ships (Wolfram|Alpha, Main Street Data, Kalshi prediction
// markets, the internal knowledge base) against local servers that answer in the shapes the APIs
// document and check the key, through the real ProxyRuntime: no test reaches the internet.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyError, ProxyRuntime, registerProxiesFromModule, unregisterProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as exaModule from '../proxies/exa.js';
import { exaProxy } from '../proxies/exa.js';
import * as gtModule from '../proxies/google-trends.js';
import { googleTrendsProxy } from '../proxies/google-trends.js';
import * as kalshiModule from '../proxies/kalshi.js';
import { kalshiProxy } from '../proxies/kalshi.js';
import * as kbModule from '../proxies/knowledge-base.js';
import { knowledgeBaseProxy } from '../proxies/knowledge-base.js';
import * as msdModule from '../proxies/msd.js';
import { msdProxy } from '../proxies/msd.js';
import * as waModule from '../proxies/wolfram.js';
import { wolframProxy } from '../proxies/wolfram.js';

interface Captured {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
}
interface LocalApi {
  url: string;
  requests: Captured[];
  close(): Promise<void>;
}

async function serve(answer: (request: Captured) => Reply): Promise<LocalApi> {
  const requests: Captured[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const captured = { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: request.headers, body };
      requests.push(captured);
      const reply = answer(captured);
      response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
      response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ProxyError.isInstance(error)) throw new Error(`expected a ProxyError, got ${String(error)}`);
  return error;
}

// ---- Wolfram|Alpha LLM API: GET /api/v1/llm-api?input=…&appid=…, text/plain ---------------------------
const WA_APPID = 'WA-TEST-APPID-123';
const WA_ANSWER =
  'Query:\n"France population"\n\nInput interpretation:\nFrance | population\n\nResult:\n68.3 million people (world rank: 20th) (2023 estimate)';
let waApi: LocalApi;

// ---- Main Street Data: x-api-key header ------------------------------------------------------------------
const MSD_KEY = 'msd-test-key-0a1b2c3d';
const AAPL_AMERICAS = [
  { x: '2023-03-31T00:00:00.000Z', y: 37874000000, valueType: 'CURRENCY' },
  { x: '2023-06-30T00:00:00.000Z', y: 35383000000, valueType: 'CURRENCY' },
  { x: '2023-09-30T00:00:00.000Z', y: 40115000000, valueType: 'CURRENCY' },
  { x: '2023-12-31T00:00:00.000Z', y: 50430000000, valueType: 'CURRENCY' },
];
let msdApi: LocalApi;

// ---- Kalshi public market data: GET /trade-api/v2/events, cursor paging --------------------------------
const EVENTS = Array.from({ length: 450 }, (_, index) => ({
  event_ticker: `EV-${index}`,
  series_ticker: 'SER',
  title: index % 150 === 7 ? `Will the Fed cut the rate in meeting ${index}?` : `Unrelated market ${index}`,
  sub_title: `Round ${index}`,
  category: 'Economics',
  mutually_exclusive: true,
}));
let kalshiApi: LocalApi;

// ---- SearchApi Google Trends: GET /api/v1/search?engine=google_trends&data_type=…&api_key=… --------------
const SEARCH_KEY = 'searchapi-test-key-42';
let searchApi: LocalApi;

// ---- Exa: POST /search, /findSimilar, /contents with x-api-key -------------------------------------------
const EXA_KEY = 'exa-test-key-7f7f7f';
const PAGES = [
  {
    id: 'https://arxiv.org/abs/2307.06435',
    url: 'https://arxiv.org/abs/2307.06435',
    title: 'A Comprehensive Overview of LLMs',
    publishedDate: '2023-11-16T01:36:32.547Z',
    author: 'Naveed',
  },
  {
    id: 'https://arxiv.org/abs/2402.00001',
    url: 'https://arxiv.org/abs/2402.00001',
    title: 'LLM Reasoning in 2024',
    publishedDate: '2024-02-01T00:00:00.000Z',
    author: 'Doe',
  },
];
let exaApi: LocalApi;

let kbFolder: string;

beforeAll(async () => {
  waApi = await serve(({ path, query }) => {
    if (path !== '/api/v1/llm-api') return { status: 404, body: 'Not found', contentType: 'text/plain' };
    if (!query.get('appid')) return { status: 403, body: 'Error 1: Appid missing', contentType: 'text/plain' };
    if (query.get('appid') !== WA_APPID) return { status: 403, body: 'Error 1: Invalid appid', contentType: 'text/plain' };
    const input = query.get('input');
    if (!input)
      return {
        status: 400,
        body: "Error: No input. Please specify the input using the 'input' query parameter.",
        contentType: 'text/plain',
      };
    if (input !== 'France population')
      return { status: 501, body: `Wolfram|Alpha did not understand your input: ${input}`, contentType: 'text/plain' };
    return { status: 200, body: WA_ANSWER, contentType: 'text/plain;charset=utf-8' };
  });
  msdApi = await serve(({ method, path, query, headers, body }) => {
    if (headers['x-api-key'] !== MSD_KEY) return { status: 401, body: { error: 'Unauthorized' } };
    if (method === 'GET' && path === '/api/v1/companies') return { status: 200, body: ['AAPL', 'SOFI', 'TSLA'] };
    if (method === 'GET' && path === '/api/v1/companies/AAPL/kpi')
      return {
        status: 200,
        body: [{ label: 'Americas', columnName: 'aapl_americas_msd', onlyAnnual: false, category: 'Revenue by Geography' }],
      };
    if (method === 'GET' && path === '/api/v1/companies/AAPL') {
      const start = query.get('startDate') ?? '0000';
      const end = query.get('endDate') ?? '9999';
      const values = AAPL_AMERICAS.filter((value) => value.x.slice(0, 10) >= start && value.x.slice(0, 10) <= end);
      return {
        status: 200,
        body: {
          company: { ticker: 'AAPL', name: 'Apple', totalMetrics: 1 },
          metrics: [{ name: 'Americas Revenue', type: 'cumulative', category: 'Revenue by Geography', values }],
        },
      };
    }
    if (method === 'POST' && path === '/api/v1/companies') {
      const request = JSON.parse(body) as { tickers?: unknown };
      if (!Array.isArray(request.tickers)) return { status: 400, body: { error: 'Tickers should be an array.' } };
      return {
        status: 200,
        body: {
          companies: request.tickers.map((ticker) => ({
            company: { ticker, name: ticker === 'AAPL' ? 'Apple Inc.' : 'Microsoft' },
            metrics: [
              {
                name: 'Research and Development',
                leftSymbol: '$',
                rightSymbol: '%',
                values: [{ x: '2023-09-30', y: 50000000, valueType: 'CURRENCY' }],
              },
            ],
          })),
        },
      };
    }
    const ticker = path.split('/')[4] ?? '';
    return { status: 404, body: { error: `Company with ticker '${ticker}' not found` } };
  });
  kalshiApi = await serve(({ path, query }) => {
    if (path !== '/trade-api/v2/events') return { status: 404, body: { error: { code: 'not_found', message: 'not found' } } };
    const start = Number(query.get('cursor') || '0');
    const limit = Number(query.get('limit') || '100');
    const events = EVENTS.slice(start, start + limit);
    return { status: 200, body: { events, cursor: start + limit < EVENTS.length ? String(start + limit) : '' } };
  });
  searchApi = await serve(({ path, query }) => {
    if (path !== '/api/v1/search') return { status: 404, body: { error: 'Not found' } };
    if (query.get('api_key') !== SEARCH_KEY)
      return { status: 401, body: { error: 'Invalid API key. Your API key should be here: https://www.searchapi.io/' } };
    const engine = query.get('engine');
    const metadata = { search_metadata: { id: 'search_1', status: 'Success' }, search_parameters: Object.fromEntries(query) };
    if (engine === 'google_trends_autocomplete')
      return { status: 200, body: { ...metadata, suggestions: [{ id: '/m/01t6b', title: 'C', type: 'Programming language' }] } };
    if (engine !== 'google_trends') return { status: 400, body: { error: `Unsupported engine ${engine}` } };
    const dataType = query.get('data_type');
    if (dataType === 'TIMESERIES')
      return {
        status: 200,
        body: {
          ...metadata,
          interest_over_time: {
            averages: [{ query: 'Java', value: 58 }],
            timeline_data: [
              {
                date: 'Dec 31, 2023 – Jan 6, 2024',
                timestamp: '1703980800',
                values: [{ query: 'Java', value: '59', extracted_value: 59 }],
              },
              { date: 'Jan 7 – 13, 2024', timestamp: '1704585600', values: [{ query: 'Java', value: '61', extracted_value: 61 }] },
            ],
          },
        },
      };
    if (dataType === 'GEO_MAP')
      return {
        status: 200,
        body: {
          ...metadata,
          interest_by_region: [{ geo: 'US', name: 'United States', values: [{ query: 'Java', value: '31%', extracted_value: 31 }] }],
        },
      };
    if (dataType === 'RELATED_QUERIES')
      return {
        status: 200,
        body: { ...metadata, related_queries: { top: [{ position: 1, query: 'java download', value: '100', extracted_value: 100 }] } },
      };
    if (dataType === 'RELATED_TOPICS')
      return {
        status: 200,
        body: {
          ...metadata,
          related_topics: { top: [{ position: 1, id: '/m/07sbkfb', title: 'Java', value: '100', extracted_value: 100 }] },
        },
      };
    return { status: 400, body: { error: `Invalid data_type ${dataType}` } };
  });
  exaApi = await serve(({ method, path, headers, body }) => {
    if (headers['x-api-key'] !== EXA_KEY) return { status: 401, body: { error: 'Invalid API key' } };
    if (method !== 'POST') return { status: 405, body: { error: 'Method not allowed' } };
    const request = JSON.parse(body || '{}') as {
      query?: string;
      url?: string;
      urls?: string[];
      contents?: { text?: boolean };
      text?: boolean;
    };
    const withText = (page: (typeof PAGES)[number], text: boolean | undefined) =>
      text ? { ...page, text: `Full text of ${page.title}` } : page;
    const reply = (results: unknown[]) => ({
      status: 200,
      body: { requestId: 'req-1', resolvedSearchType: 'neural', results, costDollars: { total: 0.005 } },
    });
    if (path === '/search') {
      if (!request.query) return { status: 400, body: { error: 'query is required' } };
      return reply(PAGES.map((page) => withText(page, request.contents?.text)));
    }
    if (path === '/findSimilar')
      return reply(PAGES.filter((page) => page.url !== request.url).map((page) => withText(page, request.contents?.text)));
    if (path === '/contents')
      return reply(PAGES.filter((page) => request.urls?.includes(page.url)).map((page) => withText(page, request.text)));
    return { status: 404, body: { error: 'Not found' } };
  });
  kbFolder = mkdtempSync(join(tmpdir(), 'lllm-kb-'));
  mkdirSync(join(kbFolder, 'policies'));
  writeFileSync(join(kbFolder, 'policies', 'pricing.md'), '# Pricing\nOur pricing policy: list prices, no discounts above 10%.\n');
  writeFileSync(join(kbFolder, 'travel.txt'), 'Travel policy: economy class.\n');
  writeFileSync(join(kbFolder, 'secret.json'), '{"not": "a note"}');
});

afterAll(async () => {
  await Promise.all([waApi.close(), msdApi.close(), kalshiApi.close(), searchApi.close(), exaApi.close()]);
  rmSync(kbFolder, { recursive: true, force: true });
});

function runtime(options: { cutoffDate?: string; env?: Record<string, string> } = {}): ProxyRuntime {
  return new ProxyRuntime({
    activate: [
      wolframProxy({ baseUrl: `${waApi.url}/api/v1` }),
      msdProxy({ baseUrl: `${msdApi.url}/api/v1` }),
      kalshiProxy({ baseUrl: `${kalshiApi.url}/trade-api/v2` }),
      knowledgeBaseProxy({ directory: kbFolder }),
      googleTrendsProxy({ baseUrl: `${searchApi.url}/api/v1` }),
      exaProxy({ baseUrl: exaApi.url }),
    ],
    env: options.env ?? { WA_API_DEV: WA_APPID, MSD_API_KEY: MSD_KEY, SEARCH_API_KEY: SEARCH_KEY, EXA_API_KEY: EXA_KEY },
    ...(options.cutoffDate ? { cutoffDate: options.cutoffDate } : {}),
    // These tests read the wire (a wrong key must reach the API); the cache (on by default) is @lllm/proxy's to test.
    cache: false,
  });
}

describe('discovery', () => {
  it("registers upstream's proxy paths at the public addresses with upstream's key variables", () => {
    try {
      expect(registerProxiesFromModule(waModule, { file: 'proxies/wolfram.ts' })).toEqual(['wa']);
      expect(registerProxiesFromModule(msdModule, { file: 'proxies/msd.ts' })).toEqual(['msd']);
      expect(registerProxiesFromModule(kalshiModule, { file: 'proxies/kalshi.ts' })).toEqual(['pm']);
      expect(registerProxiesFromModule(kbModule, { file: 'proxies/knowledge-base.ts' })).toEqual(['kb']);
      expect(registerProxiesFromModule(gtModule, { file: 'proxies/google-trends.ts' })).toEqual(['gt']);
      expect(registerProxiesFromModule(exaModule, { file: 'proxies/exa.ts' })).toEqual(['exa']);
      expect(exaModule.exa.apiKey).toMatchObject({ env: 'EXA_API_KEY', in: 'header', name: 'x-api-key' });
      expect(gtModule.gt.apiKey).toMatchObject({ env: 'SEARCH_API_KEY', in: 'query', name: 'api_key' });
      expect(waModule.wa.baseUrl).toBe('https://www.wolframalpha.com/api/v1');
      expect(waModule.wa.apiKey).toMatchObject({ env: 'WA_API_DEV', in: 'query', name: 'appid' });
      expect(msdModule.msd.baseUrl).toBe('https://api.mainstreetdata.com/api/v1');
      expect(msdModule.msd.apiKey).toMatchObject({ env: 'MSD_API_KEY', in: 'header', name: 'x-api-key' });
      expect(kalshiModule.pm.baseUrl).toBe('https://api.elections.kalshi.com/trade-api/v2');
    } finally {
      for (const path of ['wa', 'msd', 'pm', 'kb', 'gt', 'exa']) unregisterProxy(path);
    }
  });
});

describe('Wolfram|Alpha', () => {
  it('sends input and appid in the query and wraps the plain-text answer as upstream does', async () => {
    const answer = await runtime().call('wa/query/llm-api', { input: 'France population', maxchars: 500 });
    expect(answer).toEqual({ response: WA_ANSWER });
    const request = waApi.requests.at(-1);
    expect(request?.query.get('appid')).toBe(WA_APPID);
    expect(request?.query.get('input')).toBe('France population');
    expect(request?.query.get('maxchars')).toBe('500');
  });

  it('a wrong AppID is a 403 naming WA_API_DEV, never showing the AppID; an input it cannot read is a 501', async () => {
    const rejected = await failure(
      runtime({ env: { WA_API_DEV: 'WRONG-APPID-999', MSD_API_KEY: MSD_KEY } }).call('wa/query/llm-api', { input: 'x' }),
    );
    expect(rejected).toMatchObject({ kind: 'http', statusCode: 403 });
    expect(rejected.message).toContain('Invalid appid');
    expect(rejected.message).toContain('WA_API_DEV');
    expect(rejected.message).not.toContain('WRONG-APPID-999');
    const unknown = await failure(runtime().call('wa/query/llm-api', { input: 'gibberish qqq' }));
    expect(unknown).toMatchObject({ kind: 'http', statusCode: 501 });
  });
});

describe('Main Street Data', () => {
  it('lists companies and KPIs with the key in the x-api-key header', async () => {
    expect(await runtime().call('msd/companies/list', {})).toEqual(['AAPL', 'SOFI', 'TSLA']);
    expect(msdApi.requests.at(-1)?.headers['x-api-key']).toBe(MSD_KEY);
    expect(msdApi.requests.at(-1)?.query.toString()).toBe('');
    const kpis = (await runtime().call('msd/companies/kpi', { ticker: 'AAPL' })) as { columnName: string }[];
    expect(kpis.map((kpi) => kpi.columnName)).toEqual(['aapl_americas_msd']);
  });

  it('reads a metric over a range; the cutoff withholds later values', async () => {
    const data = (await runtime().call('msd/companies/company', {
      ticker: 'AAPL',
      metricName: 'aapl_americas_msd',
      startDate: '2023-01-01',
      endDate: '2023-12-31',
      freq: 'quarterly',
    })) as { metrics: { values: { x: string }[] }[] };
    expect(data.metrics[0]?.values).toHaveLength(4);
    const request = msdApi.requests.at(-1);
    expect(request?.path).toBe('/api/v1/companies/AAPL');
    expect(request?.query.get('metricName')).toBe('aapl_americas_msd');
    expect(request?.query.get('freq')).toBe('quarterly');
    const backtest = (await runtime({ cutoffDate: '2023-07-15' }).call('msd/companies/company', { ticker: 'AAPL' })) as {
      metrics: { values: { x: string }[] }[];
    };
    expect(backtest.metrics[0]?.values.map((value) => value.x.slice(0, 10))).toEqual(['2023-03-31', '2023-06-30']);
  });

  it('POSTs several tickers as a JSON body; an unknown ticker is the API’s own error', async () => {
    const result = (await runtime().call('msd/companies/multiple-post', { tickers: ['AAPL', 'MSFT'], startDate: '2023-01-01' })) as {
      companies: { company: { ticker: string } }[];
    };
    expect(result.companies.map((entry) => entry.company.ticker)).toEqual(['AAPL', 'MSFT']);
    const request = msdApi.requests.at(-1);
    expect(request?.method).toBe('POST');
    expect(JSON.parse(request?.body ?? '{}')).toEqual({ tickers: ['AAPL', 'MSFT'], startDate: '2023-01-01' });
    const missing = await failure(runtime().call('msd/companies/kpi', { ticker: 'ZZZZ' }));
    expect(missing).toMatchObject({ kind: 'http', statusCode: 404 });
    expect(missing.message).toContain("Company with ticker 'ZZZZ' not found");
  });
});

describe('Kalshi prediction markets', () => {
  it('pages through events with the cursor and keeps those matching every keyword', async () => {
    const before = kalshiApi.requests.length;
    const result = (await runtime().call('pm/prediction-market/search-kalshi-events', {
      query: 'fed RATE',
      status: 'open',
      max_pages: 3,
    })) as {
      events: { event_ticker: string }[];
      searched: number;
    };
    expect(result.events.map((event) => event.event_ticker)).toEqual(['EV-7', 'EV-157', 'EV-307']);
    expect(result.searched).toBe(450);
    const requests = kalshiApi.requests.slice(before);
    expect(requests.map((request) => request.query.get('cursor') ?? '')).toEqual(['', '200', '400']);
    expect(requests.every((request) => request.query.get('status') === 'open' && request.query.get('limit') === '200')).toBe(true);
    const firstPage = (await runtime().call('pm/prediction-market/search-kalshi-events', { query: 'fed', max_pages: 1 })) as {
      searched: number;
      events: unknown[];
    };
    expect(firstPage).toMatchObject({ searched: 200 });
    expect(firstPage.events).toHaveLength(2);
  });
});

describe('internal knowledge base', () => {
  it('searches notes by every keyword and reads one; files outside the folder or not notes are refused', async () => {
    const found = (await runtime().call('kb/notes/search', { query: 'pricing policy' })) as {
      results: { file: string; lines: string[] }[];
    };
    expect(found.results).toEqual([
      { file: 'policies/pricing.md', lines: ['# Pricing', 'Our pricing policy: list prices, no discounts above 10%.'] },
    ]);
    const note = (await runtime().call('kb/notes/read', { file: 'policies/pricing.md' })) as { text: string };
    expect(note.text).toContain('no discounts above 10%');
    expect((await failure(runtime().call('kb/notes/read', { file: '../../etc/passwd' }))).kind).toBe('validation');
    expect((await failure(runtime().call('kb/notes/read', { file: 'secret.json' }))).kind).toBe('validation');
    expect((await failure(runtime().call('kb/notes/read', { file: 'gone.md' }))).kind).toBe('not_found');
  });
});

describe('Google Trends (SearchApi)', () => {
  it('every upstream endpoint, with engine and data_type sent for the agent, the key in the query, metadata dropped', async () => {
    const proxy = runtime();
    const paths = proxy.endpointDirectory();
    for (const key of ['overtime', 'by-category', 'by-region', 'related-queries', 'related-topics', 'autocomplete', 'categories', 'geo'])
      expect(paths).toContain(`gt/google-trends/google-trends-${key}`);
    const overtime = (await proxy.call('gt/google-trends/google-trends-overtime', { q: 'Java', geo: 'US' })) as Record<string, unknown>;
    expect(overtime).not.toHaveProperty('search_metadata');
    expect(overtime).toHaveProperty('interest_over_time.averages', [{ query: 'Java', value: 58 }]);
    const request = searchApi.requests.at(-1);
    expect([request?.query.get('engine'), request?.query.get('data_type'), request?.query.get('api_key'), request?.query.get('q')]).toEqual(
      ['google_trends', 'TIMESERIES', SEARCH_KEY, 'Java'],
    );
    for (const [key, dataType, field] of [
      ['by-region', 'GEO_MAP', 'interest_by_region'],
      ['related-queries', 'RELATED_QUERIES', 'related_queries'],
      ['related-topics', 'RELATED_TOPICS', 'related_topics'],
    ] as const) {
      expect(await proxy.call(`gt/google-trends/google-trends-${key}`, { q: 'Java' })).toHaveProperty(field);
      expect(searchApi.requests.at(-1)?.query.get('data_type')).toBe(dataType);
    }
    await proxy.call('gt/google-trends/google-trends-by-category', { cat: 3 });
    expect(searchApi.requests.at(-1)?.query.get('cat')).toBe('3');
    expect(await proxy.call('gt/google-trends/google-trends-autocomplete', { q: 'Programming language' })).toEqual({
      suggestions: [{ id: '/m/01t6b', title: 'C', type: 'Programming language' }],
    });
    expect(searchApi.requests.at(-1)?.query.get('engine')).toBe('google_trends_autocomplete');
  });

  it('the cutoff withholds later weeks; a wrong key is SearchApi’s error', async () => {
    const backtest = (await runtime({ cutoffDate: '2024-01-03' }).call('gt/google-trends/google-trends-overtime', { q: 'Java' })) as {
      interest_over_time: { timeline_data: { timestamp: string }[] };
    };
    expect(backtest.interest_over_time.timeline_data.map((week) => week.timestamp)).toEqual(['1703980800']);
    const rejected = await failure(
      runtime({ env: { SEARCH_API_KEY: 'wrong-search-key-000', WA_API_DEV: WA_APPID, MSD_API_KEY: MSD_KEY } }).call(
        'gt/google-trends/google-trends-overtime',
        { q: 'Java' },
      ),
    );
    expect(rejected).toMatchObject({ kind: 'http', statusCode: 401 });
    expect(rejected.message).toContain('Invalid API key');
    expect(rejected.message).not.toContain('wrong-search-key-000');
  });
});

// ---- Google Trends' own pickers: GET /trends/api/explore/pickers/{category,geo}?hl=…&tz=0, JSON after ")]}'" ----
const CATEGORY_PICKER = {
  name: 'All categories',
  id: 0,
  children: [
    { name: 'Arts & Entertainment', id: 3, children: [{ name: 'Comics & Animation', id: 316 }] },
    {
      name: 'Finance',
      id: 7,
      children: [
        { name: 'Financial Planning', id: 903 },
        { name: 'Comics & Animation', id: 316 },
      ],
    },
  ],
};
const GEO_PICKER = {
  name: 'Worldwide',
  id: '',
  children: [
    { name: 'Afghanistan', id: 'AF', children: [{ name: 'Badakhshan', id: 'BDS' }] },
    {
      name: 'United States',
      id: 'US',
      children: [{ name: 'California', id: 'CA', children: [{ name: 'San Francisco-Oakland-San Jose CA', id: '807' }] }],
    },
  ],
};

describe('Google Trends lists (upstream ships them as data files; read here from Google Trends’ pickers)', () => {
  it("google_trends_categories and google_trends_geo answer in upstream's shapes: every category once, full location codes, narrowed by query", async () => {
    const google = await serve((request) =>
      request.path === '/trends/api/explore/pickers/category'
        ? { status: 200, body: `)]}'\n${JSON.stringify(CATEGORY_PICKER)}`, contentType: 'application/json; charset=utf-8' }
        : request.path === '/trends/api/explore/pickers/geo'
          ? { status: 200, body: `)]}'\n${JSON.stringify(GEO_PICKER)}`, contentType: 'application/json; charset=utf-8' }
          : { status: 404, body: 'not found', contentType: 'text/plain' },
    );
    try {
      const proxy = new ProxyRuntime({
        activate: [googleTrendsProxy({ baseUrl: `${searchApi.url}/api/v1`, pickersUrl: `${google.url}/trends/api/explore/pickers` })],
        env: { SEARCH_API_KEY: SEARCH_KEY },
        cache: false,
      });
      expect(await proxy.call('gt/google-trends/google-trends-categories', {})).toEqual([
        { category_id: '0', category_description: 'All categories' },
        { category_id: '3', category_description: 'Arts & Entertainment' },
        { category_id: '316', category_description: 'Comics & Animation' },
        { category_id: '7', category_description: 'Finance' },
        { category_id: '903', category_description: 'Financial Planning' },
      ]);
      expect(await proxy.call('gt/google-trends/google-trends-categories', { query: 'FINANC' })).toEqual([
        { category_id: '7', category_description: 'Finance' },
        { category_id: '903', category_description: 'Financial Planning' },
      ]);
      expect(await proxy.call('gt/google-trends/google-trends-geo', {})).toEqual([
        { geo_id: '', geo_description: 'Worldwide' },
        { geo_id: 'AF', geo_description: 'Afghanistan' },
        { geo_id: 'AF-BDS', geo_description: 'Badakhshan' },
        { geo_id: 'US', geo_description: 'United States' },
        { geo_id: 'US-CA', geo_description: 'California' },
        { geo_id: 'US-CA-807', geo_description: 'San Francisco-Oakland-San Jose CA' },
      ]);
      expect(await proxy.call('gt/google-trends/google-trends-geo', { query: 'us-ca' })).toHaveLength(2);
      // One read per list and language: no key, Google's language and time-zone parameters.
      expect(google.requests.map((request) => `${request.path}?${request.query}`)).toEqual([
        '/trends/api/explore/pickers/category?hl=en-US&tz=0',
        '/trends/api/explore/pickers/geo?hl=en-US&tz=0',
      ]);
      await proxy.call('gt/google-trends/google-trends-geo', { hl: 'de' });
      expect(google.requests.at(-1)?.query.get('hl')).toBe('de');
      expect(searchApi.requests.every((request) => !request.path.includes('pickers'))).toBe(true);
    } finally {
      await google.close();
    }
  });

  it('a list Google does not answer is a ProxyError naming the list and the status, and the next call tries again', async () => {
    let down = true;
    const google = await serve(() =>
      down
        ? { status: 429, body: 'Too Many Requests', contentType: 'text/html' }
        : { status: 200, body: `)]}'\n${JSON.stringify(CATEGORY_PICKER)}` },
    );
    try {
      const proxy = new ProxyRuntime({
        activate: [googleTrendsProxy({ baseUrl: `${searchApi.url}/api/v1`, pickersUrl: `${google.url}/pickers` })],
        env: { SEARCH_API_KEY: SEARCH_KEY },
        cache: false,
      });
      const refused = await failure(proxy.call('gt/google-trends/google-trends-categories', {}));
      expect(refused.message).toMatch(/category list answered HTTP 429/);
      down = false;
      expect(await proxy.call('gt/google-trends/google-trends-categories', { query: 'arts' })).toEqual([
        { category_id: '3', category_description: 'Arts & Entertainment' },
      ]);
    } finally {
      await google.close();
    }
  });
});

describe('Exa', () => {
  it('search, findSimilar and contents POST the API’s JSON body with the key in x-api-key; bookkeeping is dropped', async () => {
    const found = (await runtime().call('exa/search/search-post', {
      query: 'LLM reasoning',
      type: 'auto',
      numResults: 2,
      includeDomains: ['arxiv.org'],
      contents: { text: true, summary: { query: 'Main developments' } },
    })) as Record<string, unknown> & { results: { title: string; text?: string }[] };
    expect(found.results.map((result) => result.title)).toEqual(['A Comprehensive Overview of LLMs', 'LLM Reasoning in 2024']);
    expect(found.results[0]?.text).toBe('Full text of A Comprehensive Overview of LLMs');
    expect(found).not.toHaveProperty('requestId');
    expect(found).not.toHaveProperty('costDollars');
    const request = exaApi.requests.at(-1);
    expect([request?.method, request?.path, request?.headers['x-api-key']]).toEqual(['POST', '/search', EXA_KEY]);
    expect(JSON.parse(request?.body ?? '{}')).toEqual({
      query: 'LLM reasoning',
      type: 'auto',
      numResults: 2,
      includeDomains: ['arxiv.org'],
      contents: { text: true, summary: { query: 'Main developments' } },
    });
    const similar = (await runtime().call('exa/search/findsimilar-post', { url: 'https://arxiv.org/abs/2307.06435' })) as {
      results: { url: string }[];
    };
    expect(similar.results.map((result) => result.url)).toEqual(['https://arxiv.org/abs/2402.00001']);
    const read = (await runtime().call('exa/search/contents-post', { urls: ['https://arxiv.org/abs/2307.06435'], text: true })) as {
      results: { text: string }[];
    };
    expect(read.results.map((result) => result.text)).toEqual(['Full text of A Comprehensive Overview of LLMs']);
  });

  it('the cutoff withholds pages published later; dates must be ISO times; a wrong key is Exa’s 401', async () => {
    const backtest = (await runtime({ cutoffDate: '2023-12-31' }).call('exa/search/search-post', { query: 'LLM' })) as {
      results: { title: string }[];
    };
    expect(backtest.results.map((result) => result.title)).toEqual(['A Comprehensive Overview of LLMs']);
    expect((await failure(runtime().call('exa/search/search-post', { query: 'LLM', startPublishedDate: '2023/01/01' }))).kind).toBe(
      'validation',
    );
    const rejected = await failure(
      runtime({
        env: { EXA_API_KEY: 'exa-wrong-key-000000', WA_API_DEV: WA_APPID, MSD_API_KEY: MSD_KEY, SEARCH_API_KEY: SEARCH_KEY },
      }).call('exa/search/search-post', {
        query: 'LLM',
      }),
    );
    expect(rejected).toMatchObject({ kind: 'http', statusCode: 401 });
    expect(rejected.message).toContain('EXA_API_KEY');
  });
});
