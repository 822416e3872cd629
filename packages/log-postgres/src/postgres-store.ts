import { hostname } from 'node:os';
import {
  filterSessions,
  type JsonObject,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  nextLogSequence,
  type ReadQuery,
  redactSecrets,
  type SessionQuery,
} from '@lllm/core';
import postgres, { type Sql } from 'postgres';
import { causeOf, codeOf, PostgresLogStoreError, problemOf } from './errors.js';
import { type MigrationReport, migrate, SCHEMA_TOO_NEW } from './migrations.js';
import { describeServer, type PostgresLogOptions, type ResolvedPostgresLogOptions, resolvePostgresLogOptions } from './options.js';
import { messageSearchVector, searchQuery, TSQUERY_SQL } from './search-text.js';

/** Options of {@link PostgresLogStore.open}: the `log_options` settings, and where `DATABASE_URL` is read. */
export interface PostgresLogStoreOptions extends PostgresLogOptions {
  /** The environment `DATABASE_URL` is read from (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A written entry waiting for its insert: redacted and serialized when written. */
interface Pending {
  readonly collection: LogCollection;
  readonly session: string;
  readonly time: number;
  readonly sequence: number;
  readonly json: string;
  /** The redacted entry, for its search vector (`messages` entries only). */
  readonly searchable: JsonObject | null;
  /** Its row id, taken from the table's sequence just before its batch is inserted (kept for a retry). */
  id?: string;
}

/** What a full-text search asks of the store (`searchLog` of `@lllm/log` calls it). */
export interface FullTextSearchRequest {
  /** The query as typed (PostgreSQL's web-search syntax). */
  readonly query: string;
  /** Its words, lower case (unused here: the query is parsed by PostgreSQL). */
  readonly terms?: readonly string[];
  /** Only this session. */
  readonly session?: string;
  /** At most this many entries. */
  readonly limit: number;
}

/**
 * Open stores, closed when the event loop runs dry (one 'beforeExit' listener for all): their queued
 * entries are inserted, and their connections end, which would otherwise keep the process alive.
 */
const openStores = new Set<PostgresLogStore>();
function onBeforeExit(): void {
  for (const store of openStores) store.closeInBackground();
}

/** The per-connection staging table of {@link PostgresLogStore}'s inserts; emptied at every commit. */
const STAGING_TABLE = `CREATE TEMPORARY TABLE IF NOT EXISTS lllm_staging (
  id bigint, session text, collection text, time bigint, sequence bigint, data text, search text
) ON COMMIT DELETE ROWS`;

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (character) => COPY_ESCAPES[character] ?? character) : value;
}
/** Rows in one INSERT at most: bounds a statement's size when a long queue drains at once. */
const MAX_ROWS_PER_INSERT = 5000;

/**
 * The PostgreSQL log store (`log_type: postgres`): every machine of a distributed run writes the same
 * tables. `write()` redacts and serializes the entry and queues it; the queue is inserted in batches
 * (COPY into a staging table, then one INSERT … SELECT; ids taken in write order, so reads by id keep it)
 * when `batchSize` entries are waiting, after `flushIntervalMs`, on `flush()` and on `close()`.
 * Open it with {@link PostgresLogStore.open}, which connects and migrates the schema.
 */
export class PostgresLogStore implements LogStore {
  readonly type = 'postgres';
  /** The server and database, without the password (`postgres://user@host:port/database`). */
  readonly server: string;
  /** The PostgreSQL schema holding the tables. */
  readonly schema: string;
  /** What opening did to the schema. */
  readonly migration: MigrationReport;
  readonly #sql: Sql;
  readonly #table: string;
  readonly #batchSize: number;
  readonly #flushIntervalMs: number;
  readonly #writer = `${hostname()}:${process.pid}`;
  readonly #sequence: string;
  readonly #parallelInserts: number;
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #error: unknown;
  #closed = false;

