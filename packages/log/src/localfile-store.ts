import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  filterSessions,
  type JsonObject,
  LOG_COLLECTIONS,
  type LogCollection,
  type LogEntry,
  type LogSessionInfo,
  type LogStore,
  nextLogSequence,
  type ReadQuery,
  type SessionQuery,
} from '@lllm/core';
import { ensureDirectory } from '@lllm/core/utils';
import { serializeEntry, storedJson } from './entry-json.js';
import { LogStoreError, messageOf } from './errors.js';
import { fromUpstream, OWN_ENTRY_KEY, toUpstream, type UpstreamRecord, upstreamTime, upstreamTimestamp } from './localfile-upstream.js';

/** Options of the `localfile` store (the Python LLLM's on-disk layout). */
export interface LocalFileLogStoreOptions {
  /** The log folder (`log_dir`). */
  readonly directory: string;
  /**
   * The folder under `log_dir` holding one system's logs. Upstream names it `<config name>_default`.
   * Default: `log_dir` itself when it holds `dialogs/`, `messages/` or `frontend/`; else the one
   * sub-folder that does; else `default`.
   */
  readonly base?: string;
  /** Told about files skipped as unreadable; default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/** A session name as one folder name: reversible, never `.`, `..` or a path; plain names stay as they are. */
function folderName(session: string): string {
  return encodeURIComponent(session).replace(/\./g, '%2E');
}

// A folder the Python LLLM named (`Capital+of+Italy?_20251127_093000`: the task with spaces as `+`) is
// read under its own name when it does not decode: it is a session all the same.
function sessionOf(folder: string): string {
  try {
    return decodeURIComponent(folder);
  } catch {
    return folder;
  }
}

/** A name usable as one folder as it is: not empty, `.` or `..`, no separator or NUL. */
const isPlainFolderName = (name: string) => name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name);

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const holdsCollections = (folder: string) => LOG_COLLECTIONS.some((collection) => isDirectory(join(folder, collection)));

/** Where the collections are, following upstream's `<log_dir>/<name>_default/` when no base is given. */
function resolveRoot(directory: string, base: string | undefined): string {
  if (base !== undefined) return join(directory, base);
  if (holdsCollections(directory)) return directory;
  const candidates = existsSync(directory)
    ? readdirSync(directory).filter((child) => isDirectory(join(directory, child)) && holdsCollections(join(directory, child)))
    : [];
  if (candidates.length === 1) return join(directory, candidates[0] as string);
  if (candidates.length > 1) {
    throw new ConfigError(
      `log_dir ${directory} holds the logs of ${candidates.length} systems (${candidates.map((name) => `"${name}"`).join(', ')}): set log_options.base to one of them.`,
    );
  }
  return join(directory, 'default');
}

interface Located {
  readonly record: UpstreamRecord;
  readonly file: string;
  /** The dialog folder a message file sits in (upstream's `messages/<session>/<dialog_id>/`). */
  readonly dialogId: string | undefined;
}

/**
 * The Python LLLM's `LocalFileLog` layout: `<log_dir>/<base>/<collection>/<session>/<timestamp>.json`,
 * one `{ timestamp, value, metadata }` file per entry, messages one folder deeper per dialog
 * (`messages/<session>/<dialog_id>/`). Reads what a Python system wrote (its dialogs, messages and
 * frontend events become ours) and writes files upstream's reader understands too, with our entry
 * kept whole in `metadata.lllm_ts` so it reads back exactly. Writes go straight to disk (one small
 * file each); an I/O failure is reported by the next `flush()`.
 */
export class LocalFileLogStore implements LogStore {
  readonly type = 'localfile';
  /** `<log_dir>/<base>` */
  readonly root: string;
  readonly #warn: (message: string) => void;
  #error: unknown;
  #closed = false;
  /** Microseconds of the last timestamp given out: strictly increasing, so file names sort in write order. */
  #lastMicros = 0;

  constructor(options: LocalFileLogStoreOptions) {
    if (!options.directory)
      throw new LogStoreError('The localfile log store needs a directory: set log_dir in the system config.', { path: '' });
    if (
      options.base !== undefined &&
      (typeof options.base !== 'string' || options.base === '' || /(^|[\\/])\.\.([\\/]|$)/.test(options.base))
    ) {
      throw new ConfigError(
        `log_options.base ${JSON.stringify(options.base)} is not a folder name under log_dir: use the name of a system's log folder, e.g. "default_default".`,
      );
    }
    this.root = resolveRoot(options.directory, options.base);
    ensureDirectory(this.root, { setting: 'log_dir', mode: 0o700 });
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
  }

