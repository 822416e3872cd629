// Issue 17: a distributed batch's throughput with 1, 2 and 4 worker processes (BullMQ on a real
// redis-server), every call one tool round (two requests) against a wire server in its own process
// answering after 100 ms. Each worker runs CONCURRENCY jobs at once, so the ideal is
// workers × concurrency / 0.2 s calls per second; the goal is 4 workers ≥ 3.5× one worker.
// Timed from the enqueue to the last outcome read back (workers already started and connected).
import { type ChildProcess, spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
// @lllm/queue's build, by path: bench/package.json does not list it (yet).
import { BatchQueue } from '../packages/queue/dist/index.js';
import { redisServerAvailable, startRedis } from '../packages/queue/dist/testing.js';
import { median } from './exchange.ts';

const calls = Number(process.env.LLLM_BENCH_DISTRIBUTED_CALLS ?? 640);
const concurrency = Number(process.env.LLLM_BENCH_DISTRIBUTED_CONCURRENCY ?? 16);
const latencyMs = Number(process.env.LLLM_BENCH_DISTRIBUTED_LATENCY_MS ?? 100);
const rounds = Number(process.env.LLLM_BENCH_DISTRIBUTED_ROUNDS ?? 2);
const fleet = [1, 2, 4] as const;

if (!redisServerAvailable()) {
  console.log('distributed.bench: redis-server is not installed (apt-get install redis-server): skipped.');
  process.exit(0);
}
const redis = await startRedis();
const wire = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'batch-wire-child.ts', String(latencyMs)], {
  cwd: new URL('.', import.meta.url),
  stdio: ['pipe', 'pipe', 'inherit'],
});
const baseURL: string = await new Promise((resolve) => createInterface({ input: wire.stdout }).once('line', resolve));
console.log(`machine load (1-minute average) at start: ${loadavg()[0]?.toFixed(2)} on ${navigator.hardwareConcurrency} CPUs`);

function startWorker(name: string, tactic: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', 'distributed-worker.ts', redis.url, baseURL, String(concurrency), name, tactic],
    { cwd: new URL('.', import.meta.url), stdio: ['pipe', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker ${name} exited ${code} before it was ready`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', () => {
      child.removeAllListeners('exit');
      resolve(child);
    });
  });
}

async function run(workers: number, round: number): Promise<number> {
  const tactic = `bench-${workers}w-${round}`;
  const started = await Promise.allSettled(Array.from({ length: workers }, (_, index) => startWorker(`w${index + 1}`, tactic)));
  const children = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    for (const child of children) child.kill('SIGKILL');
    throw failure.reason;
  }
  const queue = await BatchQueue.connect(redis.url);
  try {
    const inputs = Array.from({ length: calls }, (_, index) => `question ${index}`);
    const begun = performance.now();
    const batch = await queue.enqueue(tactic, inputs, { id: tactic });
    let done = 0;
    for await (const { outcome } of queue.results(batch)) {
      if (!outcome.ok) throw new Error(`input ${outcome.index} failed: ${outcome.error?.message}`);
      done += 1;
    }
    const wall = performance.now() - begun;
    if (done !== calls) throw new Error(`${done} of ${calls} outcomes`);
    return calls / (wall / 1000);
  } finally {
    await queue.close();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.stdin?.end();
          }),
      ),
    );
  }
}

const throughput: Record<number, number[]> = { 1: [], 2: [], 4: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < fleet.length; k++) {
      const workers = fleet[(round + k) % fleet.length] as number;
      throughput[workers]?.push(await run(workers, round));
    }
  }
} finally {
  wire.stdin?.end();
  await redis.stop();
}

console.log(
  `${calls} tactic calls (1 tool round = 2 requests of ${latencyMs} ms) per run, ${concurrency} jobs at once per worker process, ${rounds} rounds`,
);
for (const workers of fleet) {
  const ideal = (workers * concurrency) / ((2 * latencyMs) / 1000);
  const values = throughput[workers] ?? [];
  console.log(
    `  ${workers} worker${workers > 1 ? 's' : ' '} ${median(values).toFixed(0)} calls/s = ${((median(values) / ideal) * 100).toFixed(1)}% of ideal ${ideal.toFixed(0)} (runs: ${values.map((value) => value.toFixed(0)).join(', ')})`,
  );
}
const speedup = median(throughput[4] ?? []) / median(throughput[1] ?? []);
console.log(`  4 workers / 1 worker ${speedup.toFixed(2)}×   goal ≥ 3.5×  ${speedup >= 3.5 ? 'met' : 'NOT met'}`);
// TODO(coordinator): the PostgreSQL and SQLite store write rates (H1's bench/log-store-rate.ts measureStoreWriteRate) belong here once it exists.
