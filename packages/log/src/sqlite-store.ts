import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  filterSessions,
  type JsonObject,
  LllmError,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  nextLogSequence,
  type ReadQuery,
  redactSecrets,
  type SessionQuery,
} from '@lllm/core';
import Database from 'better-sqlite3';

/** Options of the SQLite store. */
export interface SqliteLogStoreOptions {
  /** The database file. Default: `<directory>/lllm.sqlite`. */
  readonly path?: string;
  /** The folder for the default file (`log_dir`). */
  readonly directory?: string;
  /** Queued writes that trigger an immediate flush (default 256). */
  readonly batchSize?: number;
  /** How long a write may wait in the queue before it is flushed, in ms (default 25). */
  readonly flushIntervalMs?: number;
  /** How long to wait for another process holding the write lock, in ms (default 10,000). */
  readonly busyTimeoutMs?: number;
}

interface Pending {
  readonly collection: LogCollection;
  readonly session: string;
  readonly time: number;
  readonly sequence: number;
  readonly data: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  session TEXT NOT NULL,
  collection TEXT NOT NULL,
  time INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  pid INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_session ON entries (session, collection, id);
CREATE INDEX IF NOT EXISTS entries_time ON entries (time);
CREATE INDEX IF NOT EXISTS entries_collection ON entries (collection, session);
`;

/**
 * The embedded default log store: one SQLite file in WAL mode, writes queued and flushed in
 * transactions, safe with several processes writing the same file (they wait for each other's
 * write lock up to `busyTimeoutMs`). Secrets are redacted before anything is queued.
 */
export class SqliteLogStore implements LogStore {
  readonly type = 'sqlite';
  /** The database file. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertMany: (rows: readonly Pending[]) => void;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #error: unknown;
  #closed = false;

  constructor(options: SqliteLogStoreOptions = {}) {
    this.path = options.path ?? join(options.directory ?? '.', 'lllm.sqlite');
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    try {
      this.#db = new Database(this.path);
    } catch (error) {
      throw new LllmError(
        `Cannot open the SQLite log at ${this.path}: ${error instanceof Error ? error.message : String(error)}. Check log_dir exists and is writable.`,
        {
          cause: error,
        },
      );
    }
    this.#db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare('INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.#insertMany = this.#db.transaction((rows: readonly Pending[]) => {
      for (const row of rows) this.#insert.run(row.session, row.collection, row.time, row.sequence, process.pid, row.data);
    });
    this.#batchSize = options.batchSize ?? 256;
    this.#flushIntervalMs = options.flushIntervalMs ?? 25;
    // better-sqlite3 is synchronous, so queued writes can still be saved while the process exits.
    process.on('exit', this.#onExit);
  }

  readonly #onExit = (): void => {
    if (!this.#closed) this.#flushNow();
  };

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    this.#queue.push({ collection, session, time: Date.now(), sequence: nextLogSequence(), data: JSON.stringify(redactSecrets(data)) });
    if (this.#queue.length >= this.#batchSize) this.#flushNow();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flushNow(), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  #flushNow(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queue.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    try {
      this.#insertMany(rows);
    } catch (error) {
      // Keep the rows for the next attempt and report the failure from flush()/close().
      this.#queue = [...rows, ...this.#queue];
      this.#error = error;
    }
  }

  async flush(): Promise<void> {
    this.#flushNow();
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      throw new LllmError(`Writing to the SQLite log at ${this.path} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    this.#flushNow();
    const rows = this.#db
      .prepare(
        `SELECT collection, session, time, sequence, data FROM entries
         WHERE session = ? AND collection = ? AND time >= ? AND time < ?
         ORDER BY id ${query.limit === undefined ? '' : 'LIMIT ?'}`,
      )
      .all(
        ...[
          session,
          collection,
          query.since ?? 0,
          query.until ?? Number.MAX_SAFE_INTEGER,
          ...(query.limit === undefined ? [] : [query.limit]),
        ],
      ) as {
      collection: LogCollection;
      session: string;
      time: number;
      sequence: number;
      data: string;
    }[];
    return rows.map((row) => ({
      collection: row.collection,
      session: row.session,
      time: row.time,
      sequence: row.sequence,
      data: JSON.parse(row.data) as JsonObject,
    }));
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    this.#flushNow();
    const rows = this.#db
      .prepare(
        `SELECT session, MIN(time) AS firstTime, MAX(time) AS lastTime, COUNT(*) AS entries FROM entries
         ${query.prefix === undefined ? '' : 'WHERE session >= ? AND session < ? || char(1114111)'}
         GROUP BY session`,
      )
      .all(...(query.prefix === undefined ? [] : [query.prefix, query.prefix])) as LogSessionInfo[];
    return filterSessions(rows, query);
  }

  async deleteSession(session: string): Promise<void> {
    this.#flushNow();
    this.#db.prepare('DELETE FROM entries WHERE session = ?').run(session);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    process.off('exit', this.#onExit);
    this.#db.close();
  }
}
