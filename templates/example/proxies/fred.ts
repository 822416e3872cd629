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

const categoryId = z
  .number()
  .int()
  .min(0)
  .describe('FRED category id; 0 is the root, e.g. 125 (Trade Balance), 32991 (Money, Banking, & Finance)');
const realtime = {
  realtime_start: date('Start of the real-time period (vintage)').optional(),
  realtime_end: date('End of the real-time period').optional(),
};
const paging = (max: number) => ({
  limit: z.number().int().min(1).max(max).optional().describe(`At most this many results (1–${max}, default ${max})`),
  offset: z.number().int().min(0).optional().describe('Skip this many results (paging)'),
});
const sortOrder = z.enum(['asc', 'desc']).optional().describe('Sort direction');
const seriesOrder = z
  .enum([
    'series_id',
    'title',
    'units',
    'frequency',
    'seasonal_adjustment',
    'realtime_start',
    'realtime_end',
    'last_updated',
    'observation_start',
    'observation_end',
    'popularity',
    'group_popularity',
  ])
  .optional()
  .describe('Sort key for series');
const tagNames = (what: string) => z.string().describe(`${what}: tag names separated by ";", e.g. "usa;gdp"`);
const tagQuery = {
  tag_group_id: z
    .enum(['freq', 'gen', 'geo', 'geot', 'rls', 'seas', 'src'])
    .optional()
    .describe(
      'Only tags of this group: freq frequency, gen general, geo geography, geot geography type, rls release, seas seasonal adjustment, src source',
    ),
  ...paging(1000),
  order_by: z
    .enum(['series_count', 'popularity', 'created', 'name', 'group_id'])
    .optional()
    .describe('Sort key for tags; default series_count'),
  sort_order: sortOrder,
};
const CATEGORY = { id: 125, name: 'Trade Balance', parent_id: 13 };
const TAG = {
  name: 'usa',
  group_id: 'geo',
  notes: 'United States of America',
  created: '2012-02-27 10:18:19-06',
  popularity: 100,
  series_count: 544634,
};
const tagsResponse = {
  realtime_start: '2024-07-01',
  realtime_end: '2024-07-01',
  order_by: 'series_count',
  sort_order: 'desc',
  count: 1,
  offset: 0,
  limit: 1000,
  tags: [TAG],
};
const tagsNoise = ['realtime_start', 'realtime_end'];
const seriesNoise = ['realtime_start', 'realtime_end', 'seriess/realtime_start', 'seriess/realtime_end', 'seriess/notes'];

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
        // A series whose first observation is on or after the cutoff did not exist yet.
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
      {
        category: 'categories',
        endpoint: '/category',
        key: 'category',
        name: 'Category',
        description: 'One category: its name and parent.',
        parameters: z.object({ category_id: categoryId.optional(), file_type: fileType }),
        examples: { category_id: 125, file_type: 'json' },
        exampleResponse: { categories: [CATEGORY] },
      },
      {
        category: 'categories',
        endpoint: '/category/children',
        key: 'children',
        name: 'Child categories',
        description: 'The categories under a category: browse from 0 (the root) down to series.',
        parameters: z.object({ category_id: categoryId.optional(), ...realtime, file_type: fileType }),
        examples: { category_id: 13, realtime_start: '2024-07-01', realtime_end: '2024-07-01', file_type: 'json' },
        exampleResponse: {
          categories: [
            { id: 16, name: 'Exports', parent_id: 13 },
            { id: 17, name: 'Imports', parent_id: 13 },
          ],
        },
      },
      {
        category: 'categories',
        endpoint: '/category/related',
        key: 'related',
        name: 'Related categories',
        description: 'Categories related to a category (e.g. a state and its counties).',
        parameters: z.object({ category_id: categoryId, ...realtime, file_type: fileType }),
        examples: { category_id: 32073, realtime_start: '2024-07-01', realtime_end: '2024-07-01', file_type: 'json' },
        exampleResponse: { categories: [{ id: 149, name: 'Arkansas', parent_id: 27281 }] },
      },
      {
        category: 'categories',
        endpoint: '/category/series',
        key: 'series',
        name: 'Series in a category',
        description: 'The series of a category, optionally filtered by frequency, units or seasonal adjustment, or by tags.',
        parameters: z.object({
          category_id: categoryId,
          ...realtime,
          ...paging(1000),
          order_by: seriesOrder,
          sort_order: sortOrder,
          filter_variable: z.enum(['frequency', 'units', 'seasonal_adjustment']).optional().describe('Filter on this attribute'),
          filter_value: z.string().optional().describe('The value filter_variable must have, e.g. "Monthly"'),
          tag_names: tagNames('Series with all these tags').optional(),
          exclude_tag_names: tagNames('Series with none of these tags').optional(),
          file_type: fileType,
        }),
        examples: {
          category_id: 125,
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          limit: 5,
          offset: 0,
          order_by: 'popularity',
          sort_order: 'desc',
          filter_variable: 'frequency',
          filter_value: 'Monthly',
          tag_names: 'usa',
          exclude_tag_names: 'discontinued',
          file_type: 'json',
        },
        exampleResponse: { count: 1, offset: 0, limit: 5, seriess: [SERIES_GDP] },
        removeKeys: seriesNoise,
        dtCutoff: { key: 'seriess/observation_start', format: '%Y-%m-%d' },
      },
      {
        category: 'categories',
        endpoint: '/category/tags',
        key: 'tags',
        name: 'Tags of a category',
        description: 'The tags of the series in a category.',
        parameters: z.object({
          category_id: categoryId,
          ...realtime,
          tag_names: tagNames('Only these tags').optional(),
          search_text: z.string().optional().describe('Words to find in tag names and notes'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          category_id: 125,
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          tag_names: 'usa',
          search_text: 'balance',
          tag_group_id: 'geo',
          limit: 10,
          offset: 0,
          order_by: 'series_count',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'categories',
        endpoint: '/category/related_tags',
        key: 'related-tags',
        name: 'Related tags of a category',
        description: 'Tags that series of a category carry together with the given tags.',
        parameters: z.object({
          category_id: categoryId,
          tag_names: tagNames('Tags the series have'),
          exclude_tag_names: tagNames('Tags the series do not have').optional(),
          ...realtime,
          search_text: z.string().optional().describe('Words to find in tag names and notes'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          category_id: 125,
          tag_names: 'services;quarterly',
          exclude_tag_names: 'goods',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          search_text: 'balance',
          tag_group_id: 'geo',
          limit: 10,
          offset: 0,
          order_by: 'series_count',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'series',
        endpoint: '/series/categories',
        key: 'categories',
        name: 'Categories of a series',
        description: 'The categories a series belongs to.',
        parameters: z.object({ series_id: seriesId, ...realtime, file_type: fileType }),
        examples: { series_id: 'EXJPUS', realtime_start: '2024-07-01', realtime_end: '2024-07-01', file_type: 'json' },
        exampleResponse: { categories: [{ id: 95, name: 'Monthly Rates', parent_id: 15 }] },
      },
      {
        category: 'series',
        endpoint: '/series/search/tags',
        key: 'search-tags',
        name: 'Tags of a series search',
        description: 'The tags of the series a search finds: narrow a search before listing series.',
        parameters: z.object({
          series_search_text: z.string().min(1).describe('Words to search series for, e.g. "monetary service index"'),
          ...realtime,
          tag_names: tagNames('Only these tags').optional(),
          tag_search_text: z.string().optional().describe('Words to find in tag names'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          series_search_text: 'monetary service index',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          tag_names: 'usa',
          tag_search_text: 'month',
          tag_group_id: 'freq',
          limit: 10,
          offset: 0,
          order_by: 'series_count',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'series',
        endpoint: '/series/search/related_tags',
        key: 'search-related-tags',
        name: 'Related tags of a series search',
        description: 'Tags that the series a search finds carry together with the given tags.',
        parameters: z.object({
          series_search_text: z.string().min(1).describe('Words to search series for'),
          tag_names: tagNames('Tags the series have'),
          exclude_tag_names: tagNames('Tags the series do not have').optional(),
          ...realtime,
          tag_search_text: z.string().optional().describe('Words to find in tag names'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          series_search_text: 'mortgage rate',
          tag_names: '30-year;frb',
          exclude_tag_names: 'discontinued',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          tag_search_text: 'week',
          tag_group_id: 'freq',
          limit: 10,
          offset: 0,
          order_by: 'series_count',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'series',
        endpoint: '/series/tags',
        key: 'tags',
        name: 'Tags of a series',
        description: 'The tags of one series (source, geography, frequency, …).',
        parameters: z.object({
          series_id: seriesId,
          ...realtime,
          order_by: z
            .enum(['series_count', 'popularity', 'created', 'name', 'group_id'])
            .optional()
            .describe('Sort key; default series_count'),
          sort_order: sortOrder,
          file_type: fileType,
        }),
        examples: {
          series_id: 'STLFSI',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          order_by: 'popularity',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'tags',
        endpoint: '/tags',
        key: 'tags',
        name: 'Tags',
        description: 'All FRED tags, or those matching words or names: the vocabulary for the tag filters.',
        parameters: z.object({
          ...realtime,
          tag_names: tagNames('Only these tags').optional(),
          search_text: z.string().optional().describe('Words to find in tag names and notes'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          tag_names: 'gdp;oecd',
          search_text: 'gdp',
          tag_group_id: 'gen',
          limit: 10,
          offset: 0,
          order_by: 'popularity',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'tags',
        endpoint: '/related_tags',
        key: 'related-tags',
        name: 'Related tags',
        description: 'Tags that series carry together with all the given tags.',
        parameters: z.object({
          tag_names: tagNames('Tags the series have'),
          exclude_tag_names: tagNames('Tags the series do not have').optional(),
          ...realtime,
          search_text: z.string().optional().describe('Words to find in tag names and notes'),
          ...tagQuery,
          file_type: fileType,
        }),
        examples: {
          tag_names: 'monetary aggregates;weekly',
          exclude_tag_names: 'discontinued',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          search_text: 'usa',
          tag_group_id: 'geo',
          limit: 10,
          offset: 0,
          order_by: 'series_count',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: tagsResponse,
        removeKeys: tagsNoise,
      },
      {
        category: 'tags',
        endpoint: '/tags/series',
        key: 'series',
        name: 'Series with tags',
        description: 'The series that carry all the given tags and none of the excluded ones.',
        parameters: z.object({
          tag_names: tagNames('Tags the series have'),
          exclude_tag_names: tagNames('Tags the series do not have').optional(),
          ...realtime,
          ...paging(1000),
          order_by: seriesOrder,
          sort_order: sortOrder,
          file_type: fileType,
        }),
        examples: {
          tag_names: 'slovenia;food;oecd',
          exclude_tag_names: 'discontinued',
          realtime_start: '2024-07-01',
          realtime_end: '2024-07-01',
          limit: 5,
          offset: 0,
          order_by: 'popularity',
          sort_order: 'desc',
          file_type: 'json',
        },
        exampleResponse: { count: 1, offset: 0, limit: 5, seriess: [SERIES_GDP] },
        removeKeys: seriesNoise,
        dtCutoff: { key: 'seriess/observation_start', format: '%Y-%m-%d' },
      },
    ],
  });
}

/** FRED at its public address: discovery registers it as `fred`. */
export const fred = fredProxy();
