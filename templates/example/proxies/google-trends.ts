// Google Trends through SearchApi (https://www.searchapi.io/docs/google-trends), the Python LLLM
// example's `gt` proxy: every endpoint is `GET /api/v1/search` with `engine=google_trends` and a
// `data_type` (TIMESERIES, GEO_MAP, RELATED_QUERIES, RELATED_TOPICS), or `engine=google_trends_autocomplete`.
// Upstream also ships Google's category and location lists as data files; here the two list endpoints
// read them live from Google Trends' own pickers (`_google-trends-pickers.ts`), in upstream's shapes.
// `export SEARCH_API_KEY=…` (upstream's variable).
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';
import { GOOGLE_TRENDS_PICKERS, matching, TrendsPickers } from './_google-trends-pickers.js';

/** Where to reach SearchApi; tests point `baseUrl` at a local server. */
export interface GoogleTrendsProxyOptions {
  /** Default `https://www.searchapi.io/api/v1`. */
  readonly baseUrl?: string;
  /** Where Google Trends' category and location pickers are (default `https://trends.google.com/trends/api/explore/pickers`). */
  readonly pickersUrl?: string;
}

const constant = (value: string, what: string) =>
  z.enum([value]).default(value).describe(`${what}; always "${value}" (the default), leave it out.`);
const q = (example: string) => z.string().min(1).describe(`Search terms, up to 5 separated by commas, e.g. "${example}"`);
const geo = z
  .string()
  .optional()
  .describe('Location: an ISO 3166-1 country or ISO 3166-2 subdivision code, e.g. "US", "US-CA"; default worldwide; see google_trends_geo');
const tz = z.number().int().min(-1439).max(1439).optional().describe('Time-zone offset from UTC in minutes (default 420)');
const gprop = z
  .enum(['', 'images', 'news', 'froogle', 'youtube'])
  .optional()
  .describe('Property: "" web (default), images, news, froogle (Shopping), youtube');
const time = z
  .string()
  .optional()
  .describe(
    'Range: "today 1-d", "today 7-d", "today 1-m", "today 3-m", "today 12-m" (default), "today 5-y", "all", or "YYYY-MM-DD YYYY-MM-DD"',
  );
const cat = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('Google Trends category id, e.g. 7 (Finance), 3 (Arts & Entertainment); default 0 (all); see google_trends_categories');
const listQuery = z
  .string()
  .optional()
  .describe('Keep only entries whose name or id contains this text (any case), e.g. "finance"; default: the whole list');
const hl = z.string().optional().describe('Language of the names, e.g. "en-US" (default), "de"');

/** SearchApi's error body: `{ "error": "Invalid API key. …" }`. */
function searchApiError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' && error ? error : undefined;
}

const TIMELINE = {
  date: 'May 1 – 7, 2022',
  timestamp: '1651363200',
  values: [
    { query: 'Java', value: '59', extracted_value: 59 },
    { query: 'Python', value: '87', extracted_value: 87 },
  ],
};