  private constructor(sql: Sql, options: ResolvedPostgresLogOptions, migration: MigrationReport, sequence: string) {
    this.#sql = sql;
    this.#sequence = sequence;
    this.#parallelInserts = Math.max(1, Math.min(2, options.poolSize - 1));
    this.server = describeServer(options.url);
    this.schema = options.schema;
    this.#table = `"${options.schema}".entries`;
    this.#batchSize = options.batchSize;
    this.#flushIntervalMs = options.flushIntervalMs;
    this.migration = migration;
    if (openStores.size === 0) process.on('beforeExit', onBeforeExit);
    openStores.add(this);
  }

  /**
   * Connect (`url`, else `DATABASE_URL`), create or migrate the schema, and return the store. A server
   * that cannot be reached, refuses the login or holds a schema it cannot migrate is a
   * {@link PostgresLogStoreError} naming the server (never the password) and what to change.
   */
  static async open(options: PostgresLogStoreOptions = {}): Promise<PostgresLogStore> {
    const { env, ...settings } = options;
    const resolved = resolvePostgresLogOptions(settings, env);
    const server = describeServer(resolved.url);
    const sql = postgres(resolved.url, {
      max: resolved.poolSize,
      connect_timeout: Math.ceil(resolved.connectTimeoutMs / 1000),
      // Idle connections keep a process alive: a program that never calls close() still ends, about
      // 2 s after its last query, when the event loop runs dry and beforeExit closes the store.
      idle_timeout: 2,
      onnotice: () => {},
      connection: { application_name: 'lllm-log' },
    });
    let migration: MigrationReport;
    let sequence: string;
    try {
      migration = await migrate(sql, resolved.schema);
      const [row] = await sql<{ sequence: string }[]>`SELECT pg_get_serial_sequence(${`"${resolved.schema}".entries`}, 'id') AS sequence`;
      sequence = row?.sequence ?? `"${resolved.schema}".entries_id_seq`;
    } catch (error) {
      await sql.end({ timeout: 1 }).catch(() => {});
      const code = codeOf(error);
      if (code === SCHEMA_TOO_NEW) {
        throw new PostgresLogStoreError(
          `The PostgreSQL log at ${server} (schema "${resolved.schema}") was set up by a newer @lllm/log-postgres: ${problemOf(error).replace(/ \[.*\]$/, '')}. Upgrade this project's @lllm/log-postgres (npm install @lllm/log-postgres@latest).`,
          { server, code },
        );
      }
      const reached = code === undefined || /^[0-9A-Z]{5}$/.test(code);
      throw new PostgresLogStoreError(
        reached && !/^28/.test(code ?? '')
          ? `The PostgreSQL log schema "${resolved.schema}" at ${server} cannot be set up: ${problemOf(error)}. Point log_options.schema at a schema LLLM may own, or fix the tables it names.`
          : `Cannot connect to the PostgreSQL log at ${server}: ${problemOf(error)}. Check log_options.url (or DATABASE_URL) and that the server accepts connections.`,
        { server, code, cause: causeOf(error) },
      );
    }
    return new PostgresLogStore(sql, resolved, migration, sequence);
  }

