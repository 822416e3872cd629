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
  type SessionQuery,
} from '@lllm/core';
import Database from 'better-sqlite3';
import { type SerializedEntry, serializeEntry, storedJson } from './entry-json.js';
import { type Row, SqliteWriter } from './sqlite-writer.js';

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
  /**
   * Insert from a worker thread with its own connection, so inserts and commits never hold up agent
   * calls (default true; always false for `:memory:`). With false, the writing thread inserts itself.
   */
  readonly writerThread?: boolean;
}

interface Pending {
  readonly collection: LogCollection;
  readonly session: string;
  readonly time: number;
  readonly sequence: number;
  readonly entry: SerializedEntry;
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

/** A queued entry as a table row; secrets are redacted here, before the row goes anywhere. */
function toRow(pending: Pending): Row {
  return [pending.session, pending.collection, pending.time, pending.sequence, storedJson(pending.entry)];
}

/**
 * The embedded default log store: one SQLite file in WAL mode, writes queued and flushed in
 * transactions, safe with several processes writing the same file (they wait for each other's
 * write lock up to `busyTimeoutMs`). `write()` only serializes the entry and queues it; a worker
 * thread inserts the batches (see `writerThread`). Secrets are redacted before a row leaves the
 * queue, and queued rows are still saved when the process exits.
 */
export class SqliteLogStore implements LogStore {
  readonly type = 'sqlite';
  /** The database file. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #insertMany: (rows: readonly Row[]) => void;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #busyTimeoutMs: number;
  /** Written, not yet handed on. */
  #queue: Pending[] = [];
  /** Rows this thread failed to insert (or a stopped writer thread handed back): inserted first next time. */
  #unsaved: Row[] = [];
  #writer: SqliteWriter | undefined;
  #useWriterThread: boolean;
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
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.#db.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare('INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES (?, ?, ?, ?, ?, ?)');
    this.#insertMany = this.#db.transaction((rows: readonly Row[]) => {
      for (const row of rows) this.#insert.run(row[0], row[1], row[2], row[3], process.pid, row[4]);
    });
    this.#batchSize = options.batchSize ?? 256;
    this.#flushIntervalMs = options.flushIntervalMs ?? 25;
    this.#useWriterThread = (options.writerThread ?? true) && this.path !== ':memory:';
    // Queued writes are saved while the process exits: better-sqlite3 is synchronous, and the writer
    // thread is waited for.
    process.on('exit', this.#onExit);
  }

  readonly #onExit = (): void => {
    if (this.#closed) return;
    // A running writer thread gets the rest and is waited for; no thread is started this late. Rows
    // of a thread that turns out to have stopped are inserted here.
    this.#flushNow(this.#writer?.running === true);
    const left = this.#writer?.waitSync() ?? [];
    if (left.length > 0) {
      this.#unsaved = [...left, ...this.#unsaved];
      this.#flushNow(false);
    }
  };

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    this.#queue.push({ collection, session, time: Date.now(), sequence: nextLogSequence(), entry: serializeEntry(data) });
    if (this.#queue.length >= this.#batchSize) this.#flushNow();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flushNow(), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Hand the queue on: to the writer thread (unless `useThread` is false), or insert it here. */
  #flushNow(useThread = true): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queue.length === 0 && this.#unsaved.length === 0) return;
    const rows = this.#queue.map(toRow);
    this.#queue = [];
    const writer = useThread ? this.#startWriter() : undefined;
    if (writer) {
      writer.post(rows);
      return;
    }
    const all = this.#unsaved.length === 0 ? rows : [...this.#unsaved, ...rows];
    try {
      this.#insertMany(all);
      this.#unsaved = [];
    } catch (error) {
      // Keep the rows for the next attempt and report the failure from flush()/close().
      this.#unsaved = all;
      this.#error = error;
    }
  }

  #startWriter(): SqliteWriter | undefined {
    if (this.#writer?.running) return this.#writer;
    if (!this.#useWriterThread || this.#unsaved.length > 0) return undefined;
    try {
      this.#writer = new SqliteWriter({
        path: this.path,
        busyTimeoutMs: this.#busyTimeoutMs,
        onStop: (uncommitted) => {
          // The thread failed: write on this thread from now on, starting with what it left.
          this.#useWriterThread = false;
          this.#unsaved = [...uncommitted, ...this.#unsaved];
          if (!this.#closed) this.#flushNow();
        },
      });
      return this.#writer;
    } catch {
      this.#useWriterThread = false;
      return undefined;
    }
  }

  /** Everything written so far has been attempted (by the writer thread or here). */
  async #settle(): Promise<void> {
    this.#flushNow();
    await this.#writer?.settle();
  }

  async flush(): Promise<void> {
    await this.#settle();
    const error = this.#error ?? this.#writer?.takeError();
    if (error !== undefined) {
      this.#error = undefined;
      throw new LllmError(`Writing to the SQLite log at ${this.path} failed: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    await this.#settle();
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
    await this.#settle();
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
    await this.#settle();
    this.#db.prepare('DELETE FROM entries WHERE session = ?').run(session);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    process.off('exit', this.#onExit);
    await this.#writer?.close();
    this.#db.close();
  }
}
