// Full-text search over real logged sessions: SQLite through FTS5 (the index kept up to date as the
// log grows), JSONL by a scan, both with the same filters; latency and rate-limit waits in replays.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@lllm/core';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logTravelSession, logWeatherSession } from './__fixtures__/sessions.js';
import { JsonlLogStore } from './jsonl-store.js';
import { ReplaySession, renderTranscript } from './replay.js';
import { searchLog } from './search.js';
import { SqliteLogStore } from './sqlite-store.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-search-'));
const sqlite = new SqliteLogStore({ directory: join(folder, 'sqlite') });
const jsonl = new JsonlLogStore({ directory: join(folder, 'jsonl') });

beforeAll(async () => {
  for (const store of [sqlite, jsonl]) {
    await logWeatherSession(store, 'weather');
    await logTravelSession(store, 'travel');
  }
});
afterAll(async () => {
  await sqlite.close();
  await jsonl.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('searchLog', () => {
  for (const [name, store, method] of [
    ['sqlite', sqlite, 'fts5'],
    ['jsonl', jsonl, 'scan'],
  ] as const) {
    it(`${name}: finds message text and tool calls across sessions and in one, with filters (${method})`, async () => {
      const jacket = await searchLog(store, 'JACKET');
      expect(jacket.method).toBe(method);
      expect(jacket.hits.map((hit) => hit.session).sort()).toEqual(['travel', 'weather']);
      expect(jacket.hits.find((hit) => hit.session === 'weather')).toMatchObject({
        role: 'assistant',
        creator: 'forecaster',
        promptPath: 'weather/task',
        pruned: false,
        snippet: '<answer>Bring a jacket tonight</answer>',
      });
      const inOne = await searchLog(store, 'jacket', { session: 'travel' });
      expect(inOne.hits.map((hit) => hit.creator)).toEqual(['planner']);
      // Tool calls: the name, the arguments and the result are searchable.
      const calls = await searchLog(store, 'lookup oslo');
      expect(calls.hits.some((hit) => hit.role === 'tool_call' && hit.tools.includes('lookup'))).toBe(true);
      expect((await searchLog(store, 'drizzle', { role: 'tool' })).hits).toHaveLength(1);
      // Filters: agent, prompt (a folder prefix too), tool, pruned, error kind.
      expect((await searchLog(store, 'drizzle', { prompt: 'review' })).hits.map((hit) => hit.role)).toEqual(['user']);
      expect((await searchLog(store, 'umbrella', { agent: 'critic' })).hits.map((hit) => hit.role)).toEqual(['assistant']);
      expect((await searchLog(store, 'umbrella', { agent: 'forecaster' })).hits).toEqual([]);
      expect((await searchLog(store, 'oslo', { prompt: 'weather', role: 'user' })).hits).toHaveLength(2);
      expect((await searchLog(store, 'oslo', { tool: 'lookup' })).hits.map((hit) => hit.role)).toEqual(['tool_call']);
      const pruned = await searchLog(store, 'warm', { pruned: true });
      expect(pruned.hits).toEqual([expect.objectContaining({ pruned: true, snippet: 'It is warm, maybe.' })]);
      expect((await searchLog(store, 'warm', { pruned: false })).hits).toEqual([]);
      // The refused request (pruned), and the accepted reply that carries the call's failed attempts.
      const limited = (await searchLog(store, 'rate limited', { error: 'rate_limit' })).hits;
      expect(limited.map((hit) => `${hit.session} ${hit.creator} ${hit.role} ${hit.pruned}`).sort()).toEqual([
        'weather forecaster assistant true',
        'weather forecaster tool_call false',
      ]);
      expect((await searchLog(store, 'answer', { error: 'parse' })).hits.length).toBeGreaterThan(0);
      expect((await searchLog(store, 'jacket', { limit: 1 })).hits).toHaveLength(1);
      expect((await searchLog(store, 'nothing-like-this')).hits).toEqual([]);
    });
  }

  it('sqlite: the FTS5 index catches up with entries written after the last search; deleted sessions drop out', async () => {
    await logTravelSession(sqlite, 'travel-2');
    expect((await searchLog(sqlite, 'bergen')).hits.map((hit) => hit.session).sort()).toEqual(['travel', 'travel', 'travel-2', 'travel-2']);
    await sqlite.deleteSession('travel-2');
    expect((await searchLog(sqlite, 'bergen')).hits.map((hit) => hit.session)).toEqual(['travel', 'travel']);
    // The index is a real FTS5 table in the log file.
    const db = new Database(sqlite.path, { readonly: true });
    const table = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'entries_fts'").get() as { sql: string };
    db.close();
    expect(table.sql).toContain('USING fts5');
  });

  it('a query with no words is a typed error that says what to give', async () => {
    await expect(searchLog(sqlite, ' "*" ')).rejects.toThrow(ConfigError);
    await expect(searchLog(sqlite, '""')).rejects.toThrow('has no words to look for');
  });
});

describe('latency and rate-limit waits', () => {
  it('each reply has its latency, each agent a summary, and the waits on rate limits are added up', async () => {
    const replay = await ReplaySession.load(sqlite, 'weather');
    const replies = replay.dialogs.flatMap((dialog) => dialog.messages).filter((entry) => entry.message.role !== 'user');
    const timed = replies.filter((entry) => ['assistant', 'tool_call'].includes(entry.message.role) && !entry.copied);
    expect(timed.length).toBeGreaterThan(0);
    for (const entry of timed) expect(entry.latencyMs).toEqual(expect.any(Number));
    for (const entry of replies.filter((item) => ['system', 'tool'].includes(item.message.role))) expect(entry.latencyMs).toBeNull();
    // The refused request took its own ~15 ms; the reply after it includes the 40 ms wait.
    const failed = timed.find((entry) => entry.message.attempts.some((attempt) => attempt.provider));
    expect(failed?.latencyMs).toBeGreaterThanOrEqual(10);
    const first = replay.roots[0]?.messages.find((entry) => entry.message.role === 'tool_call');
    expect(first?.latencyMs).toBeGreaterThanOrEqual(40);
    expect(replay.rateLimitWaitMs).toBe(40);
    const forecaster = replay.agents.find((agent) => agent.agent === 'forecaster');
    expect(forecaster).toMatchObject({ rateLimitWaits: 1, rateLimitWaitMs: 40 });
    expect(forecaster?.maxLatencyMs).toBeGreaterThanOrEqual(40);
    expect(forecaster?.meanLatencyMs).toBeGreaterThan(0);
    expect(replay.agents.find((agent) => agent.agent === 'critic')).toMatchObject({ rateLimitWaits: 0, rateLimitWaitMs: 0 });
    const json = replay.toJSON() as { rateLimitWaitMs: number; dialogs: { messages: { latencyMs: number | null }[] }[] };
    expect(json.rateLimitWaitMs).toBe(40);
    expect(json.dialogs.flatMap((dialog) => dialog.messages).some((entry) => typeof entry.latencyMs === 'number')).toBe(true);
    const text = renderTranscript(replay);
    expect(text).toContain('waited 40 ms on rate limits');
    expect(text).toMatch(/forecaster: .*latency \d+ ms mean \/ \d+ ms max, 1 rate-limit waits \(40 ms\)/);
  });
});
