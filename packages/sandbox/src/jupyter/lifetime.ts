import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Jupyter servers started by this process die with it. While at least one runs, this module holds
 * an `exit` hook and SIGTERM / SIGINT / SIGHUP handlers that kill each server's process tree and
 * delete its state folder (the token lives there); the handlers go away with the last server.
 * A signal nobody else listens for then keeps its default effect: the process dies of it (exit
 * status 128 + n). When the application has its own handler for that signal, the application decides
 * (the `exit` hook still cleans up if it calls `process.exit()`). A `kill -9` cannot be caught: the
 * server is started under `setpriv --pdeathsig=KILL` so the kernel delivers that, kernels follow
 * their server the same way, and the next server start removes state folders whose owner is gone.
 */

/** The state folders' name prefix in the temp folder. */
export const STATE_DIR_PREFIX = 'lllm-jupyter-';
const OWNER_FILE = 'owner.json';
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

interface OwnedServer {
  readonly pid: number;
  readonly stateDir: string;
}

const owned = new Map<number, OwnedServer>();
let installed: { exit: () => void; signals: Map<NodeJS.Signals, () => void> } | undefined;

/** Record a started server so it is cleaned up if this process ends first. */
export function trackServer(pid: number, stateDir: string): void {
  owned.set(pid, { pid, stateDir });
  install();
}

/** Forget a server that was stopped; the hooks go when none is left. */
export function untrackServer(pid: number): void {
  owned.delete(pid);
  if (owned.size === 0) uninstall();
}

/** Whether the signal and exit hooks are installed (while a server started here runs). */
export function hooksInstalled(): boolean {
  return installed !== undefined;
}

function install(): void {
  if (installed) return;
  const exit = () => cleanupSync();
  const signals = new Map<NodeJS.Signals, () => void>();
  for (const signal of SIGNALS) {
    const handler = () => onSignal(signal);
    signals.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('exit', exit);
  installed = { exit, signals };
}

function uninstall(): void {
  if (!installed) return;
  process.off('exit', installed.exit);
  for (const [signal, handler] of installed.signals) process.off(signal, handler);
  installed = undefined;
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles this signal: the process may well go on, so its servers stay.
  if (process.listenerCount(signal) > 1) return;
  cleanupSync();
  uninstall();
  // No listener left: the default action applies, and the parent sees death by this signal.
  process.kill(process.pid, signal);
}

function cleanupSync(): void {
  for (const server of owned.values()) {
    killTreeSync(server.pid);
    rmSync(server.stateDir, { recursive: true, force: true });
  }
  owned.clear();
}

/** Parent pid of every process, from `/proc/<pid>/stat` (empty where there is no `/proc`). */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(entry));
    children.set(stat.ppid, list);
  }
  return children;
}

function readStat(pid: number): { ppid: number; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Every descendant of `pid` (children first), read from `/proc`; empty where there is none. */
export function descendants(pid: number): number[] {
  const children = parentMap();
  const found: number[] = [];
  const queue = [...(children.get(pid) ?? [])];
  for (let guard = 0; queue.length > 0 && guard < 100_000; guard++) {
    const next = queue.shift() as number;
    found.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** SIGKILL a process, its process group and every descendant (kernels run in sessions of their own). */
export function killTreeSync(pid: number): void {
  const tree = [pid, ...descendants(pid)];
  for (const member of tree) {
    for (const target of [-member, member]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already, or not a group leader
      }
    }
  }
}

/** A process's identity that survives pid reuse: pid plus its start time (clock ticks since boot). */
function ownerStamp(pid: number): string {
  return `${pid}:${readStat(pid)?.startTime ?? 'unknown'}`;
}

/** Write who owns a state folder, so a later start can tell a leftover from a live server. */
export async function writeOwner(stateDir: string): Promise<void> {
  await writeFile(join(stateDir, OWNER_FILE), JSON.stringify({ owner: ownerStamp(process.pid) }), { mode: 0o600 });
}

function ownerAlive(stamp: string): boolean {
  const pid = Number(stamp.split(':')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !stamp.endsWith(':unknown') ? ownerStamp(pid) === stamp : true;
}

/**
 * Delete state folders in `dir` (default: the temp folder) left by owners that are gone (a
 * `kill -9`, a power cut). Folders of live owners, of other users, or without an owner file stay.
 * Returns the folders deleted.
 */
export async function sweepStaleStateDirs(dir: string = tmpdir()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(STATE_DIR_PREFIX)) continue;
    const folder = join(dir, name);
    let stamp: unknown;
    try {
      stamp = (JSON.parse(await readFile(join(folder, OWNER_FILE), 'utf8')) as { owner?: unknown }).owner;
    } catch {
      continue;
    }
    if (typeof stamp !== 'string' || ownerAlive(stamp)) continue;
    await rm(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}
