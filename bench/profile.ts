// CPU profiles of the contenders' exchanges (issue 12: find the costs with a profile, not by guessing).
//   node profile.ts [exchanges=3000] [contender=ours] [baseline=raw]
// (`logged`: our agent call logging to a SQLite store in a temporary folder.)
// Both are warmed up, then profiled in interleaved blocks (one profiler session per block, so load
// from other processes falls on both alike). Prints the self time per exchange by owner (our
// packages, the SDK, Node, the garbage collector) for both, and the functions whose self time differs
// most between them. The profiles are written to $TMPDIR for Chrome DevTools.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLogStore } from '@lllm/log';
import { type ContenderName, contenders, startWireChild } from './exchange.ts';

const [countText = '3000', name = 'ours', baselineName = 'raw'] = process.argv.slice(2);
const names = [name, baselineName] as (ContenderName | 'logged')[];
for (const each of names) {
  if (each !== 'logged' && !contenders[each])
    throw new Error(`usage: profile.ts [exchanges] [${Object.keys(contenders).join('|')}] [baseline]`);
}
const count = Number(countText);
// CONCURRENCY=n runs each block's exchanges n at a time (e.g. 1000: the 1,000-concurrent figure).
const concurrency = Math.max(1, Number(process.env.CONCURRENCY ?? 1));
const blockSize = Math.max(100, concurrency);
const wire = await startWireChild();
const logFolder = mkdtempSync(join(tmpdir(), 'lllm-profile-log-'));
const store = new SqliteLogStore({ directory: logFolder });
const fns = names.map((each) =>
  each === 'logged' ? contenders.ours(wire.baseURL, { log: store, session: 'profile' }) : contenders[each](wire.baseURL),
);
for (const fn of fns) for (let i = 0; i < 200; i++) await fn();

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
const selfByFunction = names.map(() => new Map<string, number>());
const cpuMicros = names.map(() => 0);
const profiles: Profile[][] = names.map(() => []);

function where(url: string): string {
  return url.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/packages\//, '');
}
function add(index: number, profile: Profile): void {
  const self = new Map<number, number>();
  for (const [position, id] of profile.samples.entries()) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[position] ?? 0));
  const totals = selfByFunction[index] as Map<string, number>;
  for (const node of profile.nodes) {
    const micros = self.get(node.id) ?? 0;
    if (micros === 0) continue;
    const key = `${node.callFrame.functionName || '(anonymous)'}  ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    totals.set(key, (totals.get(key) ?? 0) + micros);
  }
}

for (let done = 0; done < count; done += blockSize) {
  for (let k = 0; k < names.length; k++) {
    const index = (done / blockSize + k) % names.length;
    const fn = fns[index] as () => Promise<unknown>;
    await session.post('Profiler.start');
    const cpuStart = process.cpuUsage();
    for (let i = 0; i < blockSize; i += concurrency) await Promise.all(Array.from({ length: concurrency }, () => fn()));
    const cpu = process.cpuUsage(cpuStart);
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    cpuMicros[index] = (cpuMicros[index] ?? 0) + cpu.user + cpu.system;
    add(index, profile);
    if ((profiles[index]?.length ?? 0) < 3) profiles[index]?.push(profile);
  }
}
session.disconnect();
wire.stop();
await store.close();
rmSync(logFolder, { recursive: true, force: true });

function owner(key: string): string {
  const at = key.slice(key.indexOf('  ') + 2);
  if (/^(core|openai|prompts|log|anthropic)\/dist\//.test(at)) return `LLLM @lllm/${at.slice(0, at.indexOf('/'))}`;
  if (at.startsWith('node:')) return 'Node';
  if (at.startsWith(':')) return key.startsWith('(') ? key.slice(0, key.indexOf(')') + 1) : 'native (V8, C++)';
  const first = at.split('/')[0] ?? 'other';
  return first.startsWith('@') ? `${first}/${at.split('/')[1]}` : first;
}
const perExchange = (micros: number) => (micros / count).toFixed(1).padStart(8);
console.log(
  `${count} exchanges each, blocks of ${blockSize} interleaved; process CPU per exchange: ${names
    .map((each, index) => `${each} ${((cpuMicros[index] ?? 0) / count / 1000).toFixed(3)} ms`)
    .join(', ')}`,
);
const owners = names.map((_, index) => {
  const groups = new Map<string, number>();
  for (const [key, micros] of selfByFunction[index] as Map<string, number>) groups.set(owner(key), (groups.get(owner(key)) ?? 0) + micros);
  return groups;
});
const ownerNames = [...new Set(owners.flatMap((groups) => [...groups.keys()]))];
console.log(`self time by owner, µs per exchange:     ${names.map((each) => each.padStart(8)).join(' ')}   difference`);
for (const group of ownerNames.sort((a, b) => (owners[0]?.get(b) ?? 0) - (owners[0]?.get(a) ?? 0)).slice(0, 16)) {
  const values = owners.map((groups) => groups.get(group) ?? 0);
  console.log(`  ${group.padEnd(38)} ${values.map(perExchange).join(' ')}   ${perExchange((values[0] ?? 0) - (values[1] ?? 0))}`);
}
const keys = new Set([...(selfByFunction[0]?.keys() ?? []), ...(selfByFunction[1]?.keys() ?? [])]);
const differences = [...keys].map((key) => [key, (selfByFunction[0]?.get(key) ?? 0) - (selfByFunction[1]?.get(key) ?? 0)] as const);
console.log(`functions with the most more self time in ${name} than in ${baselineName} (µs per exchange):`);
for (const [key, micros] of differences.sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) {
  console.log(`  ${perExchange(micros)}  ${key}`);
}
for (const [index, each] of names.entries()) {
  const file = join(tmpdir(), `lllm-${each}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profiles[index]?.[0] ?? {}));
  console.log(`one block's profile of ${each}: ${file}`);
}
