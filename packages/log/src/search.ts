// Full-text search over logged message contents and tool calls, in one session or across sessions:
// SQLite FTS5 when the store is the SQLite one (an index kept next to the entries, brought up to
// date before each search), a scan of the entries otherwise.
import { ConfigError, type LogEntry, type LogStore } from '@lllm/core';
import Database from 'better-sqlite3';

/** What narrows a search (and the viewer's filters). Every field is optional; all given must match. */
export interface LogFilter {
  /** Only this session. */
  readonly session?: string;
  /** The message's creator (an agent's name, `user`, `exception`, …). */
  readonly agent?: string;
  /** `system`, `user`, `assistant`, `tool_call`, `tool`. */
  readonly role?: string;
  /** The prompt path, or a prefix of it ending at a `/` boundary. */
  readonly prompt?: string;
  /** A tool call of this name. */
  readonly tool?: string;
  /** Only pruned (`true`) or only kept (`false`) messages. */
  readonly pruned?: boolean;
  /** A failed attempt of this kind: `parse`, `tool_call`, `provider`, or a provider error kind such as `rate_limit`. */
  readonly error?: string;
}

/** Options of {@link searchLog}. */
export interface SearchOptions extends LogFilter {
  /** At most this many matches (default 50, at most 1000). */
  readonly limit?: number;
  /** For stores without FTS5: at most this many sessions are scanned, newest first (default 200). */
  readonly scanSessions?: number;
}

/** One message that matched. */
export interface SearchHit {
  readonly session: string;
  readonly dialogId: string;
  readonly index: number;
  readonly time: number;
  readonly role: string;
  readonly creator: string;
  readonly promptPath: string | null;
  readonly pruned: boolean;
  readonly tools: readonly string[];
  /** The text around the first match (at most ~160 characters). */
  readonly snippet: string;
}

/** The matches and how they were found. */
export interface SearchResult {
  /** `fts5`: SQLite's index; `tsvector`: the store's own full-text index (PostgreSQL); `scan`: entries read one by one. */
  readonly method: 'fts5' | 'tsvector' | 'scan';
  readonly hits: readonly SearchHit[];
}

interface LoggedMessage {
  readonly role?: unknown;
  readonly content?: unknown;
  readonly caption?: unknown;
  readonly creator?: unknown;
  readonly promptPath?: unknown;
  readonly toolCalls?: readonly { name?: unknown; arguments?: unknown; result?: unknown; error?: unknown }[];
  readonly attempts?: readonly { kind?: unknown; error?: unknown; provider?: { errorKind?: unknown } }[];
}

/** The searchable text of a logged `messages` entry: content, caption, tool names, arguments and results, attempt errors. */
export function searchableText(data: Readonly<Record<string, unknown>>): string | undefined {
  const message = data.message as LoggedMessage | undefined;
  if (typeof message !== 'object' || message === null) return undefined;
  const parts: string[] = [];
  if (typeof message.content === 'string') parts.push(message.content);
  if (typeof message.caption === 'string') parts.push(message.caption);
  for (const call of Array.isArray(message.toolCalls) ? message.toolCalls : []) {
    parts.push(String(call.name ?? ''), JSON.stringify(call.arguments ?? {}));
    if (typeof call.result === 'string') parts.push(call.result);
    if (typeof call.error === 'string') parts.push(call.error);
  }
  for (const attempt of Array.isArray(message.attempts) ? message.attempts : []) {
    if (typeof attempt.error === 'string') parts.push(attempt.error);
  }
  return parts.join('\n');
}

/** The words of a query (letters, digits and what joins them), lower case; at most 16. */
export function queryTerms(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, 16);
}

