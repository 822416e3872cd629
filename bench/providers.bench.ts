// The agent call against the raw SDK and the AI SDK (issue 12), on the exchange of exchange.ts:
// 1. one exchange at a time: wall and CPU per exchange, interleaved blocks, ours / raw and ours / AI SDK;
// 2. 1,000 concurrent exchanges: each contender in a fresh process (fresh connections, its own heap),
//    the processes interleaved over several rounds: wall time and the longest event-loop stall.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { type ContenderName, contenders, interleave, median, min, ratioLine, spread, startWireChild } from './exchange.ts';

const rounds = Number(process.env.LLLM_BENCH_ROUNDS ?? 15);
const concurrentRounds = Number(process.env.LLLM_BENCH_CONCURRENT_ROUNDS ?? 5);
// Blocks of 200 exchanges (~0.5 s): blocks of 20 were short enough for one GC pause or scheduler hiccup
// to swing a block's figure by tens of percent, and the medians with them.
const calls = Number(process.env.LLLM_BENCH_CALLS ?? 200);
const warmup = Number(process.env.LLLM_BENCH_WARMUP ?? 400);
const wire = await startWireChild();
console.log(`machine load (1-minute average) at start: ${loadavg()[0]?.toFixed(2)} on ${navigator.hardwareConcurrency} CPUs`);

// 1. One exchange at a time.
const single = await interleave(
  {
    raw: contenders.raw(wire.baseURL),
    rawHttp: contenders.rawHttp(wire.baseURL),
    ours: contenders.ours(wire.baseURL),
    vercel: contenders.vercel(wire.baseURL),
  },
  { warmup, rounds, calls },
);
console.log(`one 3-request exchange, ${rounds} interleaved rounds × ${calls} after ${warmup} warm-up calls each (per exchange):`);
for (const [name, samples] of Object.entries(single)) {
  console.log(`  ${name.padEnd(7)} wall ${spread(samples.wall)}; CPU ${spread(samples.cpu)}`);
}
const ratio = (a: readonly number[], b: readonly number[]) => [median(a) / median(b), min(a) / min(b)] as const;
console.log(ratioLine('one exchange, ours / raw SDK (wall)', ...ratio(single.ours.wall, single.raw.wall), { max: 1.05 }));
console.log(ratioLine('one exchange, ours / raw SDK (CPU)', ...ratio(single.ours.cpu, single.raw.cpu), { max: 1.05 }));
console.log(ratioLine('one exchange, ours / AI SDK (wall)', ...ratio(single.ours.wall, single.vercel.wall), { max: 1 }));
// Our providers hand the SDK @lllm/http's fetch; the raw SDK above keeps Node's. The same SDK on our
// transport leaves the agent layer's own cost (no goal: the goals compare against the raw SDK as users
// write it).
for (const measure of ['wall', 'CPU'] as const) {
  const key = measure === 'wall' ? 'wall' : 'cpu';
  const [byMedian, byMin] = ratio(single.ours[key], single.rawHttp[key]);
  console.log(
    `  ${`one exchange, ours / raw SDK on @lllm/http's fetch (${measure})`.padEnd(58)} ${byMedian.toFixed(3)}× of medians (${byMin.toFixed(3)}× of minimums)   the agent layer's own share`,
  );
}

// 2. 1,000 concurrent exchanges, one fresh process per contender and round.
interface ConcurrentFigures {
  name: ContenderName;
  wall: number;
  cpu: number;
  stall: number;
  peakRssMiB: number;
  addedRssMiB: number;
}
function runChild(name: ContenderName): Promise<ConcurrentFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--disable-warning=ExperimentalWarning', 'concurrent-child.ts', name, wire.baseURL, '1000'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as ConcurrentFigures) : reject(new Error(`${name}: concurrent child exited ${code}`)),
    );
  });
}
const names: ContenderName[] = ['raw', 'ours', 'vercel'];
const concurrent: Record<ContenderName, ConcurrentFigures[]> = { raw: [], rawHttp: [], ours: [], vercel: [] };
for (let round = 0; round < concurrentRounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length] as ContenderName;
    concurrent[name].push(await runChild(name));
  }
}
console.log(`1,000 concurrent exchanges (3 requests each), ${concurrentRounds} interleaved rounds, each run in a fresh process:`);
for (const name of names) {
  const runs = concurrent[name];
  console.log(
    `  ${name.padEnd(6)} wall ${spread(
      runs.map((run) => run.wall),
      0,
    )}; longest stall ${spread(
      runs.map((run) => run.stall),
      1,
    )}; peak RSS median ${median(runs.map((run) => run.peakRssMiB)).toFixed(0)} MiB (+${median(runs.map((run) => run.addedRssMiB)).toFixed(0)} MiB)`,
  );
}
const field = (name: ContenderName, key: 'wall' | 'stall' | 'cpu') => concurrent[name].map((run) => run[key]);
console.log(ratioLine('1,000 concurrent, ours / raw SDK (wall)', ...ratio(field('ours', 'wall'), field('raw', 'wall')), { max: 1.1 }));
console.log(
  ratioLine('1,000 concurrent, longest event-loop stall, ours / raw', ...ratio(field('ours', 'stall'), field('raw', 'stall')), {
    max: 1.2,
  }),
);
console.log(ratioLine('1,000 concurrent, ours / AI SDK (wall)', ...ratio(field('ours', 'wall'), field('vercel', 'wall')), { max: 1 }));
console.log(`machine load (1-minute average) at the end: ${loadavg()[0]?.toFixed(2)}`);
wire.stop();
