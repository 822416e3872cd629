import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Agent,
  buildAgent,
  createLogStore,
  defineAgent,
  type JsonObject,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  type LogStoreConfig,
  loadSystemConfig,
  MemoryLogStore,
  type ReadQuery,
  registerLogBackend,
} from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt, tool } from '@lllm/prompts';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerLogBackends } from './backends.js';
import { JsonlLogStore } from './jsonl-store.js';
import { LocalFileLogStore } from './localfile-store.js';
import { SqliteLogStore } from './sqlite-store.js';
import { describeLogStoreContract } from './testing/log-store-contract.js';

const folders: string[] = [];
function tempDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-log-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const stores: Record<string, (directory: string) => LogStore> = {
  sqlite: (directory) => new SqliteLogStore({ directory }),
  'sqlite (no writer thread)': (directory) => new SqliteLogStore({ directory, writerThread: false }),
  jsonl: (directory) => new JsonlLogStore({ directory, onWarning: () => {} }),
  localfile: (directory) => new LocalFileLogStore({ directory, onWarning: () => {} }),
};

/** Every byte a file store kept in its folder. */
function storedBytes(directory: string): string {
  return readdirSync(directory, { recursive: true })
    .map((file) => join(directory, String(file)))
    .filter((file) => statSync(file).isFile())
    .map((file) => readFileSync(file).toString('latin1'))
    .join('');
}

for (const [name, make] of Object.entries(stores)) {
  describeLogStoreContract(name, { place: tempDir, open: make, storedText: storedBytes });
}

describe('secrets never reach the bytes on disk', () => {
  const planted = 'sk-proj-PLANTEDsecretKEY1234567890abcdef';
  const saved = process.env.OPENAI_API_KEY;
  beforeEach(() => {
    process.env.OPENAI_API_KEY = planted;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved;
  });

  for (const [name, make] of Object.entries(stores)) {
    it(`${name}: a real logged agent call with the key in messages, raw payloads and frontend events`, async () => {
      const directory = tempDir();
      const store = make(directory);
      const system = new Prompt({ path: 'secret/system', prompt: 'Key: {key}' });
      const invoker = createScriptedInvoker([{ content: `Using ${planted} as asked.` }]);
      const agent = new Agent({ name: 'leaky', systemPrompt: system, model: 'm', invoker, log: store, session: 'secrets' });
      const dialog = agent.initDialog({ key: planted });
      dialog.sendMessage(`my key is ${planted}`);
      await agent.call(dialog);
      store.write('frontend', 'secrets', { type: 'write', text: `Authorization: Bearer ${planted}`, headers: { 'x-api-key': planted } });
      await store.close();
      const bytes = readdirSync(directory, { recursive: true })
        .map((file) => join(directory, String(file)))
        .filter((file) => statSync(file).isFile())
        .map((file) => readFileSync(file).toString('latin1'))
        .join('');
      expect(bytes.length).toBeGreaterThan(100);
      expect(bytes).not.toContain(planted);
      expect(bytes).not.toContain('PLANTEDsecret');
      expect(bytes).toContain('[REDACTED]');
    });
  }
});

describe('entries still queued when a process ends are saved', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const kind of ['sqlite', 'jsonl'] as const) {
    for (const how of ['exit', 'end', 'throw'] as const) {
      it(`${kind}: ${how === 'exit' ? 'process.exit()' : how === 'end' ? 'the event loop running dry' : 'an uncaught exception'}, no close()`, async () => {
        const directory = tempDir();
        const stderr = await new Promise<string>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              '--conditions=lllm-source',
              '--import',
              join(here, '../test/register-ts.mjs'),
              '--disable-warning=ExperimentalWarning',
              join(here, '../test/exit-child.ts'),
              kind,
              directory,
              how,
              '600',
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let output = '';
          child.stderr.on('data', (chunk: Buffer) => {
            output += chunk.toString();
          });
          child.on('error', reject);
          child.on('exit', (code) =>
            code === (how === 'throw' ? 1 : 0) ? resolve(output) : reject(new Error(`exit-child exited ${code}: ${output}`)),
          );
        });
        if (how === 'throw') expect(stderr).toContain('planned crash after writing');
        const store = kind === 'sqlite' ? new SqliteLogStore({ directory }) : new JsonlLogStore({ directory });
        const entries = await store.read('messages', 'exit');
        await store.close();
        expect(entries.map((entry) => entry.data.i)).toEqual(Array.from({ length: 600 }, (_, i) => i));
      }, 30_000);
    }
  }
});