/** Whether a logged `messages` entry passes `filter` (the session aside). */
export function matchesFilter(data: Readonly<Record<string, unknown>>, filter: LogFilter): boolean {
  const message = data.message as LoggedMessage | undefined;
  if (typeof message !== 'object' || message === null) return false;
  if (filter.agent !== undefined && message.creator !== filter.agent) return false;
  if (filter.role !== undefined && message.role !== filter.role) return false;
  if (filter.prompt !== undefined) {
    const path = typeof message.promptPath === 'string' ? message.promptPath : '';
    if (path !== filter.prompt && !path.startsWith(`${filter.prompt.replace(/\/$/, '')}/`)) return false;
  }
  if (filter.tool !== undefined && !(message.toolCalls ?? []).some((call) => call.name === filter.tool)) return false;
  if (filter.pruned !== undefined && (data.pruned === true) !== filter.pruned) return false;
  if (filter.error !== undefined) {
    const attempts = Array.isArray(message.attempts) ? message.attempts : [];
    if (!attempts.some((attempt) => attempt.kind === filter.error || attempt.provider?.errorKind === filter.error)) return false;
  }
  return true;
}

function snippet(text: string, terms: readonly string[]): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const lower = flat.toLowerCase();
  const at = Math.max(0, Math.min(...terms.map((term) => lower.indexOf(term)).filter((index) => index >= 0), flat.length));
  const start = Math.max(0, at - 60);
  const end = Math.min(flat.length, at + 100);
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

function hitOf(session: string, time: number, data: Readonly<Record<string, unknown>>, terms: readonly string[]): SearchHit {
  const message = data.message as LoggedMessage;
  return {
    session,
    dialogId: String(data.dialogId ?? ''),
    index: Number(data.index ?? 0),
    time,
    role: String(message.role ?? ''),
    creator: String(message.creator ?? ''),
    promptPath: typeof message.promptPath === 'string' ? message.promptPath : null,
    pruned: data.pruned === true,
    tools: (message.toolCalls ?? []).map((call) => String(call.name ?? '')),
    snippet: snippet(searchableText(data) ?? '', terms),
  };
}

function containsAll(text: string, terms: readonly string[]): boolean {
  const lower = text.toLowerCase();
  return terms.every((term) => lower.includes(term));
}

/** The FTS5 index of a SQLite log: one row per `messages` entry, rowid = the entry's id. */
const FTS_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS entries_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS entries_fts_state (id INTEGER PRIMARY KEY CHECK (id = 1), indexed INTEGER NOT NULL);
INSERT OR IGNORE INTO entries_fts_state (id, indexed) VALUES (1, 0);
`;

/** How many new entries one search indexes at most (a bounded catch-up; the next search continues). */
const INDEX_BATCH = 200_000;

function ftsSearch(path: string, terms: readonly string[], options: SearchOptions, limit: number): SearchHit[] {
  const db = new Database(path, { timeout: 5000 });
  try {
    db.exec(FTS_SCHEMA);
    const state = db.prepare('SELECT indexed FROM entries_fts_state WHERE id = 1').get() as { indexed: number };
    const rows = db
      .prepare("SELECT id, data FROM entries WHERE collection = 'messages' AND id > ? ORDER BY id LIMIT ?")
      .all(state.indexed, INDEX_BATCH) as { id: number; data: string }[];
    if (rows.length > 0) {
      const insert = db.prepare('INSERT OR REPLACE INTO entries_fts (rowid, body) VALUES (?, ?)');
      const advance = db.prepare('UPDATE entries_fts_state SET indexed = ? WHERE id = 1');
      db.transaction(() => {
        for (const row of rows) {
          let data: Record<string, unknown> | undefined;
          try {
            data = JSON.parse(row.data) as Record<string, unknown>;
          } catch {
            data = undefined;
          }
          const text = data ? searchableText(data) : undefined;
          if (text) insert.run(row.id, text);
        }
        advance.run(rows[rows.length - 1]?.id ?? state.indexed);
      })();
    }
    // Every term a quoted prefix: the user's text is never FTS5 syntax.
    const match = terms.map((term) => `"${term.replace(/"/g, '""')}"*`).join(' ');
    const found = db
      .prepare(
        `SELECT e.session AS session, e.time AS time, e.data AS data FROM entries_fts f JOIN entries e ON e.id = f.rowid
         WHERE entries_fts MATCH ? ${options.session === undefined ? '' : 'AND e.session = ?'}
         ORDER BY e.id DESC LIMIT ?`,
      )
      .all(match, ...(options.session === undefined ? [] : [options.session]), limit * 20) as {
      session: string;
      time: number;
      data: string;
    }[];
    const hits: SearchHit[] = [];
    for (const row of found) {
      const data = JSON.parse(row.data) as Record<string, unknown>;
      if (!matchesFilter(data, options)) continue;
      hits.push(hitOf(row.session, Number(row.time), data, terms));
      if (hits.length >= limit) break;
    }
    return hits;
  } finally {
    db.close();
  }
}

