import { closeSync, existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  filterSessions,
  type JsonObject,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  nextLogSequence,
  type ReadQuery,
  redactJson,
  type SessionQuery,
} from '@lllm/core';
import { ensureDirectory } from '@lllm/core/utils';
import Database from 'better-sqlite3';
import { serializeEntry } from './entry-json.js';
import { codeOf, LogStoreError, messageOf } from './errors.js';
import { onProcessEnd } from './exit-hook.js';
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
`;

// Only the index the reads use (a session's entries of a collection in order, sessions by prefix):
// every index is written on every insert. Files made before kept two more (on time, and on
// collection and session), which nothing queries; they stay, harmless, in those files.
const INDEXES = `
CREATE INDEX IF NOT EXISTS entries_session ON entries (session, collection, id);
`;

/** The columns LLLM reads and writes; a table without them is someone else's. */
const COLUMNS = ['id', 'session', 'collection', 'time', 'sequence', 'pid', 'data'];

/** Why SQLite refused a file, in words a user can act on. */
function openProblem(error: unknown): string {
  const code = codeOf(error);
  if (code === 'SQLITE_NOTADB') return 'it is not a SQLite database';
  if (code.startsWith('SQLITE_CORRUPT')) return 'the database is corrupt';
  if (code.startsWith('SQLITE_CANTOPEN')) return 'it cannot be opened (check that the folder exists and is writable)';
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM') return 'it is not writable';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'another process holds it locked';
  return messageOf(error);
}

/**
 * The embedded default log store: one SQLite file in WAL mode, writes queued and flushed in
 * transactions, safe with several processes writing the same file (they wait for each other's
 * write lock up to `busyTimeoutMs`). `write()` only serializes the entry and queues it; a worker
 * thread redacts secrets and inserts the batches (see `writerThread`), and this thread does both when
 * there is no such thread. Queued rows are still saved when the process exits.
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
  #queue: Row[] = [];
  /** Rows this thread failed to insert (or a stopped writer thread handed back): inserted first next time. */
  #unsaved: Row[] = [];
  #writer: SqliteWriter | undefined;
  #useWriterThread: boolean;
  #timer: NodeJS.Timeout | undefined;
  #error: unknown;
  #closed = false;
  readonly #removeExitHook: () => void;

  constructor(options: SqliteLogStoreOptions = {}) {
    this.path = options.path ?? join(options.directory ?? '.', 'lllm.sqlite');
    this.#busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    if (this.path !== ':memory:') {
      // Transcripts are private: a new folder is 0700 and a new file 0600 (SQLite gives its -wal and
      // -shm files the database's mode).
      ensureDirectory(dirname(this.path), { setting: options.path ? 'The SQLite log folder' : 'log_dir', mode: 0o700 });
      if (!existsSync(this.path)) {
        try {
          closeSync(openSync(this.path, 'a', 0o600));
        } catch (error) {
          throw new LogStoreError(`Cannot create the SQLite log ${this.path}: ${openProblem(error)}. Choose a log_dir you can write to.`, {
            path: this.path,
            cause: error,
          });
        }
      }
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(this.path);
      db.pragma(`busy_timeout = ${this.#busyTimeoutMs}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
      const columns = new Set((db.pragma('table_info(entries)') as { name: string }[]).map((column) => column.name));
      const absent = COLUMNS.filter((column) => !columns.has(column));
      if (absent.length > 0) throw new Error(`its "entries" table has no ${absent.map((name) => `"${name}"`).join(', ')} column`);
      db.exec(INDEXES);
      this.#insert = db.prepare('INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES (?, ?, ?, ?, ?, ?)');
    } catch (error) {
      db?.close();
      throw new LogStoreError(
        `${this.path} cannot be used as the SQLite log: ${openProblem(error)}. Move the file away, or point log_dir at another folder.`,
        { path: this.path, cause: error },
      );
    }
    this.#db = db;
    this.#insertMany = this.#db.transaction((rows: readonly Row[]) => {
      for (const row of rows) this.#insert.run(row[0], row[1], row[2], row[3], process.pid, redactJson(row[4], row[5]));
    });
    this.#batchSize = options.batchSize ?? 256;
    this.#flushIntervalMs = options.flushIntervalMs ?? 25;
    this.#useWriterThread = (options.writerThread ?? true) && this.path !== ':memory:';
    // Queued writes are saved when the process exits or gets SIGINT/SIGTERM: better-sqlite3 is
    // synchronous, and the writer thread is waited for.
    this.#removeExitHook = onProcessEnd(this.#onExit);
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
    const entry = serializeEntry(data);
    this.#queue.push([session, collection, Date.now(), nextLogSequence(), entry.json, entry.secrets]);
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
    const rows = this.#queue;
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
      throw new LogStoreError(
        `Writing to the SQLite log ${this.path} failed: ${openProblem(error)}. Check the disk and the file's permissions.`,
        {
          path: this.path,
          cause: error,
        },
      );
    }
  }

  /** Run a query; SQLite's failures (a corrupt file, a lock) become a `LogStoreError` naming the file. */
  #query<T>(what: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (LogStoreError.isInstance(error)) throw error;
      throw new LogStoreError(`Cannot ${what} in the SQLite log ${this.path}: ${openProblem(error)}.`, { path: this.path, cause: error });
    }
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    await this.#settle();
    const rows = this.#query('read', () =>
      this.#db
        .prepare(
          `SELECT id, collection, session, time, sequence, data FROM entries
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
        ),
    ) as {
      id: number;
      collection: LogCollection;
      session: string;
      time: unknown;
      sequence: unknown;
      data: unknown;
    }[];
    return rows.map((row) => ({
      collection: row.collection,
      session: row.session,
      time: Number(row.time),
      sequence: Number(row.sequence),
      data: this.#entryData(row.id, row.data),
    }));
  }

  /** A row's data: a JSON object, or a `LogStoreError` naming the row (a file edited by something else). */
  #entryData(id: number, text: unknown): JsonObject {
    let data: unknown;
    try {
      data = typeof text === 'string' ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new LogStoreError(
        `Row ${id} of the SQLite log ${this.path} is not a log entry (its data is not a JSON object): the file was changed by something other than LLLM. Delete that row or restore the file from a backup.`,
        { path: this.path },
      );
    }
    return data as JsonObject;
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    await this.#settle();
    const rows = this.#query('list sessions', () =>
      this.#db
        .prepare(
          `SELECT session, MIN(time) AS firstTime, MAX(time) AS lastTime, COUNT(*) AS entries FROM entries
         ${query.prefix === undefined ? '' : 'WHERE session >= ? AND session < ? || char(1114111)'}
         GROUP BY session`,
        )
        .all(...(query.prefix === undefined ? [] : [query.prefix, query.prefix])),
    ) as LogSessionInfo[];
    return filterSessions(rows, query);
  }

  async deleteSession(session: string): Promise<void> {
    await this.#settle();
    this.#query('delete a session', () => this.#db.prepare('DELETE FROM entries WHERE session = ?').run(session));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#removeExitHook();
    await this.#writer?.close();
    this.#db.close();
  }
}
