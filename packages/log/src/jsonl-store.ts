import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
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
import { type SerializedEntry, serializeEntry, storedJson } from './entry-json.js';
import { LogStoreError, messageOf } from './errors.js';
import { onProcessEnd } from './exit-hook.js';

/** Options of the JSONL store. */
export interface JsonlLogStoreOptions {
  /** The log folder (`log_dir`). */
  readonly directory: string;
  /** A sub-folder grouping one system's logs (default `default`). */
  readonly base?: string;
  /** How long writes may wait before they are appended, in ms (default 25). */
  readonly flushIntervalMs?: number;
  /** Told about skipped lines (a torn last line after a crash); default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

interface PendingLine {
  readonly time: number;
  readonly sequence: number;
  readonly entry: SerializedEntry;
}

/** A session name as a file name: reversible, and never `.`, `..` or a path. */
function fileName(session: string): string {
  return `${encodeURIComponent(session).replace(/\./g, '%2E')}.jsonl`;
}

/** A line LLLM wrote: `{ time, sequence, pid, data }` with numbers and an object. */
function isEntryLine(value: unknown): value is { time: number; sequence: number; data: JsonObject } {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line.time === 'number' &&
    typeof line.sequence === 'number' &&
    typeof line.data === 'object' &&
    line.data !== null &&
    !Array.isArray(line.data)
  );
}

/** The session a file holds, or undefined for a file LLLM did not name. */
function sessionName(file: string): string | undefined {
  try {
    return decodeURIComponent(file.replace(/\.jsonl$/, ''));
  } catch {
    return undefined;
  }
}

/**
 * One append-only JSONL file per (collection, session): `<directory>/<base>/<collection>/<session>.jsonl`.
 * Each line carries its time and a sequence number, so order survives writes in the same millisecond.
 * A torn last line (a crash mid-write) is skipped with a warning, never fatal.
 */
export class JsonlLogStore implements LogStore {
  readonly type = 'jsonl';
  /** `<directory>/<base>` */
  readonly root: string;
  readonly #flushIntervalMs: number;
  readonly #warn: (message: string) => void;
  /** Lines waiting to be appended, per file. */
  readonly #pending = new Map<string, PendingLine[]>();
  #timer: NodeJS.Timeout | undefined;
  #error: unknown;
  #closed = false;
  readonly #removeExitHook: () => void;

  constructor(options: JsonlLogStoreOptions) {
    if (!options.directory)
      throw new LogStoreError('The jsonl log store needs a directory: set log_dir in the system config.', { path: '' });
    this.root = join(options.directory, options.base ?? 'default');
    // Transcripts are private: new folders are 0700, new files 0600.
    ensureDirectory(this.root, { setting: 'log_dir', mode: 0o700 });
    this.#flushIntervalMs = options.flushIntervalMs ?? 25;
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    this.#removeExitHook = onProcessEnd(this.#onExit);
  }

  readonly #onExit = (): void => {
    if (!this.#closed) this.#flushNow();
  };

  #file(collection: LogCollection, session: string): string {
    return join(this.root, collection, fileName(session));
  }

  write(collection: LogCollection, session: string, data: JsonObject): void {
    if (this.#closed) return;
    const line: PendingLine = { time: Date.now(), sequence: nextLogSequence(), entry: serializeEntry(data) };
    const file = this.#file(collection, session);
    const lines = this.#pending.get(file);
    if (lines) lines.push(line);
    else this.#pending.set(file, [line]);
    if (!this.#timer) {
      this.#timer = setTimeout(() => this.#flushNow(), this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  #flushNow(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    for (const [file, lines] of this.#pending) {
      try {
        ensureDirectory(join(file, '..'), { setting: 'log_dir', mode: 0o700 });
        // One append per batch: whole lines, in order. Same text as JSON.stringify({ time, sequence, pid, data }).
        let text = '';
        for (const line of lines) {
          text += `{"time":${line.time},"sequence":${line.sequence},"pid":${process.pid},"data":${storedJson(line.entry)}}\n`;
        }
        appendFileSync(file, text, { mode: 0o600 });
        this.#pending.delete(file);
      } catch (error) {
        this.#error = error;
      }
    }
  }

  async flush(): Promise<void> {
    this.#flushNow();
    if (this.#error !== undefined) {
      const error = this.#error;
      this.#error = undefined;
      throw new LogStoreError(
        `Writing the JSONL log under ${this.root} failed: ${messageOf(error)}. Check the disk and the folder's permissions.`,
        {
          path: this.root,
          cause: error,
        },
      );
    }
  }

  async read(collection: LogCollection, session: string, query: ReadQuery = {}): Promise<LogEntry[]> {
    this.#flushNow();
    const file = this.#file(collection, session);
    if (!existsSync(file)) return [];
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const entries: LogEntry[] = [];
    for (const [index, line] of lines.entries()) {
      if (line.trim() === '') continue;
      try {
        const parsed = JSON.parse(line) as { time: number; sequence: number; data: JsonObject };
        if (!isEntryLine(parsed)) {
          this.#warn(`${file}: skipped line ${index + 1}: not a log entry (a JSON object with time, sequence and an object data).`);
          continue;
        }
        if (query.since !== undefined && parsed.time < query.since) continue;
        if (query.until !== undefined && parsed.time >= query.until) continue;
        entries.push({ collection, session, time: parsed.time, sequence: parsed.sequence, data: parsed.data });
      } catch {
        const last = index === lines.length - 1 || lines.slice(index + 1).every((rest) => rest.trim() === '');
        this.#warn(`${file}: skipped ${last ? 'a torn last line (an interrupted write)' : `unreadable line ${index + 1}`}.`);
      }
    }
    return query.limit === undefined ? entries : entries.slice(0, query.limit);
  }

  async sessions(query: SessionQuery = {}): Promise<LogSessionInfo[]> {
    this.#flushNow();
    const bySession = new Map<string, { firstTime: number; lastTime: number; entries: number }>();
    for (const collection of LOG_COLLECTIONS) {
      const folder = join(this.root, collection);
      if (!existsSync(folder)) continue;
      for (const file of readdirSync(folder)) {
        if (!file.endsWith('.jsonl')) continue;
        const session = sessionName(file);
        if (session === undefined) continue;
        if (query.prefix !== undefined && !session.startsWith(query.prefix)) continue;
        const entries = await this.read(collection, session);
        if (entries.length === 0) continue;
        const info = bySession.get(session) ?? { firstTime: Number.POSITIVE_INFINITY, lastTime: 0, entries: 0 };
        info.firstTime = Math.min(info.firstTime, entries[0]?.time ?? info.firstTime);
        info.lastTime = Math.max(info.lastTime, entries.at(-1)?.time ?? 0);
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
    this.#flushNow();
    for (const collection of LOG_COLLECTIONS) rmSync(this.#file(collection, session), { force: true });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#removeExitHook();
  }
}
