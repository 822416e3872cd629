// FRED®, the Federal Reserve Bank of St. Louis' economic data API, written from its public docs
// (https://fred.stlouisfed.org/docs/api/fred/). Get a free key at
// https://fred.stlouisfed.org/docs/api/api_key.html and `export FRED_API_KEY=…`.
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { categoryEndpoints } from './_fred-categories.js';
import { seriesDetailEndpoints, seriesLookupEndpoints } from './_fred-series.js';
import { tagEndpoints } from './_fred-tags.js';

/** Where to reach FRED; tests point `baseUrl` at a local server. */
export interface FredProxyOptions {
  /** Default `https://api.stlouisfed.org/fred`. */
  readonly baseUrl?: string;
}

/** A FRED error body: `{ "error_code": 400, "error_message": "Bad Request.  …" }`. */
function fredError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const message = (body as { error_message?: unknown }).error_message;
  return typeof message === 'string' && message ? message : undefined;
}

/**
 * What upstream's FRED proxy adds beside its endpoints (its `additional_docs`): how real-time periods
 * work, in our words from FRED's public docs (https://fred.stlouisfed.org/docs/api/fred/realtime_period.html).
 */
const REAL_TIME_PERIODS = `FRED keeps every published version (vintage) of a value. realtime_start and realtime_end
(YYYY-MM-DD) choose which versions you see: by default both are today, so you get the values as they
are known now. To see what was known on a past day, set both to that day; a range returns every
version valid at some point inside it, each row with its own realtime_start and realtime_end.
Observation dates (observation_start, observation_end) are a different thing: which periods the values
describe. A value revised after it was first published has one row per vintage.`;

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
    additionalDocs: { 'Real-Time Periods': REAL_TIME_PERIODS },
    endpoints: [...seriesLookupEndpoints, ...categoryEndpoints, ...seriesDetailEndpoints, ...tagEndpoints],
  });
}

/** FRED at its public address: discovery registers it as `fred`. */
export const fred = fredProxy();
