import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * One row of the entries table (the writing process's pid is added when it is inserted). `data` is the
 * entry's JSON as serialized, not yet redacted: whoever inserts the row redacts it first, with
 * `secrets` (`redactJson`).
 */
export type Row = readonly [session: string, collection: string, time: number, sequence: number, data: string, secrets: readonly string[]];

/**
 * Indexes into the shared state: the last batch committed, the last batch attempted, 1 once the
 * thread cannot write, and a counter bumped (and notified) whenever one of those changes.
 */
const COMMITTED = 0;
const ATTEMPTED = 1;
const STOPPED = 2;
const CHANGES = 3;
/** Rows per multi-row INSERT in the writer thread. */
const CHUNK = 32;

// The thread's code: plain CommonJS run with `eval`, so it starts the same way from the TypeScript
// sources (tests) and from dist. It needs better-sqlite3 and core's redaction (`redactJson`), loaded
// from the paths the store resolved. A batch arrives as `meta` (session, collection, time, sequence and
// secret-list index of each row), `secrets` (the lists) and `data` (their JSON, one per line); the
// thread redacts each row before it keeps it. Rows of a failed batch stay in `pending`, redacted, and
// go first in the next attempt (the next batch, or an empty one sent to retry), so order is kept.
// STOPPED tells a thread that is blocked waiting (an exiting process) that no more batches will be
// attempted. A thread that cannot load what it needs stops, and the store writes the rows itself.
const SOURCE = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
function changed() {
  Atomics.add(state, ${CHANGES}, 1);
  Atomics.notify(state, ${CHANGES});
}
function stop() {
  Atomics.store(state, ${STOPPED}, 1);
  changed();
}
process.on('exit', stop);
let db;
let insertAll;
try {
  if (workerData.sourceHooks) require(workerData.sourceHooks);
  const Database = require(workerData.driver);
  db = new Database(workerData.path);
  db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
  db.pragma('synchronous = NORMAL');
  const columns = 'INSERT INTO entries (session, collection, time, sequence, pid, data) VALUES ';
  const insert = db.prepare(columns + '(?, ?, ?, ?, ?, ?)');
  // Rows go in ${CHUNK} at a time (one statement, rows in order): a third less time per row than one
  // statement each, which is most of what a batch costs besides the indexes.
  const insertChunk = db.prepare(columns + new Array(${CHUNK}).fill('(?, ?, ?, ?, ?, ?)').join(', '));
  const args = new Array(${CHUNK} * 6);
  insertAll = db.transaction((rows) => {
    let i = 0;
    for (; i + ${CHUNK} <= rows.length; i += ${CHUNK}) {
      for (let j = 0; j < ${CHUNK}; j++) {
        const row = rows[i + j];
        const k = 6 * j;
        args[k] = row[0];
        args[k + 1] = row[1];
        args[k + 2] = row[2];
        args[k + 3] = row[3];
        args[k + 4] = process.pid;
        args[k + 5] = row[4];
      }
      insertChunk.run(args);
    }
    for (; i < rows.length; i++) insert.run(rows[i][0], rows[i][1], rows[i][2], rows[i][3], process.pid, rows[i][4]);
  });
} catch (error) {
  stop();
  throw error;
}
let redactJson;
const loaded = import(workerData.redact).then(
  (module) => {
    redactJson = module.redactJson;
  },
  (error) => {
    stop();
    throw error;
  },
);
let pending = [];
parentPort.on('message', (message) => {
  loaded.then(() => receive(message));
});
function receive(message) {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  const data = message.data.split('\n');
  const meta = message.meta;
  for (let i = 0; i < meta.length / 5; i++) {
    const k = 5 * i;
    pending.push([meta[k], meta[k + 1], meta[k + 2], meta[k + 3], redactJson(data[i], message.secrets[meta[k + 4]])]);
  }
  let error;
  try {
    if (pending.length > 0) insertAll(pending);
    pending = [];
    Atomics.store(state, ${COMMITTED}, message.id);
  } catch (caught) {
    error = { message: String((caught && caught.message) || caught), code: caught && caught.code };
  }
  Atomics.store(state, ${ATTEMPTED}, message.id);
  changed();
  parentPort.postMessage({ id: message.id, error });
}
`;

interface ThreadModules {
  readonly driver: string;
  readonly redact: string;
  readonly sourceHooks?: string;
}

let modules: ThreadModules | undefined;

/**
 * What the thread loads, resolved from here so it uses the same copies as this module: better-sqlite3
 * and `@lllm/core/redact`. Run from the TypeScript sources (this repository's tests), the thread loads
 * core's sources too, through a hook that maps their `./x.js` imports to `./x.ts`.
 */
function threadModules(): ThreadModules {
  if (modules) return modules;
  const require = createRequire(import.meta.url);
  const driver = require.resolve('better-sqlite3');
  if (!import.meta.url.endsWith('.ts')) {
    modules = { driver, redact: pathToFileURL(require.resolve('@lllm/core/redact')).href };
  } else {
    const manifest = require.resolve('@lllm/core/package.json');
    const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, Record<string, string>> }).exports;
    const source = exports['./redact']?.['lllm-source'] ?? './src/redact.ts';
    modules = {
      driver,
      redact: pathToFileURL(join(dirname(manifest), source)).href,
      sourceHooks: fileURLToPath(new URL('../test/require-ts.cjs', import.meta.url)),
    };
  }
  return modules;
}

interface Ack {
  readonly id: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

/** What the writer needs from its store. */
export interface SqliteWriterOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** The thread stopped unexpectedly: these rows (in order) were not committed and must be written another way. */
  readonly onStop: (uncommitted: Row[]) => void;
}

/**
 * Inserts rows into a SQLite log from a worker thread with its own connection, so the inserts,
 * commits and checkpoints (better-sqlite3 is synchronous) never hold up the thread that writes log
 * entries. Batches are committed in the order they are posted. `waitSync` lets a process that is
 * exiting wait for the thread to finish, so entries survive `process.exit()` as before.
 */
export class SqliteWriter {
  readonly #worker: Worker;
  readonly #state = new Int32Array(new SharedArrayBuffer(16));
  readonly #busyTimeoutMs: number;
  readonly #onStop: (uncommitted: Row[]) => void;
  /** Batches posted and not known to be committed, by id, in order. */
  readonly #inFlight = new Map<number, Row[]>();
  #waiters: { readonly id: number; readonly resolve: () => void }[] = [];
  #posted = 0;
  #acked = 0;
  /** The last attempt failed: its rows wait in the thread for a retry. */
  #failing = false;
  #error: Error | undefined;
  #stopped = false;

  constructor(options: SqliteWriterOptions) {
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#onStop = options.onStop;
    this.#worker = new Worker(SOURCE, {
      eval: true,
      workerData: {
        ...threadModules(),
        path: options.path,
        busyTimeoutMs: options.busyTimeoutMs,
        state: this.#state.buffer,
      },
      // The thread needs none of the process's flags (a test runner's loader hooks, for one). From the
      // sources it strips types, which Node 22 warns about once per thread.
      execArgv: threadModules().sourceHooks ? ['--disable-warning=ExperimentalWarning'] : [],
    });
    this.#worker.unref();
    this.#worker.on('message', (ack: Ack) => this.#onAck(ack));
    // A thread that fails (it cannot start, say) hands its rows back on 'exit' and the store writes
    // them itself: nothing is lost, so there is no write error to report.
    this.#worker.on('error', () => {});
    this.#worker.on('exit', () => this.#onExit());
  }

  /** False once the thread has stopped (closed, or failed). */
  get running(): boolean {
    return !this.#stopped;
  }

  /** Queue rows for the thread (an empty list retries a failed batch). */
  post(rows: Row[]): void {
    if (this.#stopped) throw new Error('The SQLite writer thread has stopped.');
    if (rows.length === 0 && !this.#failing) return;
    const id = ++this.#posted;
    this.#inFlight.set(id, rows);
    // Cloning one string and a flat list costs the posting thread far less than a list of rows.
    // Serialized JSON never holds a raw newline, so it separates the rows' data.
    const meta: (string | number)[] = [];
    // The secret lists of the rows (one, unless the known secrets changed between writes).
    const secrets: (readonly string[])[] = [];
    for (const row of rows) {
      let list = secrets.indexOf(row[5]);
      if (list === -1) list = secrets.push(row[5]) - 1;
      meta.push(row[0], row[1], row[2], row[3], list);
    }
    this.#worker.postMessage({ id, meta, secrets, data: rows.map((row) => row[4]).join('\n') });
  }

  /** Resolves when every posted batch has been attempted (a failed one is retried first). */
  async settle(): Promise<void> {
    if (this.#failing) this.post([]);
    if (this.#stopped || this.#acked >= this.#posted) return;
    await new Promise<void>((resolve) => {
      this.#waiters.push({ id: this.#posted, resolve });
      // Keep the process alive while someone awaits the thread.
      this.#worker.ref();
    });
  }

  /** The failure of the last attempt, once (for `flush()` to report). */
  takeError(): Error | undefined {
    const error = this.#error;
    this.#error = undefined;
    return error;
  }

  /**
   * Block until every posted batch has been attempted, for a process that is exiting (no event loop
   * turns are left to receive acknowledgements). Gives up after the busy timeout and a margin. When
   * the thread turns out to have stopped, returns the rows it did not commit, oldest first, for the
   * caller to write another way.
   */
  waitSync(): Row[] {
    if (this.#stopped) return [];
    if (this.#failing) this.post([]);
    const deadline = Date.now() + this.#busyTimeoutMs + 5000;
    for (;;) {
      // Read the counter first: a change after this read ends the wait at once.
      const changes = Atomics.load(this.#state, CHANGES);
      if (Atomics.load(this.#state, ATTEMPTED) >= this.#posted) return [];
      if (Atomics.load(this.#state, STOPPED) === 1) return this.#handBack();
      const left = deadline - Date.now();
      if (left <= 0) return [];
      Atomics.wait(this.#state, CHANGES, changes, left);
    }
  }

  /** Finish the posted batches, then stop the thread and close its connection. */
  async close(): Promise<void> {
    await this.settle();
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('close');
    this.#worker.ref();
    await exited;
  }

  #onAck(ack: Ack): void {
    this.#acked = Math.max(this.#acked, ack.id);
    if (ack.error) {
      this.#failing = true;
      this.#error = Object.assign(new Error(ack.error.message), ack.error.code ? { code: ack.error.code } : {});
    } else {
      this.#failing = false;
      for (const id of this.#inFlight.keys()) {
        if (id > ack.id) break;
        this.#inFlight.delete(id);
      }
    }
    this.#release();
  }

  #onExit(): void {
    if (!this.#stopped) this.#onStop(this.#handBack());
    this.#acked = this.#posted;
    this.#release();
  }

  /** Stop using the thread; the rows it did not commit, oldest first. */
  #handBack(): Row[] {
    this.#stopped = true;
    const committed = Atomics.load(this.#state, COMMITTED);
    const uncommitted: Row[] = [];
    for (const [id, rows] of this.#inFlight) if (id > committed) uncommitted.push(...rows);
    this.#inFlight.clear();
    return uncommitted;
  }

  #release(): void {
    const ready = this.#waiters.filter((waiter) => waiter.id <= this.#acked);
    this.#waiters = this.#waiters.filter((waiter) => waiter.id > this.#acked);
    if (this.#waiters.length === 0) this.#worker.unref();
    for (const waiter of ready) waiter.resolve();
  }
}
