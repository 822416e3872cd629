// One contender's 1,000 concurrent exchanges in a fresh process (providers.bench.ts): its own
// connections and heap, warmed up first. Prints one JSON line of figures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { block, type ContenderName, contenders, now } from './exchange.ts';

const [name, baseURL, countText] = process.argv.slice(2);
const make = contenders[name as ContenderName];
if (!make || !baseURL) throw new Error(`usage: concurrent-child.ts <${Object.keys(contenders).join('|')}> <baseURL> [count]`);
const count = Number(countText ?? 1000);
const fn = make(baseURL);
// Warm-up: the code paths (sequentially), then the concurrent path once at a tenth of the size.
await block(fn, 30);
await Promise.all(Array.from({ length: Math.ceil(count / 10) }, () => fn()));
globalThis.gc?.();

const histogram = monitorEventLoopDelay({ resolution: 1 });
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
histogram.enable();
const cpuStart = process.cpuUsage();
const start = now();
const results = await Promise.all(Array.from({ length: count }, () => fn()));
const wall = now() - start;
const cpu = process.cpuUsage(cpuStart);
histogram.disable();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
if (results.length !== count) throw new Error(`${results.length} results of ${count}`);
process.stdout.write(
  `${JSON.stringify({ name, wall, cpu: (cpu.user + cpu.system) / 1000, stall: histogram.max / 1e6, peakRssMiB: peakRss / 2 ** 20, addedRssMiB: (peakRss - baseRss) / 2 ** 20 })}\n`,
);
