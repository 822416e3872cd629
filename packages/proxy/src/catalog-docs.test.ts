// What agents read about a proxy beyond its endpoints — upstream's `additional_docs` and `enums`
// (lllm/proxies.py BaseProxy, rendered by Proxy.api_catalog / api_directory / retrieve_api_docs) —
// and upstream's auto_test(skip_k).
import { ConfigError, InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { defineProxy, type ProxyDefinition } from './define.js';
import { ProxyRuntime } from './runtime.js';
import { startTestApi, type TestApi } from './test-api.js';

const PERIODS = `Real-time periods say when a value was known.
Use realtime_start and realtime_end (YYYY-MM-DD) to ask what was published then.`;

let api: TestApi;
let markets: ProxyDefinition;
let news: ProxyDefinition;

beforeAll(async () => {
  api = await startTestApi();
  markets = defineProxy({
    path: 'markets',
    name: 'Markets',
    description: 'Quotes and statements.',
    baseUrl: api.url,
    enums: { period: ['quarter', 'annual'], timeframe: ['1min', '1hour', '1day'] },
    additionalDocs: { 'Real-Time Periods': PERIODS },
    endpoints: [
      {
        category: 'quotes',
        endpoint: '/quote/{symbol}',
        name: 'Quote',
        description: 'The latest quote.',
        parameters: z.object({
          symbol: z.string().describe('Ticker'),
          period: z.string().optional().describe('Statement period'),
          timeframe: z.enum(['1min', '1day']).optional(),
        }),
        examples: { symbol: 'ACME', period: 'annual', timeframe: '1day' },
      },
      { category: 'quotes', endpoint: '/status/500', key: 'fail', name: 'Failing', description: 'Always 500.' },
      { category: 'quotes', endpoint: '/text', name: 'Text', description: 'Plain text.' },
    ],
  });
  news = defineProxy({
    path: 'news',
    name: 'News',
    description: 'Headlines.',
    baseUrl: api.url,
    endpoints: [{ category: 'headlines', endpoint: '/news', name: 'Headlines', description: 'Sections of headlines.' }],
  });
});
afterAll(async () => {
  await api.close();
});

const runtime = () => new ProxyRuntime({ activate: [markets, news], cache: false });

describe('additional docs and enumerations', () => {
  // Upstream Proxy._prompt_api(additional_doc=True), used by api_catalog and api_directory.
  test('as upstream’s api_catalog and api_directory: each proxy’s enumerations and additional docs follow its listing', () => {
    const proxy = runtime();
    const catalog = proxy.apiCatalog();
    expect(catalog).toContain(
      [
        '## Markets (`markets`)',
        'Quotes and statements.',
        'Categories: quotes (3)',
        '',
        'Enumerations:',
        '- `period`: "quarter" | "annual"',
        '- `timeframe`: "1min" | "1hour" | "1day"',
        '',
        '### Additional doc: Real-Time Periods (`markets`)',
        'Real-time periods say when a value was known.',
        'Use realtime_start and realtime_end (YYYY-MM-DD) to ask what was published then.',
        '',
        '## News (`news`)',
      ].join('\n'),
    );
    const directory = proxy.apiDirectory(['markets']);
    expect(directory).toContain('- `markets/quotes/quote-symbol`: Quote. The latest quote.\n');
    expect(directory).toContain('## Additional doc: Real-Time Periods (`markets`)\nReal-time periods say when a value was known.');
    expect(directory).toContain('- `period`: "quarter" | "annual"');
    // A proxy without either shows neither.
    expect(proxy.apiDirectory(['news'])).not.toMatch(/Enumerations|Additional doc/);
  });

  // Upstream Proxy.retrieve_api_docs(full_paths, additional_doc=False): the docs are appended only when asked.
  test('as upstream’s retrieve_api_docs: additional docs only when asked, once per proxy; a parameter named in enums lists its values', () => {
    const proxy = runtime();
    const plain = proxy.retrieveApiDocs(['markets/quotes/quote-symbol', 'news']);
    expect(plain).not.toContain('Additional doc');
    expect(plain).toContain('- `period` (string, optional, in query): Statement period. One of: "quarter" | "annual". Example: "annual".');
    // Its own schema's values win over the proxy-wide enumeration.
    expect(plain).toContain('- `timeframe` ("1min" | "1day", optional, in query): Example: "1day".');
    const full = proxy.retrieveApiDocs(['markets/quotes/quote-symbol', 'markets/quotes/text', 'news'], { additionalDocs: true });
    expect(full.match(/## Additional doc: Real-Time Periods \(`markets`\)/g)).toHaveLength(1);
    expect(full.endsWith(`## Additional doc: Real-Time Periods (\`markets\`)\n${PERIODS}`)).toBe(true);
  });

  test('bad enumerations and additional docs are ConfigErrors that list every problem with its key', () => {
    let error: unknown;
    try {
      defineProxy({
        path: 'bad',
        name: 'Bad',
        description: 'x',
        baseUrl: api.url,
        enums: { period: [], side: [{ buy: 1 }] as never },
        additionalDocs: { Guide: '  ', '': 'text' },
        endpoints: [],
      });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).problems).toEqual([
      'enums.period: must be a non-empty list of strings, numbers or booleans, got []',
      'enums.side: must be a non-empty list of strings, numbers or booleans, got [{"buy":1}]',
      'additionalDocs."Guide": needs a title and a non-empty text, got "  "',
      'additionalDocs."": needs a title and a non-empty text, got "text"',
    ]);
  });
});

describe('autoTest', () => {
  // Upstream Proxy.auto_test(proxy_path, skip_k) → BaseProxy.auto_test(skip_k): the first skip_k endpoints are not called.
  test('as upstream’s auto_test(skip_k): the first k endpoints are skipped, in catalog order, and not called', async () => {
    const proxy = runtime();
    const before = api.requests.length;
    const report = await proxy.autoTest({ paths: ['markets'], skip: 2 });
    expect(report.results.map((result) => [result.path, result.status, result.error ?? null])).toEqual([
      ['markets/quotes/quote-symbol', 'skipped', 'one of the first 2 (skip)'],
      ['markets/quotes/fail', 'skipped', 'one of the first 2 (skip)'],
      ['markets/quotes/text', 'passed', null],
    ]);
    expect(report).toMatchObject({ passed: 1, failed: 0, skipped: 2 });
    expect(api.requests.slice(before).map((request) => request.path)).toEqual(['/text']);
    expect((await proxy.autoTest({ paths: ['markets'], skip: 1 })).failed).toBe(1);
    await expect(proxy.autoTest({ skip: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(proxy.autoTest({ skip: 1.5 })).rejects.toThrow('autoTest: skip must be a whole number of endpoints (0 or more), got 1.5.');
  });
});
