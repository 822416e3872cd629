// FRED®, the Federal Reserve Bank of St. Louis' economic data API, written from its public docs
// (https://fred.stlouisfed.org/docs/api/fred/). Get a free key at
// https://fred.stlouisfed.org/docs/api/api_key.html and `export FRED_API_KEY=…`.
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach FRED; tests point `baseUrl` at a local server. */
export interface FredProxyOptions {
  /** Default `https://api.stlouisfed.org/fred`. */
  readonly baseUrl?: string;
}

// FRED answers XML unless asked for JSON, and only as a query parameter: a parameter with a single
// allowed value and a default is sent on every call, and the docs tell agents they can leave it out.
const fileType = z.enum(['json']).default('json').describe('Response format; always "json" (the default), leave it out.');
const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
    .describe(`${what}, YYYY-MM-DD`);
const seriesId = z.string().min(1).describe('FRED series ID, e.g. "GDP", "UNRATE", "CPIAUCSL", "DGS10"');

/** A FRED error body: `{ "error_code": 400, "error_message": "Bad Request.  …" }`. */
function fredError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { error_message?: unknown }).error_message;
  return typeof message === 'string' && message ? message : undefined;
}

const SERIES_GDP = {
  id: 'GDP',
  realtime_start: '2024-07-01',
  realtime_end: '2024-07-01',
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
};

