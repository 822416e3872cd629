// The log under mistakes and signals: foreign or corrupt files, folders that cannot exist, signals
// with entries still queued, many stores in one process, private file modes, one copy of a long
// reply, and transcripts that cannot drive the terminal.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, Dialog, Message } from '@lllm/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LogStoreError } from './errors.js';
import { JsonlLogStore } from './jsonl-store.js';
import { ReplaySession, renderTranscript } from './replay.js';
import { writeSessionEnd } from './session-end.js';
import { SqliteLogStore } from './sqlite-store.js';

const folders: string[] = [];
function tempDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-log-hard-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

async function caughtAsync(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('files that are not LLLM logs are typed errors naming the file and the fix', () => {
  it('a text file where the SQLite log should be', () => {
    const path = join(tempDir(), 'lllm.sqlite');
    writeFileSync(path, 'this is not a database, just some notes\n'.repeat(100));
    const error = caught(() => new SqliteLogStore({ path }));
    expect(LogStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe(
      `${path} cannot be used as the SQLite log: it is not a SQLite database. Move the file away, or point log_dir at another folder.`,
    );
  });

  it('a SQLite database whose entries table is someone else’s', () => {
    const path = join(tempDir(), 'lllm.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE entries (name TEXT, value INTEGER)');
    db.close();
    expect(() => new SqliteLogStore({ path })).toThrow(
      /cannot be used as the SQLite log: its "entries" table has no "id", "session", "collection"/,
    );
  });

  it('a row whose data is not a JSON object, and a logged message of the wrong shape', async () => {
    const path = join(tempDir(), 'lllm.sqlite');
    const store = new SqliteLogStore({ path, writerThread: false });
    store.write('messages', 'edited', { dialogId: 'd1', index: 0, message: { role: 'user', content: 'hi', creator: 'user' } });
    await store.flush();
    const db = new Database(path);
    db.prepare(
      "INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES ('edited', 'messages', 1, 1, 1, 'not json')",
    ).run();
    db.prepare(
      `INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES ('shape', 'messages', 1, 7, 1, '{"dialogId":"d","message":{"role":"wizard"}}')`,
    ).run();
    db.close();
    const bad = await caughtAsync(() => store.read('messages', 'edited'));
    expect(LogStoreError.isInstance(bad)).toBe(true);
    expect((bad as Error).message).toMatch(
      /^Row 2 of the SQLite log .* is not a log entry \(its data is not a JSON object\).*Delete that row/,
    );
    const shape = await caughtAsync(() => ReplaySession.load(store, 'shape'));
    expect(LogStoreError.isInstance(shape)).toBe(true);
    expect((shape as Error).message).toContain(`Entry 7 of session "shape" in ${path} is not a logged message`);
    await store.close();
  });

  it('a JSONL line of the wrong shape is skipped with a warning, like a torn line', async () => {
    const directory = tempDir();
    const warnings: string[] = [];
    const store = new JsonlLogStore({ directory, onWarning: (message) => warnings.push(message) });
    store.write('messages', 's', { ok: 1 });
    await store.flush();
    const file = join(directory, 'default', 'messages', 's.jsonl');
    writeFileSync(file, `[1,2]\n{"time":"x"}\n${(await import('node:fs')).readFileSync(file, 'utf8')}`);
    writeFileSync(join(directory, 'default', 'messages', '%zz.jsonl'), '');
    expect((await store.read('messages', 's')).map((entry) => entry.data)).toEqual([{ ok: 1 }]);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('skipped line 1: not a log entry');
    expect((await store.sessions()).map((info) => info.session)).toEqual(['s']);
    await store.close();
  });

  it('log_dir under a file, and under /proc (where a recursive mkdir spins forever), fail at once', () => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    for (const make of [
      () => new SqliteLogStore({ directory: join(file, 'logs') }),
      () => new JsonlLogStore({ directory: join(file, 'logs') }),
    ]) {
      const error = caught(make);
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(`${file} is a file, not a folder`);
    }
    const started = Date.now();
    expect(() => new SqliteLogStore({ directory: '/proc/lllm-log-test' })).toThrow(
      'log_dir "/proc/lllm-log-test" cannot be created: /proc does not accept new folders',
    );
    expect(() => new JsonlLogStore({ directory: '/proc/lllm-log-test' })).toThrow(/\/proc does not accept new folders/);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('transcripts are private', () => {
  it('SQLite: a new folder is 0700, the database and its -wal file 0600', async () => {
    const folder = join(tempDir(), 'logs', 'deep');
    const store = new SqliteLogStore({ directory: folder });
    store.write('messages', 's', { secret: false });
    await store.flush();
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(folder, '..')).mode & 0o777).toBe(0o700);
    const files = readdirSync(folder);
    expect(files).toContain('lllm.sqlite-wal');
    for (const name of files) expect(`${name} ${(statSync(join(folder, name)).mode & 0o777).toString(8)}`).toBe(`${name} 600`);
    await store.close();
  });

  it('JSONL: folders 0700, files 0600', async () => {
    const directory = join(tempDir(), 'logs');
    const store = new JsonlLogStore({ directory });
    store.write('messages', 's', { a: 1 });
    await store.close();
    for (const folder of [directory, join(directory, 'default'), join(directory, 'default', 'messages')])
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(join(directory, 'default', 'messages', 's.jsonl')).mode & 0o777).toBe(0o600);
  });

  it('a write that fails is a LogStoreError from flush(), never a crash', async () => {
    const directory = join(tempDir(), 'logs');
    const store = new JsonlLogStore({ directory });
    store.write('messages', 's', { a: 1 });
    await store.flush();
    chmodSync(join(directory, 'default', 'messages', 's.jsonl'), 0o400);
    store.write('messages', 's', { a: 2 });
    // Root ignores file modes: make the file a folder instead, which nobody can append to.
    rmSync(join(directory, 'default', 'messages', 's.jsonl'));
    (await import('node:fs')).mkdirSync(join(directory, 'default', 'messages', 's.jsonl'));
    const error = await caughtAsync(() => store.flush());
    expect(LogStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^Writing the JSONL log under .* failed: EISDIR/);
  });
});

describe('process hooks', () => {
  it('one exit hook for any number of stores, gone when the last closes', async () => {
    const before = process.listenerCount('exit');
    const sigint = process.listenerCount('SIGINT');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const directory = tempDir();
    const stores = Array.from({ length: 30 }, (_, index) =>
      index % 2 ? new JsonlLogStore({ directory, base: String(index) }) : new SqliteLogStore({ path: join(directory, `${index}.sqlite`) }),
    );
    // Other tests' stores may hold the hook already: at most one listener more, however many stores.
    expect(process.listenerCount('exit') - before).toBeLessThanOrEqual(1);
    expect(process.listenerCount('SIGINT') - sigint).toBeLessThanOrEqual(1);
    for (const store of stores) await store.close();
    expect(process.listenerCount('exit')).toBeLessThanOrEqual(before);
    expect(process.listenerCount('SIGINT')).toBeLessThanOrEqual(sigint);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
  });

  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const kind of ['sqlite', 'jsonl'] as const) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      it(`${kind}: ${signal} with entries queued saves them all, then ends the process by that signal`, async () => {
        const directory = tempDir();
        const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
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
              'signal',
              '600',
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          );
          child.stdout.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) child.kill(signal);
          });
          child.on('error', reject);
          child.on('exit', (code, received) => resolve({ code, signal: received }));
        });
        expect(ended).toEqual({ code: null, signal });
        const store = kind === 'sqlite' ? new SqliteLogStore({ directory }) : new JsonlLogStore({ directory });
        const entries = await store.read('messages', 'exit');
        await store.close();
        expect(entries.map((entry) => entry.data.i)).toEqual(Array.from({ length: 600 }, (_, i) => i));
      }, 30_000);
    }
  }
});

