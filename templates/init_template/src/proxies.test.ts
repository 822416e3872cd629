// The sample proxy against a local server that answers as the API documents (entries, errors, the key
// checked), through the real ProxyRuntime: the test needs no network. Test your own proxies this way.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProxyError, ProxyRuntime, registerProxiesFromModule, unregisterProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as apodModule from '../proxies/apod.js';
import { apodProxy } from '../proxies/apod.js';

const KEY = 'test-key-nasa-3e8d2a91c0';

const ENTRIES = ['2024-06-26', '2024-06-27', '2024-06-28', '2024-06-29', '2024-06-30'].map((date, index) => ({
  date,
  explanation: `Explanation ${index + 1}.`,
  hdurl: `https://apod.nasa.gov/apod/image/2406/picture${index + 1}_hd.jpg`,
  media_type: 'image',
  service_version: 'v1',
  title: `Picture ${index + 1}`,
  url: `https://apod.nasa.gov/apod/image/2406/picture${index + 1}.jpg`,
}));

interface Request {
  readonly query: URLSearchParams;
  readonly key: string | undefined;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

// What api.nasa.gov answers: the gateway checks the key (403 with `{ error: { code, message } }`), then
// APOD returns one entry for `date`, a list for `start_date`/`end_date`, or `{ code, msg }` errors.
function answer(path: string, request: Request): Reply {
  const key = request.key ?? request.query.get('api_key');
  if (!key)
    return {
      status: 403,
      body: { error: { code: 'API_KEY_MISSING', message: 'No api_key was supplied. Get one at https://api.data.gov' } },
    };
  if (key !== KEY)
    return {
      status: 403,
      body: { error: { code: 'API_KEY_INVALID', message: 'An invalid api_key was supplied. Get one at https://api.data.gov' } },
    };
  if (path !== '/planetary/apod') return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'No api found for this URL' } } };
  const outOfRange = {
    status: 400,
    body: { code: 400, msg: 'Date must be between Jun 16, 1995 and Jun 30, 2024.', service_version: 'v1' },
  };
  const start = request.query.get('start_date');
  if (start) {
    const end = request.query.get('end_date') ?? '2024-06-30';
    if (start < '1995-06-16' || end > '2024-06-30') return outOfRange;
    return { status: 200, body: ENTRIES.filter((entry) => entry.date >= start && entry.date <= end) };
  }
  const date = request.query.get('date') ?? '2024-06-30';
  const entry = ENTRIES.find((candidate) => candidate.date === date);
  return entry ? { status: 200, body: entry } : outOfRange;
}