/** The FRED proxy, optionally at another base URL (a mirror, a test server). */
export function fredProxy(options: FredProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    path: 'fred',
    name: 'FRED economic data',
    description:
      'Federal Reserve Economic Data (St. Louis Fed): 800,000+ US and international time series — GDP, inflation, ' +
      'unemployment, interest rates, exchange rates. Search for a series ID, read its metadata, then its observations.',
    baseUrl: options.baseUrl ?? 'https://api.stlouisfed.org/fred',
    apiKey: { env: 'FRED_API_KEY', in: 'query', name: 'api_key' },
    detectError: fredError,
    endpoints: [
      {
        category: 'series',
        endpoint: '/series/search',
        key: 'search',
        name: 'Search series',
        description:
          'Economic data series matching keywords (or a series ID pattern), with ID, title, frequency, units and seasonal adjustment. ' +
          'Use it to find the series ID for the other endpoints.',
        parameters: z.object({
          search_text: z.string().min(1).describe('Words to match, e.g. "unemployment rate"'),
          search_type: z
            .enum(['full_text', 'series_id'])
            .optional()
            .describe(
              '"full_text" (default) matches words in titles, units, frequency and notes; "series_id" a part of the ID ("*" anchors it)',
            ),
          order_by: z
            .enum([
              'search_rank',
              'series_id',
              'title',
              'units',
              'frequency',
              'seasonal_adjustment',
              'last_updated',
              'observation_start',
              'observation_end',
              'popularity',
              'group_popularity',
            ])
            .optional()
            .describe('Sort key; default "search_rank" for full_text searches'),
          sort_order: z.enum(['asc', 'desc']).optional().describe('Sort direction'),
          limit: z.number().int().min(1).max(1000).optional().describe('At most this many series (1–1000, default 1000)'),
          offset: z.number().int().min(0).optional().describe('Skip this many results (paging)'),
          file_type: fileType,
        }),
        examples: {
          search_text: 'unemployment rate',
          search_type: 'full_text',
          order_by: 'popularity',
          sort_order: 'desc',
          limit: 5,
          offset: 0,
          file_type: 'json',
        },
        exampleResponse: {
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          order_by: 'popularity',
          sort_order: 'desc',
          count: 1,
          offset: 0,
          limit: 5,
          seriess: [
            {
              id: 'UNRATE',
              realtime_start: '2024-07-01',
              realtime_end: '2024-07-01',
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
              group_popularity: 95,
              notes: 'The unemployment rate represents the number of unemployed as a percentage of the labor force.',
            },
          ],
        },
        // The real-time period is the same for every series of a call; notes can run to pages.
        removeKeys: ['realtime_start', 'realtime_end', 'seriess/realtime_start', 'seriess/realtime_end', 'seriess/notes'],
        // A series whose first observation is after the cutoff did not exist yet.
        dtCutoff: { key: 'seriess/observation_start', format: '%Y-%m-%d' },
      },
      {
        category: 'series',
        endpoint: '/series',
        key: 'info',
        name: 'Series metadata',
        description: 'One series: title, first and last observation dates, frequency, units, seasonal adjustment, popularity and notes.',
        parameters: z.object({ series_id: seriesId, file_type: fileType }),
        examples: { series_id: 'GDP', file_type: 'json' },
        exampleResponse: { realtime_start: '2024-07-01', realtime_end: '2024-07-01', seriess: [SERIES_GDP] },
        removeKeys: ['realtime_start', 'realtime_end', 'seriess/realtime_start', 'seriess/realtime_end'],
        dtCutoff: { key: 'seriess/observation_start', format: '%Y-%m-%d' },
      },
      {
        category: 'series',
        endpoint: '/series/observations',
        key: 'observations',
        name: 'Series observations',
        description:
          'The dated values of a series, optionally over a date range, transformed (units) or aggregated to a lower frequency. ' +
          'Values are strings; "." marks a missing value.',
        parameters: z.object({
          series_id: seriesId,
          observation_start: date('First observation date').optional(),
          observation_end: date('Last observation date').optional(),
          units: z
            .enum(['lin', 'chg', 'ch1', 'pch', 'pc1', 'pca', 'cch', 'cca', 'log'])
            .optional()
            .describe(
              'Transformation: lin levels (default), chg change, ch1 change from a year ago, pch % change, pc1 % change from a year ago, ' +
                'pca compounded annual rate, cch/cca continuously compounded (annual) rate, log natural log',
            ),
          frequency: z
            .enum(['d', 'w', 'bw', 'm', 'q', 'sa', 'a'])
            .optional()
            .describe('Aggregate to a lower frequency: daily, weekly, biweekly, monthly, quarterly, semiannual, annual'),
          aggregation_method: z.enum(['avg', 'sum', 'eop']).optional().describe('How to aggregate: average (default), sum, end of period'),
          sort_order: z.enum(['asc', 'desc']).optional().describe('By observation date; default "asc"'),
          limit: z.number().int().min(1).max(100000).optional().describe('At most this many observations (1–100000)'),
          offset: z.number().int().min(0).optional().describe('Skip this many observations (paging)'),
          file_type: fileType,
        }),
        examples: {
          series_id: 'GDP',
          observation_start: '2023-01-01',
          observation_end: '2023-12-31',
          units: 'lin',
          frequency: 'q',
          aggregation_method: 'avg',
          sort_order: 'asc',
          limit: 10,
          offset: 0,
          file_type: 'json',
        },
        exampleResponse: {
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          observation_start: '2023-01-01',
          observation_end: '2023-12-31',
          units: 'lin',
          output_type: 1,
          file_type: 'json',
          order_by: 'observation_date',
          sort_order: 'asc',
          count: 4,
          offset: 0,
          limit: 10,
          observations: [
            { realtime_start: '2024-07-01', realtime_end: '2024-07-01', date: '2023-01-01', value: '26813.601' },
            { realtime_start: '2024-07-01', realtime_end: '2024-07-01', date: '2023-04-01', value: '27063.012' },
          ],
        },
        removeKeys: [
          'realtime_start',
          'realtime_end',
          'output_type',
          'file_type',
          'observations/realtime_start',
          'observations/realtime_end',
        ],
        dtCutoff: { key: 'observations/date', format: '%Y-%m-%d' },
      },
    ],
  });
}

/** FRED at its public address: discovery registers it as `fred`. */
export const fred = fredProxy();
