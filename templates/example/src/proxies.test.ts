// The FRED and FMP proxies against local servers that answer in the shapes the APIs document (query-key
// auth and error bodies included), through the real ProxyRuntime: no test reaches the internet.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, ProxyRuntime, registerProxiesFromModule, unregisterProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fmpModule from '../proxies/fmp.js';
import { fmpProxy } from '../proxies/fmp.js';
import * as fredModule from '../proxies/fred.js';
import { fredProxy } from '../proxies/fred.js';

// FRED keys are 32 lower-case letters and digits.
const FRED_KEY = 'fredtestkey0123456789abcdefghijk';
const FMP_KEY = 'test-key-fmp-5f1c0d2e9a';

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
}

interface LocalApi {
  readonly url: string;
  /** Every request: its path and query (where the key travels). */
  readonly requests: { path: string; query: URLSearchParams }[];
  close(): Promise<void>;
}

async function serve(answer: (path: string, query: URLSearchParams) => Reply): Promise<LocalApi> {
  const requests: LocalApi['requests'] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: url.searchParams });
    const reply = answer(url.pathname, url.searchParams);
    response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' });
    response.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

// ---- FRED (https://fred.stlouisfed.org/docs/api/fred/) -------------------------------------------------

const TODAY = '2024-07-01';
const SERIES = [
  {
    id: 'GDP',
    title: 'Gross Domestic Product',
    observation_start: '1947-01-01',
    observation_end: '2024-01-01',
    frequency: 'Quarterly',
    frequency_short: 'Q',
    units: 'Billions of Dollars',
    units_short: 'Bil. of $',
    seasonal_adjustment: 'Seasonally Adjusted Annual Rate',
    seasonal_adjustment_short: 'SAAR',
    last_updated: '2024-06-27 07:54:02-05',
    popularity: 93,
    notes: 'BEA Account Code: A191RC',
  },
  {
    id: 'UNRATE',
    title: 'Unemployment Rate',
    observation_start: '1948-01-01',
    observation_end: '2024-06-01',
    frequency: 'Monthly',
    frequency_short: 'M',
    units: 'Percent',
    units_short: '%',
    seasonal_adjustment: 'Seasonally Adjusted',
    seasonal_adjustment_short: 'SA',
    last_updated: '2024-07-05 07:48:02-05',
    popularity: 94,
    notes: 'The unemployment rate represents the number of unemployed as a percentage of the labor force.',
  },
  {
    id: 'NEWRATE',
    title: 'A Rate First Published After 2023',
    observation_start: '2024-01-01',
    observation_end: '2024-06-01',
    frequency: 'Monthly',
    frequency_short: 'M',
    units: 'Percent',
    units_short: '%',
    seasonal_adjustment: 'Not Seasonally Adjusted',
    seasonal_adjustment_short: 'NSA',
    last_updated: '2024-07-05 07:48:02-05',
    popularity: 1,
    notes: '',
  },
];
const GDP_OBSERVATIONS: [string, string][] = [
  ['2023-01-01', '26813.601'],
  ['2023-04-01', '27063.012'],
  ['2023-07-01', '27610.128'],
  ['2023-10-01', '27956.998'],
  ['2024-01-01', '28269.174'],
];

function withRealtime<T extends object>(entry: T): T & { realtime_start: string; realtime_end: string } {
  return { realtime_start: TODAY, realtime_end: TODAY, ...entry };
}

// FRED's documented error: the status code and `{ error_code, error_message }` (served as text/xml, as
// its errors page shows, even for file_type=json).
function fredError(message: string): Reply {
  return { status: 400, body: { error_code: 400, error_message: message }, contentType: 'text/xml;charset=utf-8' };
}

