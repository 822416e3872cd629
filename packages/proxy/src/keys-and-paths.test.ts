// A proxy's API key must reach the API and nothing else: not the model (an API that echoes its request
// URL sends the key back percent-encoded), not the cache, not an error. And no path parameter may move
// the request, with the key attached, to another path of the API.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProxy, type ProxyDefinition } from './define.js';
import { ProxyError } from './errors.js';
import { ProxyRuntime } from './runtime.js';

/** A key with every character that URL and form encoding change. */
const KEY = 'k+y/Sl4sh=eq ual&amp%25-9f3e';
const KEY_FORMS = [
  KEY,
  encodeURIComponent(KEY),
  new URLSearchParams({ v: KEY }).toString().slice(2),
  encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  Buffer.from(KEY).toString('base64').replace(/=+$/, ''),
  Buffer.from(KEY).toString('base64url'),
  JSON.stringify(KEY).slice(1, -1),
];

interface Received {
  readonly rawUrl: string;
  readonly appid: string | null;
  readonly key: string | null;
}

let apiUrl = '';
const received: Received[] = [];
let close: () => Promise<void>;

beforeAll(async () => {
  const server = createServer((request, response) => {
    const rawUrl = request.url ?? '/';
    const url = new URL(rawUrl, 'http://api');
    received.push({ rawUrl, appid: url.searchParams.get('appid'), key: url.searchParams.get('key') });
    const sent = url.searchParams.get('appid') ?? url.searchParams.get('key') ?? '';
    const echo = {
      // What real APIs do: the request URL as sent, decoded, form-encoded, and the key in base64.
      request: { url: rawUrl, decoded: decodeURIComponent(rawUrl), form: url.searchParams.toString() },
      debug: `auth=${Buffer.from(`user:${sent}`).toString('base64')} key(b64url)=${Buffer.from(sent).toString('base64url')}`,
      path: url.pathname,
    };
    const status = url.pathname.endsWith('/denied') ? 401 : 200;
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(status === 200 ? echo : { error: { message: `Invalid key for ${rawUrl} (${sent})` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});
afterAll(() => close());

function echoProxy(keyIn: 'appid' | 'key'): ProxyDefinition {
  return defineProxy({
    path: `echo-${keyIn}`,
    name: 'Echo',
    description: 'Echoes the request.',
    baseUrl: `${apiUrl}/v1/`,
    apiKey: { env: 'ECHO_KEY', in: 'query', name: keyIn },
    endpoints: [
      {
        category: 'items',
        endpoint: '/items/{id}',
        key: 'item',
        name: 'Item',
        description: 'One item.',
        parameters: z.object({ id: z.string(), q: z.string().optional() }),
        examples: { id: 'a1', q: 'x' },
      },
      { category: 'items', endpoint: '/denied', name: 'Denied', description: 'Always 401, echoing the URL.' },
    ],
  });
}

const expectNoKey = (text: string) => {
  for (const form of KEY_FORMS) expect(text, `found ${JSON.stringify(form)}`).not.toContain(form);
};

describe('an API that echoes the key', () => {
  it.each(['appid', 'key'] as const)('sends the key as %s, and no form of it reaches the result, the cache or an error', async (keyIn) => {
    const dir = mkdtempSync(join(tmpdir(), 'lllm-proxy-keys-'));
    try {
      const runtime = new ProxyRuntime({ activate: [echoProxy(keyIn)], env: { ECHO_KEY: KEY }, cache: { dir } });
      const before = received.length;
      const result = await runtime.call(`echo-${keyIn}/items/item`, { id: 'a1', q: 'x y' });
      // The API got the key, intact.
      expect(received[before]?.[keyIn]).toBe(KEY);
      const text = JSON.stringify(result);
      expect(text).toContain(REDACTED);
      expectNoKey(text);
      expect((result as { path: string }).path).toBe('/v1/items/a1');

      // The cache: file names and contents.
      const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
      expect(files.length).toBe(1);
      for (const file of files) {
        expectNoKey(join(file.parentPath, file.name));
        expectNoKey(readFileSync(join(file.parentPath, file.name), 'utf8'));
      }
      // A cached answer is the same, redacted answer.
      expect(await runtime.call(`echo-${keyIn}/items/item`, { id: 'a1', q: 'x y' })).toEqual(result);
      expect(received.length).toBe(before + 1);

      // An error that echoes the URL and the key.
      const error = await runtime.call(`echo-${keyIn}/items/denied`).catch((caught: unknown) => caught);
      expect(ProxyError.isInstance(error)).toBe(true);
      const failure = error as ProxyError;
      expect(failure.statusCode).toBe(401);
      expect(failure.message).toContain('Invalid key');
      expectNoKey(failure.message);
      expectNoKey(JSON.stringify(failure.body));
      expectNoKey(String(failure.stack));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('handler endpoints', () => {
  it('redact what the handler returns, as an HTTP response is redacted', async () => {
    const leaky = defineProxy({
      path: 'leaky',
      name: 'Leaky',
      description: 'An SDK wrapper that echoes its configuration.',
      apiKey: { env: 'ECHO_KEY', in: 'header', name: 'x-api-key' },
      endpoints: [
        {
          category: 'sdk',
          endpoint: '/config',
          name: 'Config',
          description: 'The client configuration.',
          handler: () => ({ baseUrl: `https://api.test/?key=${encodeURIComponent(KEY)}`, note: `using ${KEY}`, rows: [1, 2] }),
        },
      ],
    });
    const result = await new ProxyRuntime({ activate: [leaky], env: { ECHO_KEY: KEY } }).call('leaky/sdk/config');
    expect(result).toEqual({ baseUrl: `https://api.test/?key=${REDACTED}`, note: `using ${REDACTED}`, rows: [1, 2] });
  });
});

describe('path parameters', () => {
  const runtime = () => new ProxyRuntime({ activate: [echoProxy('appid')], env: { ECHO_KEY: KEY } });

  it.each(['..', '.', '%2e%2e', '%2E%2e', '%252e%252e', '.%2e', 'a/../b', '../admin', '..\\admin', 'x/./y', ''])(
    'refuses %j with a typed error naming the parameter, before any request',
    async (id) => {
      const before = received.length;
      const error = await runtime()
        .call('echo-appid/items/item', { id })
        .catch((caught: unknown) => caught);
      expect(ProxyError.isInstance(error)).toBe(true);
      expect((error as ProxyError).kind).toBe('validation');
      expect((error as ProxyError).message).toContain('path parameter "id"');
      expect(received.length).toBe(before);
    },
  );

  it('sends "/" inside a value encoded, as part of one segment, and allows dots that do not climb', async () => {
    const rt = runtime();
    const before = received.length;
    await rt.call('echo-appid/items/item', { id: 'a/b' });
    await rt.call('echo-appid/items/item', { id: '...' });
    await rt.call('echo-appid/items/item', { id: 'v1.2' });
    expect(received.slice(before).map((request) => request.rawUrl.split('?')[0])).toEqual([
      '/v1/items/a%2Fb',
      '/v1/items/...',
      '/v1/items/v1.2',
    ]);
  });

  it('refuses an endpoint path with "." or ".." segments when the proxy is defined', () => {
    for (const endpoint of ['/../admin/users', '/items/./x', '/%2e%2e/admin']) {
      expect(() =>
        defineProxy({
          path: 'climbing',
          name: 'Climbing',
          description: 'A declaration mistake.',
          baseUrl: `${apiUrl}/v1`,
          endpoints: [{ category: 'admin', endpoint, key: 'users', name: 'Users', description: 'Outside /v1.' }],
        }),
      ).toThrow(/endpoints\[0\] \(admin\/users\)\.endpoint: .* segment; write the path below baseUrl without "\." or "\.\."/);
    }
  });
});