let server: Server;
let baseUrl: string;
const requests: (Request & { path: string })[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const header = request.headers['x-api-key'];
    const recorded = { path: url.pathname, query: url.searchParams, key: Array.isArray(header) ? header[0] : header };
    requests.push(recorded);
    const reply = answer(url.pathname, recorded);
    response.writeHead(reply.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function runtime(options: { cutoffDate?: string; key?: string } = {}): ProxyRuntime {
  return new ProxyRuntime({
    activate: [apodProxy({ baseUrl })],
    env: { NASA_API_KEY: options.key ?? KEY },
    ...(options.cutoffDate ? { cutoffDate: options.cutoffDate } : {}),
    // These tests read the wire (a wrong key must reach the API); the cache (on by default) is @lllm/proxy's to test.
    cache: false,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ProxyError.isInstance(error)) throw new Error(`expected a ProxyError, got ${String(error)}`);
  return error;
}

describe('the sample proxy (apod)', () => {
  it('is what discovery registers, at NASA’s address', () => {
    try {
      expect(registerProxiesFromModule(apodModule, { file: 'proxies/apod.ts' })).toEqual(['apod']);
      expect(apodModule.apod.baseUrl).toBe('https://api.nasa.gov');
      expect(apodModule.apod.endpoints.map((endpoint) => endpoint.fullPath)).toEqual(['apod/pictures/day', 'apod/pictures/range']);
    } finally {
      unregisterProxy('apod');
    }
  });

  it('is skipped with a warning when NASA_API_KEY is unset', () => {
    const proxy = new ProxyRuntime({ activate: [apodProxy({ baseUrl })], env: {} });
    expect(proxy.activated()).toEqual([]);
    expect(proxy.warnings).toEqual([expect.stringContaining('NASA_API_KEY is not set')]);
  });

  it('returns one day’s entry, sending the key as a header and dropping service_version', async () => {
    const entry = await runtime().call('apod/pictures/day', { date: '2024-06-28' });
    expect(entry).toEqual({
      date: '2024-06-28',
      explanation: 'Explanation 3.',
      hdurl: 'https://apod.nasa.gov/apod/image/2406/picture3_hd.jpg',
      media_type: 'image',
      title: 'Picture 3',
      url: 'https://apod.nasa.gov/apod/image/2406/picture3.jpg',
    });
    const request = requests.at(-1);
    expect(request?.path).toBe('/planetary/apod');
    expect(request?.key).toBe(KEY);
    expect(request?.query.get('date')).toBe('2024-06-28');
    expect(request?.query.has('api_key')).toBe(false);
  });

  it('returns a range; the cutoff date withholds later entries and explains a withheld day', async () => {
    const range = (await runtime().call('apod/pictures/range', { start_date: '2024-06-27', end_date: '2024-06-29' })) as { date: string }[];
    expect(range.map((entry) => entry.date)).toEqual(['2024-06-27', '2024-06-28', '2024-06-29']);
    const backtest = runtime({ cutoffDate: '2024-06-28' });
    const earlier = (await backtest.call('apod/pictures/range', { start_date: '2024-06-26' })) as { date: string }[];
    // Strictly before the cutoff, as upstream's filter_by_dt_cutoff: the cutoff day itself is withheld.
    expect(earlier.map((entry) => entry.date)).toEqual(['2024-06-26', '2024-06-27']);
    expect(await backtest.call('apod/pictures/day', { date: '2024-06-30' })).toMatchObject({
      error: 'cutoff',
      cutoffDate: '2024-06-28',
      date: '2024-06-30',
    });
  });

  it('reports the API’s own error messages, never the key', async () => {
    const early = await failure(runtime().call('apod/pictures/day', { date: '1990-01-01' }));
    expect(early).toMatchObject({ kind: 'http', statusCode: 400 });
    expect(early.message).toMatch(/: Date must be between Jun 16, 1995 and Jun 30, 2024\.$/);
    const wrongKey = 'test-key-wrong-61f0aa';
    const rejected = await failure(runtime({ key: wrongKey }).call('apod/pictures/day', { date: '2024-06-28' }));
    expect(rejected).toMatchObject({ kind: 'http', statusCode: 403 });
    expect(rejected.message).toContain('An invalid api_key was supplied');
    expect(rejected.message).toContain('check NASA_API_KEY');
    expect(rejected.message).not.toContain(wrongKey);
    expect(requests.at(-1)?.key).toBe(wrongKey);
  });

  it('checks parameters before calling', async () => {
    const before = requests.length;
    const error = await failure(runtime().call('apod/pictures/day', { date: '28/06/2024' }));
    expect(error.kind).toBe('validation');
    expect(error.message).toContain('parameter "date": a date written YYYY-MM-DD');
    expect(requests.length).toBe(before);
  });

  it('passes autoTest with its own examples', async () => {
    const report = await runtime().autoTest();
    expect(report).toMatchObject({ passed: 2, failed: 0, skipped: 0 });
    expect(report.byCategory).toEqual({ 'apod/pictures': { passed: 2, failed: 0, skipped: 0 } });
  });

  it('documents its parameters for prompts', () => {
    const docs = runtime().retrieveApiDocs(['apod']);
    expect(docs).toContain('## apod/pictures/day');
    expect(docs).toContain('`date` (string, required, in query): The day, YYYY-MM-DD (from 1995-06-16). Example: "2024-06-28".');
    expect(docs).toContain('## apod/pictures/range');
    expect(docs).toContain('`end_date` (string, optional, in query)');
    expect(docs).toContain('`thumbs` (boolean, optional, in query)');
    expect(docs).toContain(
      'Example call: CALL_API("apod/pictures/range", {"start_date":"2024-06-27","end_date":"2024-06-28","thumbs":false})',
    );
  });
});