describe('sqlite writer thread', () => {
  it('when the thread cannot write, the store writes the rows itself, in order, and loses none', async () => {
    const folder = join(tempDir(), 'gone');
    const store = new SqliteLogStore({ path: join(folder, 'log.sqlite') });
    // The store's own connection stays open on the (now unlinked) file; the writer thread, started by
    // the first flush, opens the path and fails.
    rmSync(folder, { recursive: true, force: true });
    for (let i = 0; i < 300; i++) store.write('messages', 'fallback', { i });
    await store.flush();
    store.write('messages', 'fallback', { i: 300 });
    expect((await store.read('messages', 'fallback')).map((entry) => entry.data.i)).toEqual(Array.from({ length: 301 }, (_, i) => i));
    await store.close();
  });
});

describe('jsonl specifics', () => {
  it('skips a torn last line with a warning, never failing', async () => {
    const directory = tempDir();
    const warnings: string[] = [];
    const store = new JsonlLogStore({ directory, onWarning: (message) => warnings.push(message) });
    store.write('messages', 'torn', { ok: 1 });
    store.write('messages', 'torn', { ok: 2 });
    await store.flush();
    appendFileSync(join(store.root, 'messages', 'torn.jsonl'), '{"time": 1, "sequence": 9, "data": {"ok": 3');
    const entries = await store.read('messages', 'torn');
    expect(entries.map((entry) => entry.data.ok)).toEqual([1, 2]);
    expect(warnings[0]).toContain('skipped a torn last line');
    await store.close();
  });

  it('keeps odd session names safe and reversible as file names', async () => {
    const directory = tempDir();
    const store = new JsonlLogStore({ directory });
    store.write('messages', '../escape', { a: 1 });
    store.write('messages', '..', { a: 2 });
    await store.flush();
    expect(readdirSync(join(store.root, 'messages')).sort()).toEqual(['%2E%2E%2Fescape.jsonl', '%2E%2E.jsonl']);
    expect((await store.sessions()).map((info) => info.session).sort()).toEqual(['..', '../escape']);
    await store.close();
  });
});

describe('sqlite with several processes', () => {
  it('four processes writing one file at once lose nothing and keep each writer in order', async () => {
    const path = join(tempDir(), 'shared.sqlite');
    const here = fileURLToPath(new URL('.', import.meta.url));
    const run = (writer: number) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [
            '--conditions=lllm-source',
            '--import',
            join(here, '../test/register-ts.mjs'),
            '--disable-warning=ExperimentalWarning',
            join(here, '../test/writer-child.ts'),
            path,
            String(writer),
            '400',
          ],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        );
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        child.on('exit', (code) => (code === 0 ? resolve(code) : reject(new Error(`writer ${writer} exited ${code}: ${stderr}`))));
      });
    await Promise.all([1, 2, 3, 4].map(run));
    const store = new SqliteLogStore({ path });
    const entries = await store.read('messages', 'shared');
    expect(entries).toHaveLength(1600);
    for (const writer of [1, 2, 3, 4]) {
      const mine = entries.filter((entry) => entry.data.writer === writer).map((entry) => entry.data.i);
      expect(mine).toEqual(Array.from({ length: 400 }, (_, i) => i));
    }
    await store.close();
  }, 60_000);
});

