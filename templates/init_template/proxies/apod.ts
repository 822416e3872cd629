// A sample proxy: NASA's Astronomy Picture of the Day, from the api.nasa.gov docs (https://api.nasa.gov).
// Copy this file to describe your own API. Every module in proxies/ is imported by `lllm` (see the
// [proxies] section of lllm.toml) and every proxy it exports is registered under its `path`.
//
// Try it: `export NASA_API_KEY=DEMO_KEY` (NASA's shared demo key; get your own at api.nasa.gov), then
//   lllm proxies                 # lists apod and its endpoints
//   lllm proxies test apod       # calls each endpoint with its examples
// and add `apod` to `activate_proxies` in config/default/default.yaml to hand it to your agents.
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach the API; tests point `baseUrl` at a local server. */
export interface ApodProxyOptions {
  /** Default `https://api.nasa.gov`. */
  readonly baseUrl?: string;
}

// Shared parameter schemas: `.describe()` text is what agents read in the generated docs.
const date = (what: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date written YYYY-MM-DD')
    .describe(`${what}, YYYY-MM-DD (from 1995-06-16)`);
const thumbs = z.boolean().optional().describe('Also return a thumbnail URL when the entry is a video');

// One entry as the API documents it; used in both example responses.
const ENTRY = {
  copyright: 'Jane Doe',
  date: '2024-06-28',
  explanation: 'A spiral galaxy seen face-on …',
  hdurl: 'https://apod.nasa.gov/apod/image/2406/galaxy_hd.jpg',
  media_type: 'image',
  service_version: 'v1',
  title: 'A Face-on Spiral',
  url: 'https://apod.nasa.gov/apod/image/2406/galaxy.jpg',
};

/**
 * The proxy as a factory, so a test can build it against a local server without editing this file.
 * Discovery registers exported proxy *values* only, so exporting the factory itself is harmless.
 */
export function apodProxy(options: ApodProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    // The registry name and the first segment of every endpoint path: apod/pictures/day.
    path: 'apod',
    name: 'NASA Astronomy Picture of the Day',
    description: 'A daily astronomy image or video with a title and an explanation written by an astronomer, since 1995-06-16.',
    baseUrl: options.baseUrl ?? 'https://api.nasa.gov',
    // The key is read from the environment on every call and never reaches a log, a cache or an error
    // message. api.data.gov takes it as this header (or as the `api_key` query parameter:
    // `{ env: 'NASA_API_KEY', in: 'query', name: 'api_key' }`).
    apiKey: { env: 'NASA_API_KEY', in: 'header', name: 'X-Api-Key' },
    // Where the message of an error body is: APOD's own `{ code, msg }` (a date out of range), or the
    // api.data.gov gateway's `{ error: { code, message } }` (a missing or invalid key).
    detectError: (body) => {
      if (typeof body !== 'object' || body === null) return undefined;
      const { msg, error } = body as { msg?: unknown; error?: { message?: unknown } };
      if (typeof msg === 'string') return msg;
      return typeof error?.message === 'string' ? error.message : undefined;
    },
    endpoints: [
      {
        category: 'pictures',
        endpoint: '/planetary/apod',
        // The key makes the path `apod/pictures/day`; two endpoints may share a URL.
        key: 'day',
        name: 'Picture of one day',
        description: 'The entry of one day: title, explanation, media type and image URLs.',
        parameters: z.object({ date: date('The day'), thumbs }),
        // One example per parameter: the generated docs show them and `lllm proxies test` calls with them.
        examples: { date: '2024-06-28', thumbs: false },
        exampleResponse: ENTRY,
        // Keys an agent does not need are dropped from every response.
        removeKeys: ['service_version'],
        // With a cutoff date (backtests), an entry dated on or after it is withheld (a single object is
        // replaced by an explanation; lists keep only earlier entries).
        dtCutoff: { key: 'date', format: '%Y-%m-%d' },
      },
      {
        category: 'pictures',
        endpoint: '/planetary/apod',
        key: 'range',
        name: 'Pictures of a date range',
        description: 'Every entry from start_date to end_date (default today), oldest first.',
        parameters: z.object({ start_date: date('First day'), end_date: date('Last day').optional(), thumbs }),
        examples: { start_date: '2024-06-27', end_date: '2024-06-28', thumbs: false },
        exampleResponse: [{ ...ENTRY, date: '2024-06-27', title: 'Sunspots' }, ENTRY],
        removeKeys: ['service_version'],
        dtCutoff: { key: 'date', format: '%Y-%m-%d' },
      },
    ],
  });
}

/** The proxy at NASA's address: what discovery registers (as `apod`). */
export const apod = apodProxy();
