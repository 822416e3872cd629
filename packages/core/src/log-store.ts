import { ConfigError, NotFoundError } from './errors.js';
import { processRegistry } from './process-registry.js';
import { redactSecrets } from './redact.js';
import { closestMatches } from './strings.js';

/** The three collections every session writes. */
export type LogCollection = 'dialogs' | 'messages' | 'frontend';

export const LOG_COLLECTIONS: readonly LogCollection[] = ['dialogs', 'messages', 'frontend'];

/** A JSON-compatible object. */
export type JsonObject = { [key: string]: unknown };

/** One stored record. Stores keep records of one (collection, session) in write order. */
export interface LogEntry {
  readonly collection: LogCollection;
  readonly session: string;
  /** Milliseconds since the epoch, when written. */
  readonly time: number;
  /** Position among all entries the writing process made; orders entries written in the same millisecond. */
  readonly sequence: number;
  readonly data: JsonObject;
}

/** A session as listed by `LogStore.sessions()`. */
export interface LogSessionInfo {
  readonly session: string;
  /** First and last write, milliseconds since the epoch. */
  readonly firstTime: number;
  readonly lastTime: number;
  readonly entries: number;
}

/** Filters for listing sessions. Newest first; `limit` applies after filtering. */
export interface SessionQuery {
  readonly prefix?: string;
  /** Only sessions written to at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Only sessions first written before this time. */
  readonly until?: number;
  readonly limit?: number;
}

/** Filters for reading one collection of one session. */
export interface ReadQuery {
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
}

/**
 * Where dialogs, messages and frontend events are persisted. Writes are fire-and-forget (a store
 * may buffer them); `flush()` makes them durable. Stores redact secrets before writing.
 */
export interface LogStore {
  /** The backend type, e.g. `sqlite`, `jsonl`, `none`. */
  readonly type: string;
  /** Queue one record. Must not throw for I/O problems; report them from `flush()`. */
  write(collection: LogCollection, session: string, data: JsonObject): void;
  /** The records of one collection of one session, in write order. */
  read(collection: LogCollection, session: string, query?: ReadQuery): Promise<LogEntry[]>;
  /** Sessions, newest first. */
  sessions(query?: SessionQuery): Promise<LogSessionInfo[]>;
  /** Delete every record of a session. */
  deleteSession(session: string): Promise<void>;
  /** Persist everything written so far. */
  flush(): Promise<void>;
  /** Flush and release resources; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Where a dialog writes: a store and a session name. */
export interface LogSession {
  readonly store: LogStore;
  readonly session: string;
}

/** Options every backend receives from the system config (`log_type`, `log_dir`, …). */
export interface LogStoreConfig {
  /** The backend name (`log_type`). */
  readonly type: string;
  /** A directory for file-based stores (`log_dir`). */
  readonly directory?: string;
  /** Backend-specific options. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Creates a store for a config. May be async (opening a database, connecting). */
export type LogStoreFactory = (config: LogStoreConfig) => LogStore | Promise<LogStore>;

/** Make `log_type: <type>` in a system config create stores with `factory`. */
export function registerLogBackend(type: string, factory: LogStoreFactory): void {
  if (!/^[a-z][a-z0-9_-]*$/i.test(type)) {
    throw new ConfigError(`Log backend name "${type}" is not valid: use letters, digits, "-" and "_", starting with a letter.`);
  }
  backends().set(type, factory);
}

/** The registered backend names. */
export function listLogBackends(): string[] {
  return [...backends().keys()];
}

/** Create the store named by `config.type`. An unknown type lists the registered ones. */
export async function createLogStore(config: LogStoreConfig): Promise<LogStore> {
  const factory = backends().get(config.type);
  if (!factory) {
    const known = listLogBackends();
    const suggestions = closestMatches(config.type, known);
    throw new NotFoundError(
      `Unknown log_type "${config.type}". Registered backends: ${known.map((k) => `"${k}"`).join(', ')}.${
        suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''
      } Import the package that registers it (e.g. @lllm/log) or call registerLogBackend("${config.type}", factory).`,
      { what: 'log backend', key: config.type, suggestions },
    );
  }
  return await factory(config);
}

/** A store that keeps nothing (`log_type: none`). */
export class NoopLogStore implements LogStore {
  readonly type = 'none';
  write(): void {}
  async read(): Promise<LogEntry[]> {
    return [];
  }
  async sessions(): Promise<LogSessionInfo[]> {
    return [];
  }
  async deleteSession(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

let sequenceCounter = 0;

/** The next write sequence number of this process (monotonic). */
export function nextLogSequence(): number {
  sequenceCounter += 1;
  return sequenceCounter;
}

/** A store kept in memory (`log_type: memory`): for tests and short scripts. */
export class MemoryLogStore implements LogStore {
  readonly type = 'memory';
  readonly #entries = new Map<string, LogEntry[]>();
  #closed = false;

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    const key = `${collection}\u0000${session}`;
    const list = this.#entries.get(key) ?? [];
    list.push(
      Object.freeze({
        collection,
        session,
        time: Date.now(),
        sequence: nextLogSequence(),
        data: redactSecrets(structuredClone(data)) as JsonObject,
      }),
    );
    this.#entries.set(key, list);
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    const list = (this.#entries.get(`${collection}\u0000${session}`) ?? []).filter(
      (entry) => (query.since === undefined || entry.time >= query.since) && (query.until === undefined || entry.time < query.until),
    );
    return query.limit === undefined ? list : list.slice(0, query.limit);
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    const bySession = new Map<string, { firstTime: number; lastTime: number; entries: number }>();
    for (const list of this.#entries.values()) {
      for (const entry of list) {
        const info = bySession.get(entry.session) ?? { firstTime: entry.time, lastTime: entry.time, entries: 0 };
        info.firstTime = Math.min(info.firstTime, entry.time);
        info.lastTime = Math.max(info.lastTime, entry.time);
        info.entries += 1;
        bySession.set(entry.session, info);
      }
    }
    return filterSessions(
      [...bySession].map(([session, info]) => ({ session, ...info })),
      query,
    );
  }

  async deleteSession(session: string): Promise<void> {
    for (const key of [...this.#entries.keys()]) {
      if (key.endsWith(`\u0000${session}`)) this.#entries.delete(key);
    }
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Apply a `SessionQuery` to a list of sessions: filter, sort newest first, then limit. */
export function filterSessions(list: readonly LogSessionInfo[], query: SessionQuery = {}): LogSessionInfo[] {
  const filtered = list.filter(
    (info) =>
      (query.prefix === undefined || info.session.startsWith(query.prefix)) &&
      (query.since === undefined || info.lastTime >= query.since) &&
      (query.until === undefined || info.firstTime < query.until),
  );
  filtered.sort((a, b) => b.lastTime - a.lastTime || b.session.localeCompare(a.session));
  return query.limit === undefined ? filtered : filtered.slice(0, query.limit);
}

// Core's own backends; packages add theirs with registerLogBackend (e.g. @lllm/log's sqlite, jsonl).
const backends = () =>
  processRegistry(
    'log-backends',
    () =>
      new Map<string, LogStoreFactory>([
        ['none', () => new NoopLogStore()],
        ['memory', () => new MemoryLogStore()],
      ]),
  );