describe('backends by name', () => {
  it('sqlite and jsonl are created from a config by name once registered', async () => {
    registerLogBackends();
    const directory = tempDir();
    const sqlite = await createLogStore({ type: 'sqlite', directory });
    const jsonl = await createLogStore({ type: 'jsonl', directory, options: { base: 'research' } });
    expect(sqlite.type).toBe('sqlite');
    expect((jsonl as JsonlLogStore).root).toBe(join(directory, 'research'));
    await sqlite.close();
    await jsonl.close();
  });

  it('a store defined only in this test plugs in by name, with no change to core', async () => {
    const seen: string[] = [];
    class CountingStore extends MemoryLogStore {
      override write(collection: LogCollection, session: string, data: JsonObject): void {
        seen.push(`${collection}/${session}`);
        super.write(collection, session, data);
      }
    }
    registerLogBackend('counting-test', () => new CountingStore());
    // What a system config's `log_type: counting-test` turns into.
    const store = await createLogStore({ type: 'counting-test', directory: '/unused' });
    const add = tool({ name: 'add', description: 'add', parameters: z.object({ a: z.number() }), execute: ({ a }) => a + 1 });
    const task = new Prompt({ path: 'custom/task', prompt: 'go', functions: [add] });
    const agent = new Agent({
      name: 'a',
      systemPrompt: new Prompt({ path: 'custom/system', prompt: 'sys' }),
      model: 'm',
      invoker: createScriptedInvoker([{ toolCalls: [{ name: 'add', arguments: { a: 1 } }] }, { content: 'done' }]),
      log: store,
      session: 'custom',
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(task);
    await agent.call(dialog);
    expect(seen.filter((key) => key === 'messages/custom')).toHaveLength(5);
    const entries: LogEntry[] = await store.read('messages', 'custom');
    expect(entries.map((entry) => (entry.data.message as { role: string }).role)).toEqual([
      'system',
      'user',
      'tool_call',
      'tool',
      'assistant',
    ]);
  });

  it('a store defined only in this test is picked by `log_type` in a system config YAML and gets the run', async () => {
    /** Keeps entries in memory and records what it was asked: implemented here, not taken from a package. */
    class RecordingStore implements LogStore {
      readonly type = 'recording-test';
      readonly entries: LogEntry[] = [];
      flushes = 0;
      constructor(readonly config: LogStoreConfig) {}
      write(collection: LogCollection, session: string, data: JsonObject): void {
        this.entries.push({ collection, session, time: Date.now(), sequence: this.entries.length + 1, data: structuredClone(data) });
      }
      async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
        const found = this.entries.filter((entry) => entry.collection === collection && entry.session === session);
        return query.limit === undefined ? found : found.slice(0, query.limit);
      }
      async sessions(): Promise<LogSessionInfo[]> {
        const sessions = [...new Set(this.entries.map((entry) => entry.session))];
        return sessions.map((session) => ({
          session,
          firstTime: 0,
          lastTime: 0,
          entries: this.entries.filter((entry) => entry.session === session).length,
        }));
      }
      async deleteSession(session: string): Promise<void> {
        this.entries.splice(0, this.entries.length, ...this.entries.filter((entry) => entry.session !== session));
      }
      async flush(): Promise<void> {
        this.flushes += 1;
      }
      async close(): Promise<void> {}
    }
    const created: RecordingStore[] = [];
    registerLogBackend('recording-test', (config) => {
      const store = new RecordingStore(config);
      created.push(store);
      return store;
    });

    const root = tempDir();
    mkdirSync(join(root, 'config', 'recorded'), { recursive: true });
    const file = join(root, 'config', 'recorded', 'default.yaml');
    writeFileSync(
      file,
      [
        'name: recorded',
        'log_type: recording-test',
        'log_dir: run-logs',
        'agent_type: recorded_solver',
        'agent_configs:',
        '  solver:',
        '    model_name: scripted-model',
        '    system_prompt_path: recorded/system',
        '',
      ].join('\n'),
    );
    const add = tool({ name: 'add', description: 'add one', parameters: z.object({ a: z.number() }), execute: ({ a }) => a + 1 });
    const task = new Prompt({ path: 'recorded/task', prompt: 'Add one to {n}.', functions: [add] });
    defineAgent({
      agentType: 'recorded_solver',
      agentGroup: ['solver'],
      async run(input, { agents }) {
        const solver = agents.solver as Agent;
        const dialog = solver.initDialog();
        dialog.sendMessage(task, { n: input });
        return (await solver.call(dialog)).message.content;
      },
    });
    const prompts: Record<string, Prompt> = { 'recorded/system': new Prompt({ path: 'recorded/system', prompt: 'You add.' }) };

    const config = loadSystemConfig(file);
    expect(config.log_type).toBe('recording-test');
    const system = await buildAgent(config, {
      promptLookup: (path) => prompts[path] as Prompt,
      invokerFor: () => createScriptedInvoker([{ toolCalls: [{ name: 'add', arguments: { a: 1 } }] }, { content: 'It is 2.' }]),
    });
    const run = await system.run('1');

    expect(run.result).toBe('It is 2.');
    expect(created).toHaveLength(1);
    const store = created[0] as RecordingStore;
    expect(system.log).toBe(store);
    expect(store.config).toEqual({ type: 'recording-test', directory: join(root, 'run-logs'), options: {} });
    expect(store.flushes).toBeGreaterThan(0);
    const messages = await store.read('messages', run.session);
    expect(messages.map((entry) => (entry.data.message as { role: string }).role)).toEqual([
      'system',
      'user',
      'tool_call',
      'tool',
      'assistant',
    ]);
    expect(messages[3]?.data.message).toMatchObject({ role: 'tool', content: expect.stringContaining('2') });
    const dialogs = await store.read('dialogs', run.session);
    expect(dialogs.length).toBeGreaterThan(0);
    expect(new Set(messages.map((entry) => entry.data.dialogId))).toEqual(new Set([dialogs[0]?.data.dialogId]));
  });
});