  /**
   * Close without waiting: the process has nothing else to do (the event loop ran dry without
   * `close()`), so the queued entries are inserted and the connections end; the insert keeps the
   * process alive until it is done. A failure goes to stderr: nobody is left to await it.
   */
  closeInBackground(): void {
    if (this.#closed) return;
    this.close().catch((error: unknown) => {
      process.stderr.write(`lllm: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  }

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    // Redacted now: nothing holding a secret is ever queued, and later changes to `data` are not logged.
    const redacted = redactSecrets(data);
    const json = JSON.stringify(redacted);
    if (json === undefined) return;
    // The search vector is made when the batch is inserted, off the caller's path.
    const searchable = collection === 'messages' ? redacted : null;
    this.#queue.push({ collection, session, time: Date.now(), sequence: nextLogSequence(), json, searchable });
    if (this.#queue.length >= this.#batchSize) this.#kick();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.#kick(), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Start inserting the queue unless an insert is running (it takes the rest when done). */
  #kick(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#draining || this.#queue.length === 0) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  /**
   * Insert the queue: batches of up to 5,000 rows, two at a time (one connection stays free for
   * reads). Each batch first takes its ids from the table's sequence, in write order and one batch
   * after the other, so `ORDER BY id` is write order even when a later batch commits first. A failed
   * batch goes back to the front of the queue with its ids, and is tried again on the next flush.
   */
  async #drain(): Promise<void> {
    const running = new Set<Promise<void>>();
    let failure: unknown;
    for (let round = 0; this.#queue.length > 0 && failure === undefined && round < 1_000_000; round++) {
      const rows = this.#queue.splice(0, MAX_ROWS_PER_INSERT);
      try {
        await this.#assignIds(rows);
      } catch (error) {
        this.#queue.unshift(...rows);
        failure = error;
        break;
      }
      const batch: Promise<void> = this.#insert(rows).then(
        () => {
          running.delete(batch);
        },
        (error: unknown) => {
          running.delete(batch);
          this.#queue.unshift(...rows);
          failure ??= error;
        },
      );
      running.add(batch);
      if (running.size >= this.#parallelInserts) await Promise.race(running);
    }
    await Promise.all(running);
    this.#error = failure;
  }

  /** Give the rows that have none an id from the table's sequence, increasing in row order. */
  async #assignIds(rows: Pending[]): Promise<void> {
    const missing = rows.filter((row) => row.id === undefined);
    if (missing.length === 0) return;
    const found = await this.#sql.unsafe<{ id: string }[]>('SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2)', [
      this.#sequence,
      missing.length,
    ]);
    const ids = found.map((row) => BigInt(row.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (let index = 0; index < missing.length; index++) (missing[index] as Pending).id = String(ids[index]);
  }

  /**
   * One batch, in one transaction: COPY into a temporary staging table (no per-row parameters to
   * parse), then one INSERT … SELECT. A failure inserts nothing.
   */
  async #insert(rows: readonly Pending[]): Promise<void> {
    let lines = '';
    for (const row of rows) {
      const search = row.searchable === null ? null : messageSearchVector(row.searchable);
      lines += `${row.id}\t${copyText(row.session)}\t${row.collection}\t${row.time}\t${row.sequence}\t${copyText(row.json)}\t${search === null ? '\\N' : copyText(search)}\n`;
    }
    await this.#sql.begin(async (tx) => {
      await tx.unsafe(STAGING_TABLE);
      const stream = await tx.unsafe('COPY lllm_staging (id, session, collection, time, sequence, data, search) FROM STDIN').writable();
      await new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.once('finish', resolve);
        stream.end(lines);
      });
      await tx.unsafe(
        `INSERT INTO ${this.#table} (id, session, collection, time, sequence, writer, data, search)
         SELECT id, session, collection, time, sequence, $1, data::json, search::tsvector FROM lllm_staging`,
        [this.#writer],
      );
    });
  }

  /** Everything written so far has been attempted. */
  async #settle(): Promise<void> {
    this.#kick();
    for (let round = 0; this.#draining && round < 1_000_000; round++) {
      await this.#draining;
      if (this.#error !== undefined) return;
      this.#kick();
    }
  }

  async flush(): Promise<void> {
    await this.#settle();
    const error = this.#error;
    if (error !== undefined) {
      this.#error = undefined;
      throw new PostgresLogStoreError(
        `Writing ${this.#queue.length} entr${this.#queue.length === 1 ? 'y' : 'ies'} to the PostgreSQL log at ${this.server} (schema "${this.schema}") failed: ${problemOf(error)}. They stay queued and are tried again on the next flush; check the server and the role's rights.`,
        { server: this.server, code: codeOf(error), cause: causeOf(error) },
      );
    }
  }

  /** Run a query; the driver's failures become a {@link PostgresLogStoreError} naming the server. */
  async #query<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new PostgresLogStoreError(
        `Cannot ${what} in the PostgreSQL log at ${this.server} (schema "${this.schema}"): ${problemOf(error)}.`,
        {
          server: this.server,
          code: codeOf(error),
          cause: causeOf(error),
        },
      );
    }
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    await this.#settle();
    const rows = await this.#query('read', () =>
      this.#sql.unsafe<{ id: string; time: string; sequence: string; data: string }[]>(
        `SELECT id, time, sequence, data::text AS data FROM ${this.#table}
         WHERE session = $1 AND collection = $2 AND time >= $3 AND time < $4
         ORDER BY id ${query.limit === undefined ? '' : 'LIMIT $5'}`,
        [
          session,
          collection,
          query.since ?? 0,
          query.until ?? Number.MAX_SAFE_INTEGER,
          ...(query.limit === undefined ? [] : [query.limit]),
        ],
      ),
    );
    return rows.map((row) => ({
      collection,
      session,
      time: Number(row.time),
      sequence: Number(row.sequence),
      data: this.#entryData(row.id, row.data),
    }));
  }

  /** A row's data: a JSON object, or an error naming the row (a table changed by something else). */
  #entryData(id: string, text: string): JsonObject {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new PostgresLogStoreError(
        `Row ${id} of ${this.#table} at ${this.server} is not a log entry (its data is not a JSON object): the table was changed by something other than LLLM. Delete that row.`,
        { server: this.server },
      );
    }
    return data as JsonObject;
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    await this.#settle();
    const conditions: string[] = [];
    const having: string[] = [];
    const values: (string | number)[] = [];
    if (query.prefix !== undefined) {
      values.push(query.prefix);
      conditions.push(`starts_with(session, $${values.length})`);
    }
    if (query.since !== undefined) {
      values.push(query.since);
      having.push(`max(time) >= $${values.length}`);
    }
    if (query.until !== undefined) {
      values.push(query.until);
      having.push(`min(time) < $${values.length}`);
    }
    if (query.limit !== undefined) values.push(query.limit);
    const rows = await this.#query('list sessions', () =>
      this.#sql.unsafe<{ session: string; first: string; last: string; entries: string }[]>(
        `SELECT session, min(time) AS first, max(time) AS last, count(*) AS entries FROM ${this.#table}
         ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
         GROUP BY session ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
         ORDER BY last DESC, session DESC ${query.limit === undefined ? '' : `LIMIT $${values.length}`}`,
        values,
      ),
    );
    return filterSessions(
      rows.map((row) => ({ session: row.session, firstTime: Number(row.first), lastTime: Number(row.last), entries: Number(row.entries) })),
      query,
    );
  }

  async deleteSession(session: string): Promise<void> {
    await this.#settle();
    await this.#query('delete a session', () => this.#sql.unsafe(`DELETE FROM ${this.#table} WHERE session = $1`, [session]));
  }

  /**
   * The `messages` entries whose content, tool calls or failed attempts match `query` (PostgreSQL's
   * web-search syntax, every word as a prefix), newest first, through the GIN-indexed tsvector column.
   * `searchLog` of `@lllm/log` calls this and applies its filters.
   */
  async fullTextSearch(request: FullTextSearchRequest): Promise<{ method: 'tsvector'; entries: LogEntry[] }> {
    await this.#settle();
    const limit = Math.min(Math.max(1, Math.trunc(request.limit)), 100_000);
    const rows = await this.#query('search', () =>
      this.#sql.unsafe<{ id: string; session: string; time: string; sequence: string; data: string }[]>(
        `SELECT id, session, time, sequence, data::text AS data FROM ${this.#table}
         WHERE collection = 'messages' AND search @@ ${TSQUERY_SQL} ${request.session === undefined ? '' : 'AND session = $3'}
         ORDER BY id DESC LIMIT $2`,
        [searchQuery(request.query), limit, ...(request.session === undefined ? [] : [request.session])],
      ),
    );
    return {
      method: 'tsvector',
      entries: rows.map((row) => ({
        collection: 'messages',
        session: row.session,
        time: Number(row.time),
        sequence: Number(row.sequence),
        data: this.#entryData(row.id, row.data),
      })),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } finally {
      this.#closed = true;
      openStores.delete(this);
      if (openStores.size === 0) process.off('beforeExit', onBeforeExit);
      if (this.#timer) clearTimeout(this.#timer);
      await this.#sql.end({ timeout: 5 });
    }
  }
}
