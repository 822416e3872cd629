// CPU profile of one contender's exchanges (issue 12: find the costs with a profile, not by guessing).
//   node profile.ts <raw|ours|vercel> [exchanges=3000] [concurrency=1]
// Warms up, profiles only the timed exchanges, prints the functions with the most self time (grouped
// by function and file) and writes the whole profile to $TMPDIR for Chrome DevTools.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { block, type ContenderName, contenders, startWireChild } from './exchange.ts';

const [name = 'ours', countText = '3000', concurrencyText = '1'] = process.argv.slice(2);
const make = contenders[name as ContenderName];
if (!make) throw new Error(`usage: profile.ts <${Object.keys(contenders).join('|')}> [exchanges] [concurrency]`);
const count = Number(countText);
const concurrency = Math.max(1, Number(concurrencyText));
const wire = await startWireChild();
const fn = make(wire.baseURL);
await block(fn, 100);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const cpuStart = process.cpuUsage();
for (let done = 0; done < count; done += concurrency) {
  await Promise.all(Array.from({ length: Math.min(concurrency, count - done) }, () => fn()));
}
const cpu = process.cpuUsage(cpuStart);
const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
session.disconnect();
wire.stop();

const selfMicros = new Map<number, number>();
for (const [index, id] of profile.samples.entries()) selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  const file = node.callFrame.url
    .replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '')
    .replace(/^file:\/\/.*\/packages\//, '');
  const key = `${node.callFrame.functionName || '(anonymous)'}  ${file}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
}
const total = [...byFunction.values()].reduce((sum, micros) => sum + micros, 0);
console.log(
  `${name}: ${count} exchanges, ${concurrency} at a time; process CPU ${((cpu.user + cpu.system) / 1000 / count).toFixed(3)} ms per exchange; profiled ${(total / 1000).toFixed(0)} ms`,
);
for (const [key, micros] of [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 40))) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / count).toFixed(1).padStart(7)} µs/exchange  ${key}`);
}
// Self time by where the code lives: ours (the LLLM packages), the SDKs, Node, the engine.
const groups = new Map<string, number>();
for (const [key, micros] of byFunction) {
  const where = key.slice(key.indexOf('  ') + 2);
  const group = /^(core|openai|prompts|log|anthropic)\/dist\//.test(where)
    ? `LLLM @lllm/${where.slice(0, where.indexOf('/'))}`
    : where.startsWith('node:')
      ? 'Node'
      : where.startsWith(':')
        ? key.startsWith('(')
          ? key.slice(0, key.indexOf(')') + 1)
          : 'native'
        : where.split('/')[0] === '@ai-sdk'
          ? '@ai-sdk'
          : (where.split('/')[0] ?? 'other');
  groups.set(group, (groups.get(group) ?? 0) + micros);
}
console.log('self time by owner:');
for (const [group, micros] of [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14)) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / count).toFixed(1).padStart(7)} µs/exchange  ${group}`);
}
const file = join(tmpdir(), `lllm-${name}-${Date.now()}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
console.log(`profile: ${file}`);
