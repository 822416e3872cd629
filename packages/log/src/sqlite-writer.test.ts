import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED } from '@lllm/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteLogStore } from './sqlite-store.js';
import { type Row, SqliteWriter } from './sqlite-writer.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-writer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A log file with the store's schema, and nothing else open on it. */
async function logFile(name: string): Promise<string> {
  const path = join(folder, name);
  await new SqliteLogStore({ path }).close();
  return path;
}

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, i) => ['s', 'messages', 1000 + from + i, from + i, JSON.stringify({ i: from + i, text: 'a\nb' }), []]);

describe('SqliteWriter', () => {
  it('commits batches from its thread, in order, and stops on close', async () => {
    const path = await logFile('thread.sqlite');
    const stopped: Row[][] = [];
    const writer = new SqliteWriter({ path, busyTimeoutMs: 1000, onStop: (left) => stopped.push(left) });
    writer.post(rows(0, 300));
    writer.post(rows(300, 1));
    writer.post([]);
    await writer.settle();
    expect(writer.takeError()).toBeUndefined();
    const db = new Database(path, { readonly: true });
    const saved = db.prepare('SELECT session, collection, time, sequence, pid, data FROM entries ORDER BY id').all() as {
      sequence: number;
      pid: number;
      data: string;
    }[];
    db.close();
    expect(saved.map((row) => row.sequence)).toEqual(Array.from({ length: 301 }, (_, i) => i));
    expect(saved[0]).toMatchObject({ session: 's', collection: 'messages', time: 1000, pid: process.pid });
    expect(JSON.parse(saved[5]?.data ?? '')).toEqual({ i: 5, text: 'a\nb' });
    await writer.close();
    expect(writer.running).toBe(false);
    expect(stopped).toEqual([]);
  });

  it('redacts every row in its thread before it is saved, with the secrets the row came with', async () => {
    const path = await logFile('redacted.sqlite');
    const known = ['first-list-secret-0123456789', 'second-list-secret-0123456789'];
    const writer = new SqliteWriter({ path, busyTimeoutMs: 1000, onStop: () => {} });
    const data = (text: string, extra: Record<string, unknown> = {}) => JSON.stringify({ text, ...extra });
    writer.post([
      ['s', 'messages', 1, 1, data(`the key is ${known[0]}`), [known[0] as string]],
      ['s', 'messages', 2, 2, data(`the key is ${known[1]}`), [known[1] as string]],
      ['s', 'messages', 3, 3, data('a key pattern sk-proj-abcdefghijklmnopqrstuvwx and\ta tab'), []],
      ['s', 'messages', 4, 4, data('nothing here', { headers: { Authorization: 'Bearer anything' } }), []],
      ['s', 'messages', 5, 5, data('plain "text"\n'), []],
    ]);
    await writer.settle();
    await writer.close();
    const db = new Database(path, { readonly: true });
    const saved = (db.prepare('SELECT data FROM entries ORDER BY id').all() as { data: string }[]).map((row) => JSON.parse(row.data));
    db.close();
    expect(saved).toEqual([
      { text: `the key is ${REDACTED}` },
      { text: `the key is ${REDACTED}` },
      { text: `a key pattern ${REDACTED} and\ta tab` },
      { text: 'nothing here', headers: { Authorization: REDACTED } },
      { text: 'plain "text"\n' },
    ]);
  });

  it('hands back what it could not commit when its thread cannot write', async () => {
    const handedBack = await new Promise<Row[]>((resolve) => {
      const writer = new SqliteWriter({ path: join(folder, 'missing', 'x.sqlite'), busyTimeoutMs: 1000, onStop: resolve });
      writer.post(rows(0, 3));
      writer.post(rows(3, 2));
    });
    expect(handedBack.map((row) => row[3])).toEqual([0, 1, 2, 3, 4]);
    // As posted: not redacted yet, with their secrets, for the store to redact when it inserts them.
    expect(handedBack[0]).toEqual(rows(0, 1)[0]);
  });

  it('waitSync (a process exiting) returns the rows of a thread that stopped instead of waiting', () => {
    const writer = new SqliteWriter({ path: join(folder, 'missing', 'y.sqlite'), busyTimeoutMs: 20_000, onStop: () => {} });
    writer.post(rows(0, 4));
    const start = Date.now();
    expect(writer.waitSync().map((row) => row[3])).toEqual([0, 1, 2, 3]);
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(writer.running).toBe(false);
  });
});
