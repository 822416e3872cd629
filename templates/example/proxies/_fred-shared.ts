// FRED proxy pieces shared by its endpoint groups: parameter schemas and example payloads.
// (A leading "_" keeps discovery from importing this file as a proxy module.)
import { z } from 'zod';

// FRED answers XML unless asked for JSON, and only as a query parameter: a parameter with a single
// allowed value and a default is sent on every call, and the docs tell agents they can leave it out.
export const fileType = z.enum(['json']).default('json').describe('Response format; always "json" (the default), leave it out.');
export const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
    .describe(`${what}, YYYY-MM-DD`);
export const seriesId = z.string().min(1).describe('FRED series ID, e.g. "GDP", "UNRATE", "CPIAUCSL", "DGS10"');

export const categoryId = z
  .number()
  .int()
  .min(0)
  .describe('FRED category id; 0 is the root, e.g. 125 (Trade Balance), 32991 (Money, Banking, & Finance)');
export const realtime = {
  realtime_start: date('Start of the real-time period (vintage)').optional(),
  realtime_end: date('End of the real-time period').optional(),
};
export const paging = (max: number) => ({
  limit: z.number().int().min(1).max(max).optional().describe(`At most this many results (1–${max}, default ${max})`),
  offset: z.number().int().min(0).optional().describe('Skip this many results (paging)'),
});
export const sortOrder = z.enum(['asc', 'desc']).optional().describe('Sort direction');
export const seriesOrder = z
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
export const tagNames = (what: string) => z.string().describe(`${what}: tag names separated by ";", e.g. "usa;gdp"`);
/** The real-time period every endpoint's examples ask for. */
export const REALTIME_EXAMPLE = { realtime_start: '2024-07-01', realtime_end: '2024-07-01' };
/** The paging and order a tag list's examples ask for (`tagQuery` after `tag_group_id`), and JSON. */
export const TAG_LIST_EXAMPLE = { limit: 10, offset: 0, order_by: 'series_count', sort_order: 'desc', file_type: 'json' };
export const tagQuery = {
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
export const CATEGORY = { id: 125, name: 'Trade Balance', parent_id: 13 };
export const TAG = {
  name: 'usa',
  group_id: 'geo',
  notes: 'United States of America',
  created: '2012-02-27 10:18:19-06',
  popularity: 100,
  series_count: 544634,
};
export const tagsResponse = {
  realtime_start: '2024-07-01',
  realtime_end: '2024-07-01',
  order_by: 'series_count',
  sort_order: 'desc',
  count: 1,
  offset: 0,
  limit: 1000,
  tags: [TAG],
};
export const tagsNoise = ['realtime_start', 'realtime_end'];
export const seriesNoise = ['realtime_start', 'realtime_end', 'seriess/realtime_start', 'seriess/realtime_end', 'seriess/notes'];

export const SERIES_GDP = {
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
