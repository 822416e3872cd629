// FRED's series endpoints: search a series ID, read its metadata and observations; then its
// categories and tags, and the tags of a search. Two groups, in the catalog order of this proxy.
import type { EndpointDefinition } from '@lllm/proxy';
import { z } from 'zod';
import {
  date,
  fileType,
  REALTIME_EXAMPLE,
  realtime,
  SERIES_GDP,
  seriesId,
  sortOrder,
  TAG_LIST_EXAMPLE,
  tagNames,
  tagQuery,
  tagsNoise,
  tagsResponse,
} from './_fred-shared.js';

/** Find a series and read its observations: search, metadata, observations. */
export const seriesLookupEndpoints: readonly EndpointDefinition[] = [
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
      ...REALTIME_EXAMPLE,
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
      ...REALTIME_EXAMPLE,
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
    removeKeys: ['realtime_start', 'realtime_end', 'output_type', 'file_type', 'observations/realtime_start', 'observations/realtime_end'],
    dtCutoff: { key: 'observations/date', format: '%Y-%m-%d' },
  },
];
/** Around a series: its categories and tags, and the tags (and related tags) of a series search. */
export const seriesDetailEndpoints: readonly EndpointDefinition[] = [
  {
    category: 'series',
    endpoint: '/series/categories',
    key: 'categories',
    name: 'Categories of a series',
    description: 'The categories a series belongs to.',
    parameters: z.object({ series_id: seriesId, ...realtime, file_type: fileType }),
    examples: { series_id: 'EXJPUS', ...REALTIME_EXAMPLE, file_type: 'json' },
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
      ...REALTIME_EXAMPLE,
      tag_names: 'usa',
      tag_search_text: 'month',
      tag_group_id: 'freq',
      ...TAG_LIST_EXAMPLE,
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
      ...REALTIME_EXAMPLE,
      tag_search_text: 'week',
      tag_group_id: 'freq',
      ...TAG_LIST_EXAMPLE,
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
      order_by: z.enum(['series_count', 'popularity', 'created', 'name', 'group_id']).optional().describe('Sort key; default series_count'),
      sort_order: sortOrder,
      file_type: fileType,
    }),
    examples: {
      series_id: 'STLFSI',
      ...REALTIME_EXAMPLE,
      order_by: 'popularity',
      sort_order: 'desc',
      file_type: 'json',
    },
    exampleResponse: tagsResponse,
    removeKeys: tagsNoise,
  },
];
