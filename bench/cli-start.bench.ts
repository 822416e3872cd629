// Cold start of the `lllm` command: `lllm --help` and `lllm --version` (the built bin, as installed)
// against `node -e 0` measured in the same run, interleaved so machine load hits both alike. Two
// figures per command: wall-clock time, and CPU time (user + system, as the process measures it),
// which a busy shared machine inflates far less. The goal is ≤ 150 ms for --help and --version,
// checked on wall time; over it exits 1. When the machine is busy (`node -e 0` itself waits more
// than it computes: wall > 2 × CPU) or LLLM_BENCH_GOAL=cpu, the goal is checked on CPU time, and
// the output says so. `lllm doctor` is
// shown for scale (it loads discovery, the providers and SQLite). Build first:
// pnpm --filter @lllm/cli... build
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const GOAL_MS = 150;
const RUNS = Number(process.env.LLLM_BENCH_RUNS ?? 15);
const bin = fileURLToPath(new URL('../packages/cli/bin/lllm.js', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../packages/cli/dist/main.js', import.meta.url)))) {
  console.error('packages/cli/dist is missing: run pnpm --filter @lllm/cli... build first.');
  process.exit(1);
}
const cwd = mkdtempSync(join(tmpdir(), 'lllm-cli-start-'));

// CPU time as the process itself sees it at exit (process.cpuUsage: user + system, all threads,
// from process start), written to fd 3 by a one-line preload that both commands get alike.
const PRELOAD = `data:text/javascript,import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();writeSync(3,String((u.user+u.system)/1000))})`;

/** Wall-clock and CPU milliseconds of one run. */
function time(args: readonly string[]): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--import', PRELOAD, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0 && !args.includes('doctor')) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { wall, cpu: Number(String(run.output[3] ?? '')) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const cases: [string, string[]][] = [
  ['node -e 0', ['-e', '0']],
  ['lllm --version', [bin, '--version']],
  ['lllm --help', [bin, '--help']],
  ['lllm run --help', [bin, 'run', '--help']],
];
const samples = new Map<string, { wall: number; cpu: number }[]>(cases.map(([label]) => [label, []]));
// One warm-up round (file system and compile caches), then interleaved runs.
for (const [, args] of cases) time(args);
for (let round = 0; round < RUNS; round++) for (const [label, args] of cases) samples.get(label)?.push(time(args));
const doctorRuns = [0, 1, 2].map(() => time([bin, 'doctor']));
rmSync(cwd, { recursive: true, force: true });

const medians = (runs: readonly { wall: number; cpu: number }[]) => ({
  wall: median(runs.map((run) => run.wall)),
  cpu: median(runs.map((run) => run.cpu)),
});
const baseline = medians(samples.get('node -e 0') ?? []);
const busy = baseline.wall > 2 * baseline.cpu;
const onCpu = process.env.LLLM_BENCH_GOAL === 'cpu' || busy;
const figure = (ms: number) => (Number.isNaN(ms) ? '-' : ms.toFixed(1));
const ratio = (ms: number, base: number) => (Number.isNaN(ms) ? '-' : `${(ms / base).toFixed(2)}×`);
console.log(
  `cold start, medians of ${RUNS} interleaved runs; goal ≤ ${GOAL_MS} ms for --help / --version (on ${onCpu ? 'CPU' : 'wall'} time${busy ? ': the machine is busy, node -e 0 waited more than it ran' : ''})`,
);
console.log(`${'command'.padEnd(18)}${'wall ms'.padStart(9)}${'× node'.padStart(9)}${'cpu ms'.padStart(9)}${'× node'.padStart(9)}  goal`);
let over = 0;
const show = (label: string, result: { wall: number; cpu: number }, checked: boolean) => {
  const measured = onCpu ? result.cpu : result.wall;
  const goal = !checked ? '' : measured <= GOAL_MS ? 'ok' : 'OVER';
  if (goal === 'OVER') over += 1;
  console.log(
    `${label.padEnd(18)}${figure(result.wall).padStart(9)}${ratio(result.wall, baseline.wall).padStart(9)}${figure(result.cpu).padStart(9)}${ratio(result.cpu, baseline.cpu).padStart(9)}  ${goal}`,
  );
};
for (const [label] of cases) show(label, medians(samples.get(label) ?? []), label !== 'node -e 0');
show('lllm doctor', medians(doctorRuns), false);
if (over > 0) {
  console.error(`\n${over} command(s) over the ${GOAL_MS} ms goal.`);
  process.exitCode = 1;
}
