// Issue 15: 10,000 agent calls (one tool round each: two requests) against the loopback wire server
// answering every request after 50 ms, at concurrency 200, as a tactic batch (ours) and as the same
// batch written with plain Promise.all lanes over the raw `openai` SDK, each in a fresh process, the
// order rotating over rounds; plain Promise.all lanes over our Agent show the tactic layer's share. Ideal throughput = concurrency / (2 × latency) calls per second.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { median } from './exchange.ts';

const count = Number(process.env.LLLM_BENCH_BATCH_CALLS ?? 10_000);
const concurrency = Number(process.env.LLLM_BENCH_BATCH_CONCURRENCY ?? 200);
const latencyMs = Number(process.env.LLLM_BENCH_BATCH_LATENCY_MS ?? 50);
const rounds = Number(process.env.LLLM_BENCH_BATCH_ROUNDS ?? 3);

interface Figures {
  name: 'ours' | 'agent' | 'raw';
  wall: number;
  cpu: number;
  /** The wire server's CPU during the run (warm-up included), in ms. */
  serverCpu: number;
  stall: number;
  peakRssMiB: number;
  addedRssMiB: number;
}

const wire = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'batch-wire-child.ts', String(latencyMs)], {
  cwd: new URL('.', import.meta.url),
  stdio: ['pipe', 'pipe', 'inherit'],
});
const wireLines = createInterface({ input: wire.stdout });
const baseURL: string = await new Promise((resolve) => wireLines.once('line', resolve));
/** The CPU the wire server has used so far, in ms. */
function wireCpu(): Promise<number> {
  const answer = new Promise<number>((resolve) => wireLines.once('line', (line) => resolve(Number(line))));
  wire.stdin.write('cpu\n');
  return answer;
}
console.log(`machine load (1-minute average) at start: ${loadavg()[0]?.toFixed(2)} on ${navigator.hardwareConcurrency} CPUs`);

function runChild(name: Figures['name']): Promise<Omit<Figures, 'serverCpu'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--disable-warning=ExperimentalWarning', 'batch-child.ts', name, baseURL, String(count), String(concurrency)],
      { cwd: new URL('.', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as Omit<Figures, 'serverCpu'>) : reject(new Error(`${name}: child exited ${code}`)),
    );
  });
}

const figures: Record<Figures['name'], Figures[]> = { ours: [], agent: [], raw: [] };
const order = ['ours', 'agent', 'raw'] as const;
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < order.length; k++) {
    const name = order[(round + k) % order.length] as Figures['name'];
    const serverBefore = await wireCpu();
    const run = await runChild(name);
    figures[name].push({ ...run, serverCpu: (await wireCpu()) - serverBefore });
  }
}
wire.stdin.end();

const ideal = concurrency / ((2 * latencyMs) / 1000);
console.log(
  `${count} agent calls (1 tool round = 2 requests of ${latencyMs} ms each) at concurrency ${concurrency}, ${rounds} rounds per contender, fresh process each; ideal ${ideal.toFixed(0)} calls/s`,
);
const med = (name: Figures['name'], pick: (f: Figures) => number) => median(figures[name].map(pick));
for (const name of order) {
  const throughput = figures[name].map((f) => count / (f.wall / 1000));
  console.log(
    `  ${name.padEnd(5)} ${median(throughput).toFixed(0)} calls/s = ${((median(throughput) / ideal) * 100).toFixed(1)}% of ideal (runs: ${throughput
      .map((t) => `${((t / ideal) * 100).toFixed(1)}%`)
      .join(
        ', ',
      )}); CPU ${med(name, (f) => f.cpu).toFixed(0)} ms; longest event-loop stall ${med(name, (f) => f.stall).toFixed(1)} ms; peak RSS ${med(name, (f) => f.peakRssMiB).toFixed(0)} MiB (+${med(name, (f) => f.addedRssMiB).toFixed(0)} MiB)`,
  );
}
const fraction = count / (med('ours', (f) => f.wall) / 1000) / ideal;
const cpuRatio = med('ours', (f) => f.cpu) / med('raw', (f) => f.cpu);
console.log(`  ours: throughput / ideal ${(fraction * 100).toFixed(1)}%   goal ≥ 90%  ${fraction >= 0.9 ? 'met' : 'NOT met'}`);
console.log(`  ours / raw Promise.all + openai SDK (CPU) ${cpuRatio.toFixed(3)}×   goal ≤ 1.1×  ${cpuRatio <= 1.1 ? 'met' : 'NOT met'}`);
// The bound the machine sets: at the ideal rate, each contender's client CPU per call (and the wire
// server's per call) would need this many cores; past the machine's cores no client reaches the ideal.
const cores = (name: Figures['name'], pick: (f: Figures) => number) => (med(name, pick) / count / 1000) * ideal;
const serverPerCall = (f: Figures) => f.serverCpu * (count / (count + 2 * concurrency));
console.log(
  `  CPU the ideal rate needs: client ${order.map((name) => `${name} ${cores(name, (f) => f.cpu).toFixed(2)}`).join(', ')} cores, + the wire server ${cores('raw', serverPerCall).toFixed(2)} cores; this machine has ${navigator.hardwareConcurrency}`,
);
// Where the difference comes from: the tactic layer (session, budget, batch runner) over the agent call,
// and the agent call over the raw SDK.
console.log(
  `  of which: ours / agent lanes (CPU) ${(med('ours', (f) => f.cpu) / med('agent', (f) => f.cpu)).toFixed(3)}×, agent lanes / raw (CPU) ${(med('agent', (f) => f.cpu) / med('raw', (f) => f.cpu)).toFixed(3)}×`,
);
