// The PostgreSQL store against a real server: the LogStore contract every store passes, batched
// inserts (a few statements, not one per entry) on a size and a timer, order across two writers,
// search through the tsvector index (the same hits as SQLite's FTS5 for the same logged sessions),
// replay and the viewer reading from it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplaySession, renderTranscript, SqliteLogStore, searchLog, serveReplayViewer } from '@lllm/log';
import { describeLogStoreContract } from '@lllm/log/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTravelSession, logWeatherSession } from '../../log/src/__fixtures__/sessions.js';
import { PostgresLogStore } from './postgres-store.js';
import { adminSql, freshSchema, postgresUrl } from './test-support.js';

const open = (schema: string, options: { batchSize?: number; flushIntervalMs?: number } = {}) =>
  PostgresLogStore.open({ url: postgresUrl, schema, flushIntervalMs: 5, ...options });

async function rowCount(schema: string): Promise<number> {
  const [row] = await adminSql().unsafe<{ count: string }[]>(`SELECT count(*) AS count FROM "${schema}".entries`);
  return Number(row?.count);
}

describe.skipIf(!postgresUrl)('PostgreSQL log store', () => {
  describeLogStoreContract('postgres', {
    place: () => freshSchema('contract'),
    open: (schema) => open(schema),
    storedText: async (schema) => {
      const [row] = await adminSql().unsafe<{ text: string }[]>(
        `SELECT coalesce(string_agg(t::text, E'\\n'), '') AS text FROM "${schema}".entries t`,
      );
      return row?.text ?? '';
    },
  });

  it('inserts in batches: 12,000 entries take a few transactions, not 12,000, and keep their order', async () => {
    const schema = freshSchema('batch');
    const store = await open(schema, { batchSize: 1000 });
    for (let i = 0; i < 12_000; i++) store.write('frontend', 'many', { i });
    await store.flush();
    expect(await rowCount(schema)).toBe(12_000);
    // Every batch is one transaction: the transaction ids count the batches (two run at once).
    const [row] = await adminSql().unsafe<{ batches: string }[]>(`SELECT count(DISTINCT xmin::text) AS batches FROM "${schema}".entries`);
    expect(Number(row?.batches)).toBeGreaterThanOrEqual(3);
    expect(Number(row?.batches)).toBeLessThanOrEqual(5);
    expect((await store.read('frontend', 'many')).map((entry) => entry.data.i)).toEqual(Array.from({ length: 12_000 }, (_, i) => i));
    await store.close();
  });

  it('a short timer inserts what is queued without flush(); a long one waits for flush()', async () => {
    const quick = freshSchema('timer');
    const store = await open(quick, { flushIntervalMs: 20 });
    store.write('messages', 'timed', { n: 1 });
    let seen = 0;
    for (let round = 0; round < 100 && seen === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen = await rowCount(quick);
    }
    expect(seen).toBe(1);
    await store.close();

    const slow = freshSchema('timer');
    const waiting = await open(slow, { flushIntervalMs: 60_000 });
    waiting.write('messages', 'timed', { n: 1 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await rowCount(slow)).toBe(0);
    await waiting.flush();
    expect(await rowCount(slow)).toBe(1);
    await waiting.close();
  });

  it('two stores writing one session at once keep each writer in order and lose nothing', async () => {
    const schema = freshSchema('writers');
    const [first, second] = await Promise.all([open(schema, { batchSize: 50 }), open(schema, { batchSize: 50 })]);
    if (!first || !second) throw new Error('stores did not open');
    for (let i = 0; i < 400; i++) {
      first.write('messages', 'shared', { writer: 1, i });
      second.write('messages', 'shared', { writer: 2, i });
      if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all([first.flush(), second.flush()]);
    const entries = await first.read('messages', 'shared');
    expect(entries).toHaveLength(800);
    for (const writer of [1, 2]) {
      expect(entries.filter((entry) => entry.data.writer === writer).map((entry) => entry.data.i)).toEqual(
        Array.from({ length: 400 }, (_, i) => i),
      );
    }
    await Promise.all([first.close(), second.close()]);
  });

  it('keeps text PostgreSQL text cannot hold (NUL), odd JSON and COPY escapes exactly', async () => {
    const schema = freshSchema('odd');
    const store = await open(schema);
    const data = {
      message: { role: 'user', content: 'nul \u0000 here, emoji 🦜, quote " and \\ backslash' },
      big: 2 ** 52,
      nested: { list: [null, true, 1.5] },
    };
    store.write('messages', 'odd', data);
    expect((await store.read('messages', 'odd'))[0]?.data).toEqual(data);
    // COPY's own escapes (backslash, tab, newline, \N) in a session name and in text arrive as written.
    const session = 'tab\there\nnew line \\N back\\slash\r';
    store.write('frontend', session, { text: 'a\tb\\N\n' });
    expect(await store.read('frontend', session)).toEqual([expect.objectContaining({ session, data: { text: 'a\tb\\N\n' } })]);
    expect((await store.sessions({ prefix: 'tab\t' })).map((info) => info.session)).toEqual([session]);
    expect((await searchLog(store, 'emoji')).hits).toHaveLength(1);
    await store.close();
  });

  describe('search, replay and the viewer read from it', () => {
    let folder: string;
    let sqlite: SqliteLogStore;
    let store: PostgresLogStore;
    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'lllm-pg-search-'));
      sqlite = new SqliteLogStore({ directory: folder });
      store = await open(freshSchema('search'));
      for (const target of [store, sqlite]) {
        await logWeatherSession(target, 'weather');
        await logTravelSession(target, 'travel');
      }
    });
    afterAll(async () => {
      await store.close();
      await sqlite.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it('searchLog goes through the tsvector index and finds what SQLite FTS5 finds, with every filter', async () => {
      const queries: [string, Parameters<typeof searchLog>[2]][] = [
        ['jacket', {}],
        ['JACKET', { session: 'travel' }],
        ['lookup oslo', {}],
        ['drizzle', { role: 'tool' }],
        ['drizzle', { prompt: 'review' }],
        ['umbrella', { agent: 'critic' }],
        ['oslo', { prompt: 'weather', role: 'user' }],
        ['oslo', { tool: 'lookup' }],
        ['warm', { pruned: true }],
        ['rate limited', { error: 'rate_limit' }],
        ['answer', { error: 'parse' }],
        ['berg', {}],
        ['nothing-like-this', {}],
      ];
      let compared = 0;
      for (const [query, options] of queries) {
        const ours = await searchLog(store, query, options);
        const theirs = await searchLog(sqlite, query, options);
        expect(ours.method).toBe('tsvector');
        expect(theirs.method).toBe('fts5');
        const key = (hit: { session: string; role: string; creator: string; index: number; pruned: boolean; snippet: string }) =>
          `${hit.session} ${hit.role} ${hit.creator} ${hit.index} ${hit.pruned} ${hit.snippet}`;
        expect(ours.hits.map(key).sort(), `${query} ${JSON.stringify(options)}`).toEqual(theirs.hits.map(key).sort());
        compared += ours.hits.length;
      }
      expect(compared).toBeGreaterThan(10);
    });

    it("takes PostgreSQL's web-search syntax: phrases, or, -word", async () => {
      const all = (await searchLog(store, 'jacket')).hits.length;
      expect(all).toBeGreaterThan(1);
      expect((await searchLog(store, 'jacket -tonight')).hits.length).toBeLessThan(all);
      expect((await searchLog(store, '"bring a jacket"')).hits.length).toBeGreaterThan(0);
      expect((await searchLog(store, '"jacket bring"')).hits).toEqual([]);
      expect((await searchLog(store, 'umbrella or bergen')).hits.length).toBeGreaterThan((await searchLog(store, 'umbrella')).hits.length);
      // The index is a GIN index on the tsvector column.
      const [index] = await adminSql().unsafe<{ definition: string }[]>(
        `SELECT indexdef AS definition FROM pg_indexes WHERE schemaname = '${store.schema}' AND indexname = 'entries_search'`,
      );
      expect(index?.definition).toContain('USING gin (search)');
    });

    it('a replay of a session read from PostgreSQL is the one read from SQLite', async () => {
      const ours = await ReplaySession.load(store, 'weather');
      const theirs = await ReplaySession.load(sqlite, 'weather');
      // The two logs hold two runs of the same script: dialog ids and timings differ, nothing else.
      const shape = (text: string) =>
        text
          .replace(/\b[0-9a-f]{8}\b/g, 'ID')
          .replace(/\d+ ms/g, 'N ms')
          .replace(/\d\d:\d\d:\d\d/g, 'TIME');
      expect(shape(renderTranscript(ours, { color: false }))).toEqual(shape(renderTranscript(theirs, { color: false })));
      const counts = (replay: ReplaySession) =>
        replay.agents.map(({ agent, replies, retries, toolCalls, tokens, rateLimitWaits }) => ({
          agent,
          replies,
          retries,
          toolCalls,
          tokens,
          rateLimitWaits,
        }));
      expect(counts(ours)).toEqual(counts(theirs));
      expect(renderTranscript(ours, { color: false })).toContain('jacket');
    });

    it('the replay viewer lists, opens and searches the PostgreSQL log over HTTP', async () => {
      const viewer = await serveReplayViewer({ store, port: 0 });
      try {
        const get = async (path: string) => {
          const response = await fetch(`${viewer.origin}${path}`, { headers: { authorization: `Bearer ${viewer.token}` } });
          expect(response.status).toBe(200);
          return (await response.json()) as Record<string, unknown> & unknown[];
        };
        const sessions = (await get('/api/sessions')) as unknown as { session: string }[];
        expect(sessions.map((info) => info.session).sort()).toEqual(['travel', 'weather']);
        const session = (await get('/api/sessions/weather')) as unknown as { session: string; dialogs: unknown[] };
        expect(session.session).toBe('weather');
        expect(session.dialogs.length).toBeGreaterThan(0);
        const found = (await get('/api/search?q=jacket')) as unknown as { method: string; hits: unknown[] };
        expect(found.method).toBe('tsvector');
        expect(found.hits.length).toBeGreaterThan(0);
      } finally {
        await viewer.close();
      }
    });
  });
});