/**
 * A store with its own full-text index (`@lllm/log-postgres`): it returns the `messages` entries that
 * match the query, newest first; the filters are applied here, as for FTS5.
 */
interface FullTextSearchStore {
  fullTextSearch(request: { query: string; terms: readonly string[]; session?: string; limit: number }): Promise<{
    method: 'tsvector';
    entries: readonly LogEntry[];
  }>;
}

function hasFullTextSearch(store: LogStore): store is LogStore & FullTextSearchStore {
  return typeof (store as Partial<FullTextSearchStore>).fullTextSearch === 'function';
}

async function storeSearch(store: FullTextSearchStore, query: string, terms: readonly string[], options: SearchOptions, limit: number) {
  const found = await store.fullTextSearch({
    query,
    terms,
    ...(options.session === undefined ? {} : { session: options.session }),
    limit: limit * 20,
  });
  const hits: SearchHit[] = [];
  for (const entry of found.entries) {
    if (!matchesFilter(entry.data, options)) continue;
    hits.push(hitOf(entry.session, entry.time, entry.data, terms));
    if (hits.length >= limit) break;
  }
  return { method: found.method, hits };
}

async function scanSearch(store: LogStore, terms: readonly string[], options: SearchOptions, limit: number): Promise<SearchHit[]> {
  const sessions =
    options.session === undefined
      ? (await store.sessions())
          .sort((a, b) => b.lastTime - a.lastTime)
          .slice(0, options.scanSessions ?? 200)
          .map((info) => info.session)
      : [options.session];
  const hits: SearchHit[] = [];
  for (const session of sessions) {
    const entries: LogEntry[] = await store.read('messages', session);
    for (const entry of entries.reverse()) {
      const text = searchableText(entry.data);
      if (text === undefined || !containsAll(text, terms) || !matchesFilter(entry.data, options)) continue;
      hits.push(hitOf(session, entry.time, entry.data, terms));
      if (hits.length >= limit) return hits;
    }
  }
  return hits;
}

/**
 * Find logged messages whose content, tool calls (names, arguments, results) or failed attempts
 * contain every word of `query` (case-insensitive; in FTS5, as word prefixes), newest first,
 * narrowed by `options`. A SQLite store is searched through an FTS5 index kept in the same file, a
 * store with its own index (`fullTextSearch`, as `@lllm/log-postgres` has) through that index; any
 * other store is scanned.
 */
export async function searchLog(store: LogStore, query: string, options: SearchOptions = {}): Promise<SearchResult> {
  const terms = queryTerms(query);
  if (terms.length === 0) {
    throw new ConfigError(`Search for ${JSON.stringify(query)} has no words to look for: give at least one word, e.g. "weather".`);
  }
  const limit = Math.min(Math.max(1, Math.trunc(options.limit ?? 50)), 1000);
  await store.flush();
  const path = (store as { path?: unknown }).path;
  if (store.type === 'sqlite' && typeof path === 'string') {
    try {
      return { method: 'fts5', hits: ftsSearch(path, terms, options, limit) };
    } catch {
      // A read-only file, or a SQLite built without FTS5: the scan finds the same messages, slower.
    }
  }
  if (hasFullTextSearch(store)) return await storeSearch(store, query, terms, options, limit);
  return { method: 'scan', hits: await scanSearch(store, terms, options, limit) };
}
