// Financial Modeling Prep's "stable" API (market data and fundamentals), written from its public docs
// (https://site.financialmodelingprep.com/developer/docs). Get a key at financialmodelingprep.com and
// `export FMP_API_KEY=…`.
import { readFileSync } from 'node:fs';
import { defineProxy, type EndpointDefinition, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach FMP; tests point `baseUrl` at a local server. */
export interface FmpProxyOptions {
  /** Default `https://financialmodelingprep.com/stable`. */
  readonly baseUrl?: string;
}

const symbol = z.string().min(1).describe('Ticker symbol, e.g. "AAPL"');
const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
    .describe(`${what}, YYYY-MM-DD`);

/** One parameter of `data/fmp-endpoints.json`. */
interface CatalogParameter {
  readonly type: 'string' | 'integer' | 'date';
  readonly required: boolean;
  readonly enum?: readonly string[];
  readonly example: unknown;
}

/** One endpoint of `data/fmp-endpoints.json`: every endpoint the Python LLLM's FMP proxy declares. */
interface CatalogEndpoint {
  readonly category: string;
  readonly subCategory?: string;
  readonly endpoint: string;
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, CatalogParameter>>;
}

/** What FMP's recurring parameters mean (the docs' wording, shortened). */
const PARAMETER_DOCS: Readonly<Record<string, string>> = {
  symbol: 'Ticker symbol, e.g. "AAPL"',
  symbols: 'Ticker symbols separated by commas, e.g. "AAPL,MSFT"',
  from: 'First date',
  to: 'Last date',
  date: 'The date',
  limit: 'At most this many records',
  page: 'Page number (0 first)',
  period: 'Reporting period: annual or quarter',
  periodLength: 'Number of periods the indicator averages over, e.g. 10',
  timeframe: 'Bar size: 1min, 5min, 15min, 30min, 1hour, 4hour or 1day',
  year: 'Year, e.g. 2023',
  quarter: 'Quarter, 1–4',
  cik: 'SEC Central Index Key, e.g. "0000320193"',
  query: 'Search text',
  exchange: 'Exchange, e.g. "NASDAQ"',
  name: 'Name to search for',
};

/** Entries dated on or after a backtest's cutoff are withheld by this date field, per endpoint family. */
function cutoffFor(path: string): EndpointDefinition['dtCutoff'] {
  if (path.startsWith('/historical-price-eod/')) return { key: 'date', format: '%Y-%m-%d' };
  if (path.startsWith('/historical-chart/') || path.startsWith('/technical-indicators/'))
    return { key: 'date', format: '%Y-%m-%d %H:%M:%S' };
  if (path.startsWith('/news/')) return { key: 'publishedDate', format: '%Y-%m-%d %H:%M:%S' };
  if (/^\/(income|balance-sheet|cash-flow)-statement(-ttm)?$/.test(path)) return { key: 'filingDate', format: '%Y-%m-%d' };
  return undefined;
}

function catalogParameter(name: string, spec: CatalogParameter): z.ZodType {
  const what = PARAMETER_DOCS[name] ?? name;
  const base =
    spec.type === 'integer'
      ? z.number().int().describe(what)
      : spec.type === 'date'
        ? z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
            .describe(`${what}, YYYY-MM-DD`)
        : spec.enum
          ? z.enum(spec.enum as [string, ...string[]]).describe(what)
          : z.string().describe(what);
  return spec.required ? base : base.optional();
}

/** Every endpoint upstream's FMP proxy declares, from `data/fmp-endpoints.json`, under upstream's categories. */
export function fmpCatalogEndpoints(): EndpointDefinition[] {
  const file = new URL('../data/fmp-endpoints.json', import.meta.url);
  const { endpoints } = JSON.parse(readFileSync(file, 'utf8')) as { endpoints: CatalogEndpoint[] };
  return endpoints.map((entry) => {
    const dtCutoff = cutoffFor(entry.endpoint);
    return {
      category: entry.category,
      ...(entry.subCategory ? { subCategory: entry.subCategory } : {}),
      endpoint: entry.endpoint,
      name: entry.name,
      description: entry.description,
      parameters: z.object(
        Object.fromEntries(Object.entries(entry.parameters).map(([name, spec]) => [name, catalogParameter(name, spec)])),
      ),
      examples: Object.fromEntries(Object.entries(entry.parameters).map(([name, spec]) => [name, spec.example])),
      ...(dtCutoff ? { dtCutoff } : {}),
    };
  });
}

/** The FMP proxy, optionally at another base URL (a test server). */
export function fmpProxy(options: FmpProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    path: 'fmp',
    name: 'Financial Modeling Prep',
    description:
      'Stock market data and company fundamentals: quotes, daily and intraday prices, financial statements, ratios, ' +
      'company profiles, analyst grades, insider and congressional trades, 13F holdings, ETFs, indexes, commodities, ' +
      'crypto, forex, news, technical indicators, economic data and earnings call transcripts.',
    baseUrl: options.baseUrl ?? 'https://financialmodelingprep.com/stable',
    apiKey: { env: 'FMP_API_KEY', in: 'query', name: 'apikey' },
    // Upstream's `enums`: the values these parameters take on every endpoint that has them (the docs list them).
    enums: { period: ['quarter', 'annual'], timeframe: ['1min', '5min', '15min', '30min', '1hour', '4hour', '1day'] },
    // FMP's errors are `{ "Error Message": "…" }`, which the default error detection reads.
    endpoints: [
      {
        category: 'market',
        endpoint: '/quote',
        key: 'quote',
        name: 'Stock quote',
        description:
          'The latest price of a stock with the day range, change, volume, 52-week range, moving averages and market cap. ' +
          'A live quote is after any cutoff date, so a backtest gets an empty list: use historical prices there.',
        parameters: z.object({ symbol }),
        examples: { symbol: 'AAPL' },
        exampleResponse: [
          {
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
            timestamp: 1738702801,
          },
        ],
        dtCutoff: { key: 'timestamp', format: 'unix' },
      },
      {
        category: 'market',
        endpoint: '/historical-price-eod/full',
        key: 'historical-prices',
        name: 'Daily price history',
        description:
          'End-of-day prices of a stock, newest first: open, high, low, close, volume, change, change percent and VWAP per trading day.',
        parameters: z.object({
          symbol,
          from: date('First day').optional(),
          to: date('Last day').optional(),
        }),
        examples: { symbol: 'AAPL', from: '2025-01-27', to: '2025-01-31' },
        exampleResponse: [
          {
            symbol: 'AAPL',
            date: '2025-01-31',
            open: 247.19,
            high: 247.19,
            low: 233.44,
            close: 236,
            volume: 101075100,
            change: -11.19,
            changePercent: -4.53,
            vwap: 238.48,
          },
          {
            symbol: 'AAPL',
            date: '2025-01-30',
            open: 238.67,
            high: 240.79,
            low: 237.21,
            close: 237.59,
            volume: 55658300,
            change: -1.08,
            changePercent: -0.45251,
            vwap: 238.57,
          },
        ],
        dtCutoff: { key: 'date', format: '%Y-%m-%d' },
      },
      {
        category: 'fundamentals',
        endpoint: '/income-statement',
        key: 'income-statement',
        name: 'Income statement',
        description:
          'Annual or quarterly income statements, newest first: revenue, costs, operating income, net income, EPS, share counts. ' +
          'Dated by the filing date, so a backtest sees only statements already filed.',
        parameters: z.object({
          symbol,
          period: z.enum(['annual', 'quarter', 'FY', 'Q1', 'Q2', 'Q3', 'Q4']).optional().describe('Which statements; default annual'),
          limit: z.number().int().min(1).max(1000).optional().describe('At most this many statements (default 5, at most 1000)'),
        }),
        examples: { symbol: 'AAPL', period: 'annual', limit: 2 },
        exampleResponse: [
          {
            date: '2024-09-28',
            symbol: 'AAPL',
            reportedCurrency: 'USD',
            cik: '0000320193',
            filingDate: '2024-11-01',
            acceptedDate: '2024-11-01 06:01:36',
            fiscalYear: '2024',
            period: 'FY',
            revenue: 391035000000,
            costOfRevenue: 210352000000,
            grossProfit: 180683000000,
            researchAndDevelopmentExpenses: 31370000000,
            generalAndAdministrativeExpenses: 0,
            sellingAndMarketingExpenses: 0,
            sellingGeneralAndAdministrativeExpenses: 26097000000,
            otherExpenses: 0,
            operatingExpenses: 57467000000,
            costAndExpenses: 267819000000,
            netInterestIncome: 0,
            interestIncome: 0,
            interestExpense: 0,
            depreciationAndAmortization: 11445000000,
            ebitda: 134661000000,
            ebit: 123216000000,
            nonOperatingIncomeExcludingInterest: 269000000,
            operatingIncome: 123216000000,
            totalOtherIncomeExpensesNet: 269000000,
            incomeBeforeTax: 123485000000,
            incomeTaxExpense: 29749000000,
            netIncomeFromContinuingOperations: 93736000000,
            netIncomeFromDiscontinuedOperations: 0,
            otherAdjustmentsToNetIncome: 0,
            netIncome: 93736000000,
            netIncomeDeductions: 0,
            bottomLineNetIncome: 93736000000,
            eps: 6.11,
            epsDiluted: 6.08,
            weightedAverageShsOut: 15343783000,
            weightedAverageShsOutDil: 15408095000,
          },
        ],
        dtCutoff: { key: 'filingDate', format: '%Y-%m-%d' },
      },
      // The rest of FMP as upstream's example declares it (135 endpoints), under its categories.
      ...fmpCatalogEndpoints(),
    ],
  });
}

/** FMP at its public address: discovery registers it as `fmp`. */
export const fmp = fmpProxy();