describe('a long reply is stored once', () => {
  it('a 10 MB reply with its provider payload makes a row of about 10 MB, not 30', async () => {
    const path = join(tempDir(), 'lllm.sqlite');
    const store = new SqliteLogStore({ path });
    const content = 'word '.repeat(2_000_000);
    const dialog = Dialog.create({ log: { store, session: 'big' } });
    dialog.append(
      new Message({
        role: 'assistant',
        content,
        creator: 'writer',
        parsed: content,
        raw: { id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] },
      }),
    );
    await store.flush();
    const db = new Database(path, { readonly: true });
    const row = db.prepare("SELECT length(data) AS size FROM entries WHERE collection = 'messages'").get() as { size: number };
    db.close();
    expect(row.size).toBeGreaterThan(content.length);
    expect(row.size).toBeLessThan(content.length + 10_000);
    const replay = await ReplaySession.load(store, 'big');
    const message = replay.dialogs[0]?.messages[0]?.message as Message;
    expect(message.content).toBe(content);
    expect((message.raw as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(content);
    await store.close();
  });
});

describe('the terminal transcript', () => {
  it('shows control characters from the log as escapes, redacts secrets, and shows the end marker', async () => {
    const store = new SqliteLogStore({ path: join(tempDir(), 'lllm.sqlite') });
    const dialog = Dialog.create({ log: { store, session: 'hostile\u001b]0;title\u0007' } });
    dialog.append(
      new Message({
        role: 'assistant',
        content: 'fine\u001b[2J\u001b[H\rYou have been logged out\u009b0m key sk-proj-abcdefghijklmnopqrstuvwx',
        creator: 'agent\u001b[31m',
      }),
    );
    writeSessionEnd(store, 'hostile\u001b]0;title\u0007', 'cancelled', 'SIGINT');
    const replay = await ReplaySession.load(store, 'hostile\u001b]0;title\u0007');
    expect(replay.end).toMatchObject({ status: 'cancelled', reason: 'SIGINT' });
    for (const color of [false, true]) {
      const text = renderTranscript(replay, { color });
      // The only escape sequences are the transcript's own colours.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
      expect(text.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(text).toContain('fine\\e[2J\\e[H You have been logged out\\x9b0m key [REDACTED]');
      expect(text).toContain('Session hostile\\e]0;title\\x07');
      expect(text).toContain('Ended: cancelled (SIGINT)');
    }
    await store.close();
  });
});