function fredAnswer(path: string, query: URLSearchParams): Reply {
  const key = query.get('api_key');
  if (!key) return fredError('Bad Request.  Variable api_key has not been set.');
  if (key !== FRED_KEY)
    return fredError(
      'Bad Request.  The value for variable api_key is not registered.  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.',
    );
  if (query.get('file_type') !== 'json') return { status: 200, body: '<?xml version="1.0"?><seriess/>', contentType: 'text/xml' };
  const page = <T>(list: T[]) => {
    const offset = Number(query.get('offset') ?? 0);
    const limit = Number(query.get('limit') ?? 1000);
    return { offset, limit, items: list.slice(offset, offset + limit) };
  };
  if (path === '/fred/series/search') {
    const text = query.get('search_text');
    if (!text) return fredError('Bad Request.  Variable search_text is not set.');
    const words = text.toLowerCase().split(/\s+/);
    let found = SERIES.filter((series) => words.every((word) => `${series.id} ${series.title}`.toLowerCase().includes(word)));
    if (query.get('order_by') === 'popularity') found = [...found].sort((a, b) => a.popularity - b.popularity);
    if (query.get('sort_order') === 'desc') found = [...found].reverse();
    const { offset, limit, items } = page(found);
    return {
      status: 200,
      body: {
        realtime_start: TODAY,
        realtime_end: TODAY,
        order_by: query.get('order_by') ?? 'search_rank',
        sort_order: query.get('sort_order') ?? 'desc',
        count: found.length,
        offset,
        limit,
        seriess: items.map(withRealtime),
      },
    };
  }
  if (path !== '/fred/series' && path !== '/fred/series/observations')
    return { status: 404, body: { error_code: 404, error_message: 'Not Found' } };
  if (!query.get('series_id')) return fredError('Bad Request.  Variable series_id is not set.');
  const series = SERIES.find((candidate) => candidate.id === query.get('series_id'));
  if (!series) return fredError('Bad Request.  The series does not exist.');
  if (path === '/fred/series')
    return { status: 200, body: { realtime_start: TODAY, realtime_end: TODAY, seriess: [withRealtime(series)] } };
  const start = query.get('observation_start') ?? '1776-07-04';
  const end = query.get('observation_end') ?? '9999-12-31';
  let observations = (series.id === 'GDP' ? GDP_OBSERVATIONS : [])
    .filter(([date]) => date >= start && date <= end)
    .map(([date, value]) => withRealtime({ date, value }));
  if (query.get('sort_order') === 'desc') observations = observations.reverse();
  const { offset, limit, items } = page(observations);
  return {
    status: 200,
    body: {
      realtime_start: TODAY,
      realtime_end: TODAY,
      observation_start: start,
      observation_end: end,
      units: query.get('units') ?? 'lin',
      output_type: 1,
      file_type: 'json',
      order_by: 'observation_date',
      sort_order: query.get('sort_order') ?? 'asc',
      count: observations.length,
      offset,
      limit,
      observations: items,
    },
  };
}

// ---- Financial Modeling Prep, stable API (https://site.financialmodelingprep.com/developer/docs) ----------

const QUOTE = {
  symbol: 'AAPL',
  name: 'Apple Inc.',
  price: 232.8,
  changePercentage: 2.1008,
  change: 4.79,
  volume: 44489128,
  dayLow: 226.65,
  dayHigh: 233.13,
  yearHigh: 260.1,
  yearLow: 164.08,
  marketCap: 3500823120000,
  priceAvg50: 240.2278,
  priceAvg200: 219.98755,
  exchange: 'NASDAQ',
  open: 227.2,
  previousClose: 228.01,
  timestamp: 1738702801, // 2025-02-04T21:00:01Z
};
const CLOSES: [string, number][] = [
  ['2025-01-31', 236],
  ['2025-01-30', 237.59],
  ['2025-01-29', 239.36],
  ['2025-01-28', 238.26],
  ['2025-01-27', 229.86],
];
const INCOME = [
  {
    date: '2024-09-28',
    filingDate: '2024-11-01',
    acceptedDate: '2024-11-01 06:01:36',
    fiscalYear: '2024',
    revenue: 391035000000,
    netIncome: 93736000000,
  },
  {
    date: '2023-09-30',
    filingDate: '2023-11-03',
    acceptedDate: '2023-11-02 18:08:27',
    fiscalYear: '2023',
    revenue: 383285000000,
    netIncome: 96995000000,
  },
  {
    date: '2022-09-24',
    filingDate: '2022-10-28',
    acceptedDate: '2022-10-27 18:01:14',
    fiscalYear: '2022',
    revenue: 394328000000,
    netIncome: 99803000000,
  },
];
// What FMP answers for a missing or wrong key (HTTP 401).
const INVALID_KEY = {
  'Error Message':
    'Invalid API KEY. Feel free to create a Free API Key or visit https://site.financialmodelingprep.com/faqs?search=why-is-my-api-key-invalid for more information.',
};

