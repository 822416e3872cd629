// Main Street Data (https://api.mainstreetdata.com/docs/), the Python LLLM example's `msd` proxy:
// operating KPIs of ~2,500 US companies (Tesla deliveries by model, Meta daily active users, segment
// revenue…) beyond the financial statements. The key travels in the `x-api-key` header;
// `export MSD_API_KEY=…`. Endpoints and fields as upstream declares them from the API's reference.
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach Main Street Data; tests point `baseUrl` at a local server. */
export interface MsdProxyOptions {
  /** Default `https://api.mainstreetdata.com/api/v1`. */
  readonly baseUrl?: string;
}

const ticker = z.string().min(1).describe('Stock ticker, e.g. "AAPL", "TSLA", "SOFI"');
const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
    .describe(`${what} (inclusive), YYYY-MM-DD`);
const freq = z.enum(['annual', 'quarterly', 'ttm']).describe('Data frequency; default quarterly (some metrics are annual only)');

/** `{ "error": "Company with ticker 'XYZ' not found" }` */
function msdError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' && error ? error : undefined;
}

/** The Main Street Data proxy, optionally at another base URL. */
export function msdProxy(options: MsdProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    path: 'msd',
    name: 'Main Street Data API',
    description:
      'Thousands of curated operating KPIs for ~2,500 US companies, beyond standard financial statements: e.g. TSLA ' +
      'vehicles delivered by model and Supercharger stations, META family daily active users, NVDA operating income by ' +
      'segment, SPOT premium users, PLTR total customers, UBER take rate. List companies, their KPI names, then values.',
    baseUrl: options.baseUrl ?? 'https://api.mainstreetdata.com/api/v1',
    apiKey: { env: 'MSD_API_KEY', in: 'header', name: 'x-api-key' },
    detectError: msdError,
    endpoints: [
      {
        category: 'companies',
        endpoint: '/companies/{ticker}',
        key: 'company',
        name: 'Company data',
        description: "A company's metrics and their dated values (one metric with metricName, else all).",
        parameters: z.object({
          ticker,
          freq: freq.optional(),
          metricName: z.string().optional().describe('A KPI column name from the KPI endpoint, e.g. "aapl_americas_msd"; default all'),
          startDate: date('First data point').optional(),
          endDate: date('Last data point').optional(),
          yoy: z.boolean().optional().describe('Also give year-over-year % changes'),
          percentRevenue: z.boolean().optional().describe("Also give each value's % of revenue"),
        }),
        examples: {
          ticker: 'AAPL',
          freq: 'quarterly',
          metricName: 'aapl_americas_msd',
          startDate: '2023-01-01',
          endDate: '2023-12-31',
          yoy: false,
          percentRevenue: false,
        },
        exampleResponse: {
          company: { ticker: 'AAPL', name: 'Apple', totalMetrics: 1 },
          metrics: [
            {
              name: 'Americas Revenue',
              type: 'cumulative',
              category: 'Revenue by Geography',
              values: [
                { x: '2023-03-31T00:00:00.000Z', y: 37874000000, valueType: 'CURRENCY' },
                { x: '2023-06-30T00:00:00.000Z', y: 35383000000, valueType: 'CURRENCY' },
              ],
            },
          ],
        },
        dtCutoff: { key: 'metrics/values/x', format: 'iso' },
      },
      {
        category: 'companies',
        endpoint: '/companies',
        key: 'list',
        name: 'Company list',
        description: 'Every ticker the API covers.',
        exampleResponse: ['AAPL', 'SOFI', 'TSLA'],
      },
      {
        category: 'companies',
        endpoint: '/companies/{ticker}/kpi',
        key: 'kpi',
        name: 'KPI names',
        description: "A company's KPIs: label, column name (the metricName to ask for), category, and whether it is annual only.",
        parameters: z.object({ ticker }),
        examples: { ticker: 'AAPL' },
        exampleResponse: [
          { label: 'Global Active Devices', columnName: 'aapl_total_active_devices_msd', onlyAnnual: true, category: 'Operating Metrics' },
          { label: 'iPhone', columnName: 'aapl_iphone_msd', onlyAnnual: false, category: 'Revenue by Segment' },
        ],
      },
      {
        category: 'companies',
        endpoint: '/companies',
        method: 'POST',
        key: 'multiple',
        name: 'Multiple companies data',
        description: 'Metrics of several companies in one call (tickers in the JSON body).',
        parameters: z.object({
          tickers: z.array(ticker).min(1).describe('Tickers, e.g. ["AAPL", "MSFT"]'),
          metrics: z.array(z.string()).optional().describe('KPI column names; default all'),
          startDate: date('First data point').optional(),
          endDate: date('Last data point').optional(),
        }),
        examples: { tickers: ['AAPL', 'MSFT'], metrics: ['aapl_iphone_msd'], startDate: '2023-01-01', endDate: '2023-12-31' },
        exampleResponse: {
          companies: [
            {
              company: { ticker: 'AAPL', name: 'Apple Inc.' },
              metrics: [
                { name: 'iPhone', leftSymbol: '$', rightSymbol: '%', values: [{ x: '2023-09-30', y: 43805000000, valueType: 'CURRENCY' }] },
              ],
            },
          ],
        },
        dtCutoff: { key: 'companies/metrics/values/x', format: 'iso' },
      },
    ],
  });
}

/** Main Street Data at its public address: discovery registers it as `msd`. */
export const msd = msdProxy();
