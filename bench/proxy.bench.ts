// Proxy benchmarks: a ProxyRuntime.call (validation, URL building, key handling, removeKeys, cutoff
// filter) against a plain fetch of the same URL from the same local server, a cache hit, and calls
// through the HTTP bridge. Every figure is a ratio against a baseline measured in this run.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineProxy, ProxyRuntime, serveProxy } from '@lllm/proxy';
import { z } from 'zod';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// 100 dated entries, half of them after the cutoff.
const body = JSON.stringify({
  city: 'Oslo',
  debug: { server: 'bench' },
  list: Array.from({ length: 100 }, (_, index) => ({
    date: new Date(Date.UTC(2024, 5, 1) + index * 86_400_000).toISOString().slice(0, 10),
    celsius: 10 + (index % 15),
    raw: 'x'.repeat(40),
  })),
});
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
process.env.BENCH_WEATHER_KEY = 'bench-key-0123456789abcdef';

const weather = defineProxy({
  path: 'weather',
  name: 'Weather',
  description: 'Forecasts.',
  baseUrl: base,
  apiKey: { env: 'BENCH_WEATHER_KEY', in: 'query', name: 'appid' },
  endpoints: [
    {
      category: 'forecast',
      endpoint: '/forecast/{city}',
      key: 'daily',
      name: 'Daily',
      description: 'Daily temperatures.',
      parameters: z.object({ city: z.string(), days: z.number().int().optional() }),
      examples: { city: 'Oslo', days: 100 },
      removeKeys: ['debug', 'list/raw'],
      dtCutoff: { key: 'list/date' },
    },
  ],
});

const cacheDir = mkdtempSync(join(tmpdir(), 'lllm-bench-proxy-'));
const proxy = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-07-20' });
const cached = new ProxyRuntime({ activate: [weather], cutoffDate: '2024-07-20', cache: { dir: cacheDir } });
const bridge = await serveProxy(proxy);
const rawUrl = `${base}/forecast/Oslo?days=100&appid=${process.env.BENCH_WEATHER_KEY}`;

const CALLS = 500;
async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const start = now();
  for (let index = 0; index < CALLS; index++) await run();
  return (now() - start) / CALLS;
}

const rawFetch = async () => (await fetch(rawUrl)).json();
const proxyCall = () => proxy.call('weather/forecast/daily', { city: 'Oslo', days: 100 });
const cacheHit = () => cached.call('weather/forecast/daily', { city: 'Oslo', days: 100 });
const viaBridge = async () =>
  (
    await fetch(`${bridge.url}/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'weather/forecast/daily', params: { city: 'Oslo', days: 100 } }),
    })
  ).json();

await cacheHit(); // fill the cache
for (const warm of [rawFetch, proxyCall, cacheHit, viaBridge]) for (let index = 0; index < 50; index++) await warm();
const samples = { raw: [] as number[], proxy: [] as number[], cache: [] as number[], bridge: [] as number[] };
for (let repeat = 0; repeat < 5; repeat++) {
  samples.raw.push(await timeIt(rawFetch));
  samples.proxy.push(await timeIt(proxyCall));
  samples.cache.push(await timeIt(cacheHit));
  samples.bridge.push(await timeIt(viaBridge));
}
const raw = median(samples.raw);
const call = median(samples.proxy);
const hit = median(samples.cache);
const overBridge = median(samples.bridge);
const result = (await proxyCall()) as { list: unknown[] };
console.log(`response: 100 entries, ${result.list.length} kept by the cutoff (median of 5 × ${CALLS} sequential calls)`);
console.log(`raw fetch + JSON.parse: ${(raw * 1000).toFixed(0)} µs per call`);
console.log(
  `ProxyRuntime.call:      ${(call * 1000).toFixed(0)} µs per call; ratio ${(call / raw).toFixed(2)}x raw, adds ${((call - raw) * 1000).toFixed(0)} µs`,
);
console.log(`cache hit:              ${(hit * 1000).toFixed(0)} µs per call; ratio ${(hit / raw).toFixed(2)}x raw`);
console.log(
  `through the HTTP bridge: ${(overBridge * 1000).toFixed(0)} µs per call; ratio ${(overBridge / call).toFixed(2)}x a direct ProxyRuntime.call`,
);

await bridge.close();
server.closeAllConnections();
server.close();
rmSync(cacheDir, { recursive: true, force: true });
