// The HTTP bridge's edges: an oversized body is answered 413 (not a connection reset), /health tells
// an unauthenticated caller nothing but that the bridge is up, and the bridge binds only loopback
// interfaces unless the caller opts in explicitly.
import { request as httpRequest } from 'node:http';
import { InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ProxyBridge, serveProxy } from './bridge.js';
import { defineProxy } from './define.js';
import { ProxyRuntime } from './runtime.js';

const MAX_BODY = 2048;
let bridge: ProxyBridge;

beforeAll(async () => {
  const quotes = defineProxy({
    path: 'quotes',
    name: 'Quotes',
    description: 'Prices, served in code.',
    endpoints: [
      {
        category: 'prices',
        endpoint: '/price',
        name: 'Price',
        description: 'A price.',
        parameters: z.object({ symbol: z.string() }),
        handler: ({ symbol }) => ({ symbol, price: 101.5 }),
      },
    ],
  });
  bridge = await serveProxy(new ProxyRuntime({ activate: [quotes] }), { maxBodyBytes: MAX_BODY });
});
afterAll(() => bridge?.close());

/** A POST with a body of `size` bytes, written in chunks as a slow client would. */
function postBytes(size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${bridge.url}/call`,
      { method: 'POST', headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json', 'content-length': size } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    const chunk = Buffer.alloc(1024, 'a');
    let sent = 0;
    const writeMore = () => {
      while (sent < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!request.write(part)) return void request.once('drain', writeMore);
      }
      request.end();
    };
    writeMore();
  });
}

describe('the bridge', () => {
  it('answers an oversized body with 413 and a JSON error, not a connection reset', async () => {
    for (const size of [MAX_BODY + 1, MAX_BODY * 8]) {
      const answer = await postBytes(size);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        error: { message: `The request body is over ${MAX_BODY} bytes.`, kind: 'validation' },
      });
    }
    // The bridge still serves normal requests.
    const ok = await fetch(`${bridge.url}/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'quotes/prices/price', params: { symbol: 'AAPL' } }),
    });
    expect(await ok.json()).toEqual({ result: { symbol: 'AAPL', price: 101.5 } });
  });

  it('tells /health callers without a valid token only that it is up', async () => {
    expect(await (await fetch(`${bridge.url}/health`)).json()).toEqual({ ok: true });
    const wrong = await fetch(`${bridge.url}/health`, { headers: { authorization: 'Bearer not-the-token-0000000000' } });
    expect(await wrong.json()).toEqual({ ok: true });
    const master = await fetch(`${bridge.url}/health`, { headers: { authorization: `Bearer ${bridge.token}` } });
    expect(await master.json()).toEqual({ ok: true, proxies: ['quotes'] });
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', 'example.com'])('refuses to bind %s without the explicit opt-in', async (host) => {
    const error = await serveProxy(new ProxyRuntime({ activate: [] }), { host }).catch((caught: unknown) => caught);
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`host ${JSON.stringify(host)} is not a loopback interface`);
    expect((error as Error).message).toContain('allowNonLoopback: true');
  });

  it('binds other loopback addresses', async () => {
    for (const host of ['localhost', '127.0.0.2']) {
      const other = await serveProxy(new ProxyRuntime({ activate: [] }), { host });
      try {
        expect(await (await fetch(`${other.url}/health`)).json()).toEqual({ ok: true });
      } finally {
        await other.close();
      }
    }
  });
});