/** The Google Trends proxy, optionally at another base URL. */
export function googleTrendsProxy(options: GoogleTrendsProxyOptions = {}): ProxyDefinition {
  const trends = { engine: constant('google_trends', 'SearchApi engine') };
  const pickers = new TrendsPickers(options.pickersUrl ?? GOOGLE_TRENDS_PICKERS);
  return defineProxy({
    path: 'gt',
    name: 'Google Trends Search API',
    description:
      'Google Trends via SearchApi: interest over time for up to 5 terms, interest by region, related queries and topics, ' +
      'and topic autocomplete.',
    baseUrl: options.baseUrl ?? 'https://www.searchapi.io/api/v1',
    apiKey: { env: 'SEARCH_API_KEY', in: 'query', name: 'api_key' },
    detectError: searchApiError,
    endpoints: [
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_overtime',
        name: 'Interest over time',
        description: 'Weekly (or finer) interest, 0–100, for up to 5 comma-separated terms, and each term’s average.',
        parameters: z.object({ q: q('Java,Python'), geo, tz, gprop, time, ...trends, data_type: constant('TIMESERIES', 'Data type') }),
        examples: { q: 'Java,Python', geo: 'US', tz: 420, gprop: '', time: 'today 12-m', engine: 'google_trends', data_type: 'TIMESERIES' },
        exampleResponse: { interest_over_time: { averages: [{ query: 'Java', value: 58 }], timeline_data: [TIMELINE] } },
        removeKeys: ['search_metadata', 'search_parameters'],
        dtCutoff: { key: 'interest_over_time/timeline_data/timestamp', format: 'unix' },
      },
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_by_category',
        name: 'Interest over time in a category',
        description: 'Interest over time of a whole category (a term is optional).',
        parameters: z.object({
          cat: z.number().int().min(0).describe('Category id, e.g. 3 (Arts & Entertainment)'),
          q: z.string().optional().describe('Optional search terms'),
          geo,
          tz,
          gprop,
          time,
          ...trends,
          data_type: constant('TIMESERIES', 'Data type'),
        }),
        examples: { cat: 3, q: '', geo: '', tz: 420, gprop: '', time: 'today 12-m', engine: 'google_trends', data_type: 'TIMESERIES' },
        exampleResponse: {
          interest_over_time: {
            timeline_data: [{ date: 'Mar 24 – 30, 2024', timestamp: '1711238400', values: [{ value: '88', extracted_value: 88 }] }],
          },
        },
        removeKeys: ['search_metadata', 'search_parameters'],
        dtCutoff: { key: 'interest_over_time/timeline_data/timestamp', format: 'unix' },
      },
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_by_region',
        name: 'Interest by region',
        description: 'Interest per country, region, metro or city for the given terms.',
        parameters: z.object({
          q: q('Java,Python,Ruby'),
          region: z
            .enum(['COUNTRY', 'REGION', 'DMA', 'CITY'])
            .optional()
            .describe('Resolution: COUNTRY (worldwide only), REGION, DMA (metro), CITY'),
          cat,
          geo,
          tz,
          gprop,
          time,
          ...trends,
          data_type: constant('GEO_MAP', 'Data type'),
        }),
        examples: {
          q: 'Java,Python,Ruby',
          region: 'COUNTRY',
          cat: 0,
          geo: '',
          tz: 420,
          gprop: '',
          time: 'today 12-m',
          engine: 'google_trends',
          data_type: 'GEO_MAP',
        },
        exampleResponse: {
          interest_by_region: [{ geo: 'US', name: 'United States', values: [{ query: 'Java', value: '31%', extracted_value: 31 }] }],
        },
        removeKeys: ['search_metadata', 'search_parameters'],
      },
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_related_queries',
        name: 'Related queries',
        description: 'Top and rising searches related to the term.',
        parameters: z.object({ q: q('Java'), cat, geo, tz, gprop, time, ...trends, data_type: constant('RELATED_QUERIES', 'Data type') }),
        examples: {
          q: 'Java',
          cat: 0,
          geo: 'US',
          tz: 420,
          gprop: '',
          time: 'today 12-m',
          engine: 'google_trends',
          data_type: 'RELATED_QUERIES',
        },
        exampleResponse: {
          related_queries: { top: [{ position: 1, query: 'java download', value: '100', extracted_value: 100 }], rising: [] },
        },
        removeKeys: ['search_metadata', 'search_parameters'],
      },
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_related_topics',
        name: 'Related topics',
        description: 'Top and rising topics related to the term.',
        parameters: z.object({ q: q('Java'), cat, geo, tz, gprop, time, ...trends, data_type: constant('RELATED_TOPICS', 'Data type') }),
        examples: {
          q: 'Java',
          cat: 0,
          geo: 'US',
          tz: 420,
          gprop: '',
          time: 'today 12-m',
          engine: 'google_trends',
          data_type: 'RELATED_TOPICS',
        },
        exampleResponse: {
          related_topics: {
            top: [{ position: 1, id: '/m/07sbkfb', title: 'Java', type: 'Programming language', value: '100', extracted_value: 100 }],
            rising: [],
          },
        },
        removeKeys: ['search_metadata', 'search_parameters'],
      },
      {
        category: 'google trends',
        endpoint: '/search',
        key: 'google_trends_autocomplete',
        name: 'Autocomplete',
        description: 'Topics matching a word, with their ids (usable as q) and types.',
        parameters: z.object({
          q: z.string().min(1).describe('A word, e.g. "Programming language"'),
          engine: constant('google_trends_autocomplete', 'SearchApi engine'),
        }),
        examples: { q: 'Programming language', engine: 'google_trends_autocomplete' },
        exampleResponse: {
          suggestions: [
            { id: '/m/01t6b', title: 'C', type: 'Programming language', link: 'https://trends.google.com/trends/explore?q=/m/01t6b' },
          ],
        },
        removeKeys: ['search_metadata', 'search_parameters'],
      },
      {
        category: 'google trends',
        endpoint: '/pickers/category',
        key: 'google_trends_categories',
        name: 'Google Trends categories',
        description: 'Every Google Trends category with its id (the `cat` of the other endpoints); `query` narrows the list.',
        parameters: z.object({ query: listQuery, hl }),
        examples: { query: 'finance' },
        exampleResponse: [
          { category_id: '7', category_description: 'Finance' },
          { category_id: '278', category_description: 'Financial Planning' },
        ],
        handler: async (params, { signal }) =>
          matching(await pickers.categories((params.hl as string | undefined) ?? 'en-US', signal), params.query as string | undefined),
      },
      {
        category: 'google trends',
        endpoint: '/pickers/geo',
        key: 'google_trends_geo',
        name: 'Google Trends locations',
        description:
          'Every Google Trends location with its code (the `geo` of the other endpoints; "" is worldwide); `query` narrows the list.',
        parameters: z.object({ query: listQuery, hl }),
        examples: { query: 'California' },
        exampleResponse: [
          { geo_id: 'US-CA', geo_description: 'California' },
          { geo_id: 'US-CA-807', geo_description: 'San Francisco-Oakland-San Jose CA' },
        ],
        handler: async (params, { signal }) =>
          matching(await pickers.geo((params.hl as string | undefined) ?? 'en-US', signal), params.query as string | undefined),
      },
    ],
  });
}

/** Google Trends via SearchApi at its public address: discovery registers it as `gt`. */
export const gt = googleTrendsProxy();
