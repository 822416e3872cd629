// Prediction markets, the Python LLLM example's `pm` proxy (a stub upstream: its one endpoint,
// `search_kalshi_events`, raised NotImplementedError). Here it works: Kalshi's public market-data API
// (https://docs.kalshi.com, `GET /trade-api/v2/events`, no key needed to read) is paged through and
// the events whose title, subtitle or ticker hold every keyword are returned.
import { defineProxy, type ProxyDefinition, ProxyError } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach Kalshi and how; tests point `baseUrl` at a local server. */
export interface KalshiProxyOptions {
  /** Default `https://api.elections.kalshi.com/trade-api/v2`. */
  readonly baseUrl?: string;
  /** Default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** One event of `GET /events` (the fields the search reads; the rest are passed through). */
interface KalshiEvent {
  readonly event_ticker: string;
  readonly series_ticker?: string;
  readonly title?: string;
  readonly sub_title?: string;
  readonly category?: string;
  readonly [field: string]: unknown;
}

/** The prediction-market proxy, optionally at another base URL. */
export function kalshiProxy(options: KalshiProxyOptions = {}): ProxyDefinition {
  const baseUrl = (options.baseUrl ?? 'https://api.elections.kalshi.com/trade-api/v2').replace(/\/$/, '');
  const fetchImpl = options.fetch ?? fetch;
  return defineProxy({
    path: 'pm',
    name: 'Prediction Market Search API',
    description: 'Prediction markets on Kalshi: find events by keywords (title, subtitle, ticker) with their category and series.',
    baseUrl,
    endpoints: [
      {
        category: 'prediction market',
        endpoint: '/events',
        key: 'search_kalshi_events',
        name: 'Search Kalshi events',
        description: 'Kalshi events whose title, subtitle or ticker contain every keyword (case-insensitive), newest pages first.',
        parameters: z.object({
          query: z.string().min(1).describe('One or more keywords, e.g. "fed rate"'),
          status: z.enum(['open', 'closed', 'settled']).optional().describe('Only events with markets in this state; default all'),
          limit: z.number().int().min(1).max(100).optional().describe('At most this many events (default 20)'),
          max_pages: z.number().int().min(1).max(20).optional().describe('How many pages of 200 events to search (default 5)'),
        }),
        examples: { query: 'fed rate', status: 'open', limit: 5, max_pages: 2 },
        exampleResponse: {
          events: [
            {
              event_ticker: 'FED-25DEC',
              series_ticker: 'FED',
              title: 'Fed rate decision in December 2025?',
              sub_title: 'Dec 10, 2025',
              category: 'Economics',
            },
          ],
          searched: 400,
        },
        handler: async (params, { signal }) => {
          const words = String(params.query).toLowerCase().split(/\s+/).filter(Boolean);
          const limit = Number(params.limit ?? 20);
          const maxPages = Number(params.max_pages ?? 5);
          const found: KalshiEvent[] = [];
          let cursor = '';
          let searched = 0;
          for (let page = 0; page < maxPages && found.length < limit; page++) {
            const url = new URL(`${baseUrl}/events`);
            url.searchParams.set('limit', '200');
            if (params.status) url.searchParams.set('status', String(params.status));
            if (cursor) url.searchParams.set('cursor', cursor);
            const response = await fetchImpl(url, { signal, headers: { accept: 'application/json' } });
            const text = await response.text();
            if (!response.ok) {
              throw new ProxyError(
                `pm/prediction-market/search-kalshi-events: Kalshi answered HTTP ${response.status}: ${text.slice(0, 300)}`,
                {
                  kind: 'http',
                  path: 'pm/prediction-market/search-kalshi-events',
                  statusCode: response.status,
                },
              );
            }
            const body = JSON.parse(text) as { events?: KalshiEvent[]; cursor?: string };
            for (const event of body.events ?? []) {
              searched += 1;
              const haystack = `${event.title ?? ''} ${event.sub_title ?? ''} ${event.event_ticker}`.toLowerCase();
              if (words.every((word) => haystack.includes(word))) found.push(event);
            }
            cursor = body.cursor ?? '';
            if (!cursor) break;
          }
          return { events: found.slice(0, limit), searched };
        },
      },
    ],
  });
}

/** Kalshi at its public address: discovery registers it as `pm`. */
export const pm = kalshiProxy();
