// No orphans: a real owner process starts a sandbox (Jupyter server + kernel), then is signalled.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { descendants, hooksInstalled, STATE_DIR_PREFIX, sweepStaleStateDirs } from './lifetime.js';
import { startJupyterServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const ownerScript = join(here, '__fixtures__', 'owner.ts');
const temps: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

async function stateDirOf(ownerPid: number): Promise<string | undefined> {
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(STATE_DIR_PREFIX)) continue;
    try {
      const { owner } = JSON.parse(await readFile(join(tmpdir(), name, 'owner.json'), 'utf8')) as { owner: string };
      if (owner.startsWith(`${ownerPid}:`)) return join(tmpdir(), name);
    } catch {
      // not a state folder, or being deleted
    }
  }
  return undefined;
}

/** An owner process holding a sandbox with one running kernel; resolves once the kernel is up. */
async function startOwner() {
  const root = await mkdtemp(join(tmpdir(), 'lllm-owner-'));
  temps.push(root);
  const child = spawn(process.execPath, ['--conditions=lllm-source', '--import', tsxLoader, ownerScript, root, 'default', 'hold'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = out.split('\n').find((candidate) => candidate.startsWith('{'));
      if (found) resolve(found);
    });
    exited.then(({ code, signal }) => reject(new Error(`owner exited (${code ?? signal}) before starting:\n${out}\n${err}`)));
  });
  const { serverPid, ownerPid } = JSON.parse(line) as { serverPid: number; ownerPid: number };
  const tree = [serverPid, ...descendants(serverPid)];
  const stateDir = await stateDirOf(ownerPid);
  return { child, exited, tree, stateDir };
}

describe('an owner that is signalled leaves nothing behind', () => {
  test.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)(
    '%s stops the server and the kernel, deletes the state folder, and ends the owner by that signal',
    async (signal) => {
      const owner = await startOwner();
      // The server and the kernel (with a launcher between them when the kernel is in a namespace).
      expect(owner.tree.length).toBeGreaterThanOrEqual(2);
      expect(owner.tree.every(alive)).toBe(true);
      expect(owner.stateDir && existsSync(join(owner.stateDir, 'config', 'jupyter_server_config.json'))).toBe(true);
      owner.child.kill(signal);
      expect(await owner.exited).toEqual({ code: null, signal });
      expect(await waitUntil(() => !owner.tree.some(alive), 10_000)).toBe(true);
      expect(existsSync(owner.stateDir as string)).toBe(false);
    },
  );

  test('kill -9: the server and kernel die with the owner (parent-death signal); the next start removes the state folder', async () => {
    const owner = await startOwner();
    expect(owner.tree.length).toBeGreaterThanOrEqual(2);
    owner.child.kill('SIGKILL');
    expect(await owner.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await waitUntil(() => !owner.tree.some(alive), 10_000)).toBe(true);
    // Nothing could run in the owner to delete it; the next server start (or this sweep) does. (A test
    // file running beside this one may start a server, and so sweep, first.)
    const left = existsSync(owner.stateDir as string);
    const swept = await sweepStaleStateDirs();
    if (left) expect(swept).toContain(owner.stateDir);
    expect(existsSync(owner.stateDir as string)).toBe(false);
  });
});

describe('signal handlers', () => {
  test('are installed only while a server runs, then removed', async () => {
    const signals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
    const before = signals.map((signal) => process.listenerCount(signal));
    expect(hooksInstalled()).toBe(false);
    const root = await mkdtemp(join(tmpdir(), 'lllm-hooks-'));
    temps.push(root);
    const server = await startJupyterServer({ rootDir: root });
    try {
      expect(hooksInstalled()).toBe(true);
      expect(signals.map((signal) => process.listenerCount(signal))).toEqual(before.map((count) => count + 1));
      // A live owner's folder is never swept.
      const stateDir = await stateDirOf(process.pid);
      expect(stateDir).toBeDefined();
      expect(await sweepStaleStateDirs()).not.toContain(stateDir);
      expect(existsSync(stateDir as string)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(hooksInstalled()).toBe(false);
    expect(signals.map((signal) => process.listenerCount(signal))).toEqual(before);
  });
});
