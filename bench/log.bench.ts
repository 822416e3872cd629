// Log stores: messages per second written and read back (sqlite, jsonl; one writer and four
// concurrent writer processes), and the time logging adds to an agent call against the local
// OpenAI wire server (sqlite store vs no store), measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, type LogStore, Message } from '@lllm/core';
import { JsonlLogStore, SqliteLogStore } from '@lllm/log';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { z } from 'zod';

const now = () => performance.now();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const folder = mkdtempSync(join(tmpdir(), 'lllm-log-bench-'));
const message = new Message({
  role: 'assistant',
  content: 'The answer is 42, because the lookup said so. '.repeat(4),
  creator: 'bench',
  model: 'gpt-4o-mini',
  usage: { inputTokens: 120, outputTokens: 30 },
}).toJSON();

async function single(name: string, store: LogStore, count: number): Promise<void> {
  const start = now();
  for (let i = 0; i < count; i++)
    store.write('messages', 'bench', { dialogId: 'd', index: i, pruned: false, message: message as unknown as Record<string, unknown> });
  await store.flush();
  const written = now() - start;
  const readStart = now();
  const entries = await store.read('messages', 'bench');
  const read = now() - readStart;
  console.log(
    `${name}: ${count} messages written in ${written.toFixed(0)} ms (${Math.round(count / (written / 1000))}/s), read back ${entries.length} in ${read.toFixed(0)} ms (${Math.round(entries.length / (read / 1000))}/s)`,
  );
  await store.close();
}

async function concurrent(kind: 'sqlite' | 'jsonl', count: number): Promise<void> {
  const target = join(folder, `concurrent-${kind}`);
  const start = now();
  await Promise.all(
    [1, 2, 3, 4].map(
      (writer) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--disable-warning=ExperimentalWarning', 'log-writer-child.ts', kind, target, String(writer), String(count)],
            { stdio: 'inherit' },
          );
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
        }),
    ),
  );
  const wall = now() - start;
  const store = kind === 'sqlite' ? new SqliteLogStore({ directory: target }) : new JsonlLogStore({ directory: target });
  const total =
    kind === 'sqlite'
      ? (await store.read('messages', 'shared')).length
      : (await Promise.all([1, 2, 3, 4].map((w) => store.read('messages', `shared-${w}`)))).flat().length;
  await store.close();
  console.log(
    `${kind}, 4 writer processes × ${count}: ${total} messages in ${wall.toFixed(0)} ms wall incl. process start (${Math.round(total / (wall / 1000))}/s)`,
  );
}

await single('sqlite, 1 writer', new SqliteLogStore({ directory: join(folder, 'single-sqlite') }), 50_000);
await single('jsonl, 1 writer', new JsonlLogStore({ directory: join(folder, 'single-jsonl') }), 50_000);
await concurrent('sqlite', 10_000);
await concurrent('jsonl', 10_000);

// Logging overhead on an agent call against the local wire server (in its own process).
const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'wire-child.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const baseURL: string = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
const provider = createOpenAI({ apiKey: 'sk-bench-local-key-000000000000', baseURL });
const system = new Prompt({ path: 'bench/system', prompt: 'You answer with tools.' });
const task = new Prompt({
  path: 'bench/task',
  prompt: 'Find the answer.',
  requiredXmlTags: ['answer'],
  functions: [
    tool({
      name: 'lookup',
      description: 'Look a key up',
      parameters: z.object({ key: z.string() }),
      execute: ({ key }) => `value of ${key}`,
    }),
  ],
});
const sqlite = new SqliteLogStore({ directory: join(folder, 'agent') });
// One invoker for both agents: the two differ only in the log.
const invoker = provider.chat();
const plain = new Agent({ name: 'bench', systemPrompt: system, model: 'gpt-4o-mini', invoker });
const logged = new Agent({ name: 'bench', systemPrompt: system, model: 'gpt-4o-mini', invoker, log: sqlite, session: 'bench' });
async function run(agent: Agent): Promise<void> {
  const dialog = agent.initDialog();
  dialog.sendMessage(task);
  await agent.call(dialog);
}
// Blocks of a few calls, alternating plain-logged / logged-plain, so drift and load from other
// processes hit both alike (long blocks of one agent, then the other, were swayed by both). A logged
// block ends by handing its queued entries on (without waiting for the disk), so the work logging
// does on this thread is timed in the logged block, not in the plain block after it.
async function block(agent: Agent, calls: number): Promise<number> {
  const start = now();
  for (let i = 0; i < calls; i++) await run(agent);
  if (agent === logged) void sqlite.flush();
  return (now() - start) / calls;
}
for (let i = 0; i < 50; i++) {
  await run(plain);
  await run(logged);
}
const samples = { plain: [] as number[], logged: [] as number[] };
for (let round = 0; round < 160; round++) {
  for (const key of round % 2 === 0 ? (['plain', 'logged'] as const) : (['logged', 'plain'] as const))
    samples[key].push(await block(key === 'plain' ? plain : logged, 5));
}
const a = median(samples.plain);
const b = median(samples.logged);
console.log(
  `agent call (3-round tool exchange on the local wire server): no log ${a.toFixed(2)} ms, sqlite log ${b.toFixed(2)} ms → logging adds ${(((b - a) / a) * 100).toFixed(1)}% (goal ≤ 5%)`,
);
await sqlite.close();
child.stdin.end();
rmSync(folder, { recursive: true, force: true });