function fmpAnswer(path: string, query: URLSearchParams): Reply {
  if (query.get('apikey') !== FMP_KEY) return { status: 401, body: INVALID_KEY };
  const symbol = query.get('symbol');
  if (path === '/stable/quote') return { status: 200, body: symbol === 'AAPL' ? [QUOTE] : [] };
  if (path === '/stable/historical-price-eod/full') {
    const from = query.get('from') ?? '0000-00-00';
    const to = query.get('to') ?? '9999-99-99';
    const rows = symbol === 'AAPL' ? CLOSES.filter(([date]) => date >= from && date <= to) : [];
    return {
      status: 200,
      body: rows.map(([date, close]) => ({
        symbol,
        date,
        open: close - 1,
        high: close + 2,
        low: close - 3,
        close,
        volume: 50000000,
        change: 1,
        changePercent: 0.42,
        vwap: close,
      })),
    };
  }
  if (path === '/stable/income-statement') {
    const limit = Number(query.get('limit') ?? 5);
    const statements = symbol === 'AAPL' ? INCOME.slice(0, limit) : [];
    return {
      status: 200,
      body: statements.map((statement) => ({ symbol, reportedCurrency: 'USD', cik: '0000320193', period: 'FY', ...statement })),
    };
  }
  return { status: 404, body: { 'Error Message': 'Not found' } };
}

let fredApi: LocalApi;
let fmpApi: LocalApi;

beforeAll(async () => {
  fredApi = await serve(fredAnswer);
  fmpApi = await serve(fmpAnswer);
});
afterAll(async () => {
  await fredApi.close();
  await fmpApi.close();
});