  #sessionFolder(collection: LogCollection, session: string): string {
    const encoded = join(this.root, collection, folderName(session));
    // Upstream writes the session name unencoded (`+`, `?`, … in it): use its folder when that is the one there.
    if (!existsSync(encoded) && isPlainFolderName(session) && isDirectory(join(this.root, collection, session)))
      return join(this.root, collection, session);
    return encoded;
  }

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    const sequence = nextLogSequence();
    const time = Date.now();
    this.#lastMicros = Math.max(time * 1000, this.#lastMicros + 1);
    const timestamp = upstreamTimestamp(this.#lastMicros);
    try {
      // Redacted and snapshotted as every store does, then shaped as upstream's record.
      const stored = JSON.parse(storedJson(serializeEntry(data))) as JsonObject;
      const { value, metadata } = toUpstream(collection, stored);
      let folder = this.#sessionFolder(collection, session);
      if (collection === 'messages' && typeof stored.dialogId === 'string') folder = join(folder, folderName(stored.dialogId));
      ensureDirectory(folder, { setting: 'log_dir', mode: 0o700 });
      let file = join(folder, `${timestamp}.json`);
      // Another process may have written in the same microsecond.
      for (let attempt = 1; existsSync(file) && attempt < 1000; attempt++) file = join(folder, `${timestamp}-${attempt}.json`);
      const record = { timestamp, value, metadata: { ...metadata, [OWN_ENTRY_KEY]: { time, sequence, pid: process.pid, data: stored } } };
      writeFileSync(file, JSON.stringify(record, null, 4), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      this.#error ??= error;
    }
  }

  async flush(): Promise<void> {
    if (this.#error === undefined) return;
    const error = this.#error;
    this.#error = undefined;
    throw new LogStoreError(
      `Writing the localfile log under ${this.root} failed: ${messageOf(error)}. Check the disk and the folder's permissions.`,
      {
        path: this.root,
        cause: error,
      },
    );
  }

  /** Every record file of one collection of one session (messages: in every dialog folder). */
  #records(collection: LogCollection, session: string): Located[] {
    const folder = this.#sessionFolder(collection, session);
    if (!isDirectory(folder)) return [];
    const found: Located[] = [];
    const readFolder = (path: string, dialogId: string | undefined) => {
      for (const name of readdirSync(path)) {
        const file = join(path, name);
        if (collection === 'messages' && dialogId === undefined && isDirectory(file)) {
          readFolder(file, sessionOf(name) ?? name);
          continue;
        }
        if (!name.endsWith('.json')) continue;
        try {
          const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown;
          const record = parsed as UpstreamRecord;
          if (typeof record !== 'object' || record === null || typeof record.timestamp !== 'string' || !('value' in record)) {
            this.#warn(`${file}: skipped: not a log record (a JSON object with timestamp, value and metadata).`);
            continue;
          }
          found.push({
            record: { ...record, metadata: typeof record.metadata === 'object' && record.metadata ? record.metadata : {} },
            file,
            dialogId,
          });
        } catch (error) {
          this.#warn(`${file}: skipped: ${messageOf(error)}`);
        }
      }
    };
    readFolder(folder, undefined);
    return found;
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    const located = this.#records(collection, session);
    // Upstream's order: by timestamp, oldest first; ours adds the write sequence within a timestamp.
    const own = (item: Located) =>
      item.record.metadata[OWN_ENTRY_KEY] as { time?: number; sequence?: number; data?: JsonObject } | undefined;
    located.sort(
      (a, b) =>
        (a.record.timestamp < b.record.timestamp ? -1 : a.record.timestamp > b.record.timestamp ? 1 : 0) ||
        (own(a)?.sequence ?? 0) - (own(b)?.sequence ?? 0) ||
        (a.file < b.file ? -1 : 1),
    );
    const indexes = new Map<string, number>();
    const entries: LogEntry[] = [];
    for (const item of located) {
      const mine = own(item);
      const upstreamTimeMs = upstreamTime(item.record.timestamp);
      const time = typeof mine?.time === 'number' ? mine.time : Number.isNaN(upstreamTimeMs) ? 0 : upstreamTimeMs;
      let data: JsonObject;
      if (mine && typeof mine.data === 'object' && mine.data !== null) data = mine.data;
      else {
        const key = item.dialogId ?? '';
        const index = indexes.get(key) ?? 0;
        indexes.set(key, index + 1);
        data = fromUpstream(collection, item.record, time, { ...(item.dialogId ? { dialogId: item.dialogId } : {}), index });
      }
      if (query.since !== undefined && time < query.since) continue;
      if (query.until !== undefined && time >= query.until) continue;
      // Python-written files have no sequence: their position in timestamp order stands in for it.
      entries.push({ collection, session, time, sequence: typeof mine?.sequence === 'number' ? mine.sequence : entries.length + 1, data });
    }
    return query.limit === undefined ? entries : entries.slice(0, query.limit);
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    const bySession = new Map<string, { firstTime: number; lastTime: number; entries: number }>();
    for (const collection of LOG_COLLECTIONS) {
      const folder = join(this.root, collection);
      if (!isDirectory(folder)) continue;
      for (const name of readdirSync(folder)) {
        const session = sessionOf(name);
        if (session === undefined || !isDirectory(join(folder, name))) continue;
        if (query.prefix !== undefined && !session.startsWith(query.prefix)) continue;
        const entries = await this.read(collection, session);
        if (entries.length === 0) continue;
        const info = bySession.get(session) ?? { firstTime: Number.POSITIVE_INFINITY, lastTime: 0, entries: 0 };
        for (const entry of entries) {
          info.firstTime = Math.min(info.firstTime, entry.time);
          info.lastTime = Math.max(info.lastTime, entry.time);
        }
        info.entries += entries.length;
        bySession.set(session, info);
      }
    }
    return filterSessions(
      [...bySession].map(([session, info]) => ({ session, ...info })),
      query,
    );
  }

  async deleteSession(session: string): Promise<void> {
    for (const collection of LOG_COLLECTIONS) rmSync(this.#sessionFolder(collection, session), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
  }
}