function runtime(options: { cutoffDate?: string; env?: Record<string, string> } = {}): ProxyRuntime {
  return new ProxyRuntime({
    activate: [fredProxy({ baseUrl: `${fredApi.url}/fred` }), fmpProxy({ baseUrl: `${fmpApi.url}/stable` })],
    env: options.env ?? { FRED_API_KEY: FRED_KEY, FMP_API_KEY: FMP_KEY },
    ...(options.cutoffDate ? { cutoffDate: options.cutoffDate } : {}),
    // These tests read the wire (a wrong key must reach the API); the cache (on by default) is @lllm/proxy's to test.
    cache: false,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ProxyError.isInstance(error)) throw new Error(`expected a ProxyError, got ${String(error)}`);
  return error;
}

describe('discovery', () => {
  it('registers exactly the default instances, at the public addresses', () => {
    try {
      expect(registerProxiesFromModule(fredModule, { file: 'proxies/fred.ts' })).toEqual(['fred']);
      expect(registerProxiesFromModule(fmpModule, { file: 'proxies/fmp.ts' })).toEqual(['fmp']);
      expect(fredModule.fred.baseUrl).toBe('https://api.stlouisfed.org/fred');
      expect(fmpModule.fmp.baseUrl).toBe('https://financialmodelingprep.com/stable');
      expect(fredModule.fred.apiKey).toMatchObject({ env: 'FRED_API_KEY', in: 'query', name: 'api_key' });
      expect(fmpModule.fmp.apiKey).toMatchObject({ env: 'FMP_API_KEY', in: 'query', name: 'apikey' });
    } finally {
      unregisterProxy('fred');
      unregisterProxy('fmp');
    }
  });

  it('a proxy whose key is unset is skipped with a warning, not an error', async () => {
    const proxy = runtime({ env: { FMP_API_KEY: FMP_KEY } });
    expect(proxy.activated()).toEqual(['fmp']);
    expect(proxy.warnings.join('\n')).toContain('FRED_API_KEY is not set');
    const error = await failure(proxy.call('fred/series/info', { series_id: 'GDP' }));
    expect(error.kind).toBe('not_activated');
  });
});

describe('FRED', () => {
  it('searches series, sending the key and file_type=json as query parameters and dropping the noise', async () => {
    const before = fredApi.requests.length;
    const result = (await runtime().call('fred/series/search', { search_text: 'rate', order_by: 'popularity', sort_order: 'desc' })) as {
      count: number;
      seriess: Record<string, unknown>[];
    };
    expect(result.count).toBe(2);
    expect(result.seriess.map((series) => series.id)).toEqual(['UNRATE', 'NEWRATE']);
    expect(result.seriess[0]).toMatchObject({ title: 'Unemployment Rate', frequency_short: 'M', units: 'Percent' });
    expect(result.seriess[0]).not.toHaveProperty('notes');
    expect(result.seriess[0]).not.toHaveProperty('realtime_start');
    expect(result).not.toHaveProperty('realtime_start');
    const request = fredApi.requests[before];
    expect(request?.path).toBe('/fred/series/search');
    expect(request?.query.get('api_key')).toBe(FRED_KEY);
    expect(request?.query.get('file_type')).toBe('json');
    expect(request?.query.get('search_text')).toBe('rate');
    // A series first observed after the cutoff did not exist yet.
    const before2024 = (await runtime({ cutoffDate: '2023-12-31' }).call('fred/series/search', { search_text: 'rate' })) as {
      seriess: { id: string }[];
    };
    expect(before2024.seriess.map((series) => series.id)).toEqual(['UNRATE']);
  });

  it('reads a series’ metadata', async () => {
    const result = (await runtime().call('fred/series/info', { series_id: 'GDP' })) as { seriess: Record<string, unknown>[] };
    expect(result.seriess).toEqual([
      expect.objectContaining({ id: 'GDP', title: 'Gross Domestic Product', frequency: 'Quarterly', units: 'Billions of Dollars' }),
    ]);
    expect(fredApi.requests.at(-1)?.query.get('series_id')).toBe('GDP');
  });

  it('reads observations over a range, and the cutoff date withholds later ones', async () => {
    const all = (await runtime().call('fred/series/observations', {
      series_id: 'GDP',
      observation_start: '2023-01-01',
      units: 'lin',
    })) as { count: number; observations: Record<string, unknown>[] };
    expect(all.observations).toEqual(GDP_OBSERVATIONS.map(([date, value]) => ({ date, value })));
    expect(fredApi.requests.at(-1)?.query.get('observation_start')).toBe('2023-01-01');
    expect(fredApi.requests.at(-1)?.query.get('units')).toBe('lin');
    const backtest = (await runtime({ cutoffDate: '2023-08-15' }).call('fred/series/observations', { series_id: 'GDP' })) as {
      observations: { date: string }[];
    };
    expect(backtest.observations.map((observation) => observation.date)).toEqual(['2023-01-01', '2023-04-01', '2023-07-01']);
  });

  it('checks parameters before sending anything', async () => {
    const before = fredApi.requests.length;
    const error = await failure(runtime().call('fred/series/observations', { series_id: 'GDP', observation_start: '01/01/2023' }));
    expect(error.kind).toBe('validation');
    expect(error.message).toContain('observation_start');
    expect(fredApi.requests.length).toBe(before);
  });

  it('reports FRED’s error message, and a wrong key never appears in it', async () => {
    const unknown = await failure(runtime().call('fred/series/info', { series_id: 'NOPE' }));
    expect(unknown).toMatchObject({ kind: 'http', statusCode: 400 });
    expect(unknown.message).toMatch(
      /from http:\/\/127\.0\.0\.1:\d+\/fred\/series\?series_id=NOPE&file_type=json&api_key=\[REDACTED\]: Bad Request\. {2}The series does not exist\.$/,
    );
    const wrongKey = 'wrongkey0123456789abcdefghijklmn';
    const rejected = await failure(
      runtime({ env: { FRED_API_KEY: wrongKey, FMP_API_KEY: FMP_KEY } }).call('fred/series/info', { series_id: 'GDP' }),
    );
    expect(rejected).toMatchObject({ kind: 'http', statusCode: 400 });
    expect(rejected.message).toContain('The value for variable api_key is not registered');
    expect(rejected.message).toContain('api_key=[REDACTED]');
    expect(rejected.message).not.toContain(wrongKey);
    expect(fredApi.requests.at(-1)?.query.get('api_key')).toBe(wrongKey);
  });
});

describe('Financial Modeling Prep', () => {
  it('quotes a stock; in a backtest the live quote is withheld', async () => {
    const quote = await runtime().call('fmp/market/quote', { symbol: 'AAPL' });
    expect(quote).toEqual([QUOTE]);
    expect(fmpApi.requests.at(-1)?.path).toBe('/stable/quote');
    expect(fmpApi.requests.at(-1)?.query.get('apikey')).toBe(FMP_KEY);
    expect(fmpApi.requests.at(-1)?.query.get('symbol')).toBe('AAPL');
    expect(await runtime({ cutoffDate: '2025-01-29' }).call('fmp/market/quote', { symbol: 'AAPL' })).toEqual([]);
  });

  it('returns daily prices newest first; the cutoff date withholds later days', async () => {
    const prices = (await runtime().call('fmp/market/historical-prices', { symbol: 'AAPL', from: '2025-01-28', to: '2025-01-30' })) as {
      date: string;
      close: number;
    }[];
    expect(prices.map((row) => [row.date, row.close])).toEqual([
      ['2025-01-30', 237.59],
      ['2025-01-29', 239.36],
      ['2025-01-28', 238.26],
    ]);
    expect(fmpApi.requests.at(-1)?.query.get('from')).toBe('2025-01-28');
    const backtest = (await runtime({ cutoffDate: '2025-01-29' }).call('fmp/market/historical-prices', { symbol: 'AAPL' })) as {
      date: string;
    }[];
    // Strictly before the cutoff, as upstream's filter_by_dt_cutoff: the cutoff day itself is withheld.
    expect(backtest.map((row) => row.date)).toEqual(['2025-01-28', '2025-01-27']);
  });

  it('returns income statements, withholding those filed after the cutoff date', async () => {
    const statements = (await runtime().call('fmp/fundamentals/income-statement', { symbol: 'AAPL', period: 'annual', limit: 3 })) as {
      fiscalYear: string;
      revenue: number;
    }[];
    expect(statements.map((statement) => [statement.fiscalYear, statement.revenue])).toEqual([
      ['2024', 391035000000],
      ['2023', 383285000000],
      ['2022', 394328000000],
    ]);
    expect(fmpApi.requests.at(-1)?.query.get('period')).toBe('annual');
    expect(fmpApi.requests.at(-1)?.query.get('limit')).toBe('3');
    // FY2024 ended 2024-09-28 but was filed 2024-11-01: on 2024-10-15 it was not public.
    const backtest = (await runtime({ cutoffDate: '2024-10-15' }).call('fmp/fundamentals/income-statement', {
      symbol: 'AAPL',
      limit: 3,
    })) as {
      fiscalYear: string;
    }[];
    expect(backtest.map((statement) => statement.fiscalYear)).toEqual(['2023', '2022']);
  });

  it('reports an invalid key with FMP’s message and a hint, never the key', async () => {
    const wrongKey = 'test-key-wrong-4b7e19';
    const error = await failure(
      runtime({ env: { FRED_API_KEY: FRED_KEY, FMP_API_KEY: wrongKey } }).call('fmp/market/quote', { symbol: 'AAPL' }),
    );
    expect(error).toMatchObject({ kind: 'http', statusCode: 401 });
    expect(error.message).toContain('Invalid API KEY');
    expect(error.message).toContain('check FMP_API_KEY');
    expect(error.message).not.toContain(wrongKey);
    expect(JSON.stringify(error.body)).not.toContain(wrongKey);
  });
});

describe('both proxies', () => {
  it('pass autoTest: every endpoint answers its own examples', async () => {
    // FRED's category and tag endpoints and FMP's catalog are tested against their own servers
    // (fred-catalog.test.ts, fmp-catalog.test.ts).
    const report = await runtime().autoTest({
      paths: ['fred/series/search', 'fred/series/info', 'fred/series/observations', 'fmp/market', 'fmp/fundamentals'],
    });
    expect(report.results.filter((result) => result.status !== 'passed')).toEqual([]);
    expect(report.passed).toBe(6);
    expect(Object.keys(report.byCategory)).toEqual(['fred/series', 'fmp/market', 'fmp/fundamentals']);
  });

  it('document their parameters for prompts', () => {
    const docs = runtime({ cutoffDate: '2024-06-30' }).retrieveApiDocs(['fred/series/observations', 'fmp/market']);
    expect(docs).toContain('## fred/series/observations');
    expect(docs).toContain('`series_id` (string, required, in query)');
    expect(docs).toContain('`observation_start` (string, optional, in query): First observation date, YYYY-MM-DD');
    expect(docs).toContain('`units` ("lin" | "chg"');
    expect(docs).toContain('Entries dated on or after 2024-06-30 (by `observations/date`) are withheld.');
    expect(docs).toContain('## fmp/market/quote');
    expect(docs).toContain('## fmp/market/historical-prices');
    expect(docs).toContain(
      'Example call: CALL_API("fmp/market/historical-prices", {"symbol":"AAPL","from":"2025-01-27","to":"2025-01-31"})',
    );
    expect(docs).not.toContain(FRED_KEY);
  });
});
