// The throwaway server helper itself: a cluster in its own folder under `dir`, password login on
// 127.0.0.1, run as the postgres user when we are root, and gone (process and folder) after stop().
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../test-support.js';
import { startPostgres } from './start-postgres.js';

const parent = mkdtempSync(join(tmpdir(), 'lllm-pg-parent-'));
// As root the server runs as the postgres user, which must be able to enter the folder.
chmodSync(parent, 0o711);
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!postgresUrl)('startPostgres', () => {
  it('starts a password-protected server in a folder under `dir`, and stop() ends it and removes the folder', async () => {
    const server = await startPostgres({ dir: parent });
    expect(server.folder.startsWith(join(parent, 'lllm-pg-'))).toBe(true);
    expect(server.url).toBe(`postgres://lllm:${encodeURIComponent(server.password)}@127.0.0.1:${server.port}/postgres`);
    const pid = Number(readFileSync(join(server.folder, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(alive(pid)).toBe(true);
    if (process.getuid?.() === 0)
      expect(execFileSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).trim()).toBe('postgres');
    const sql = postgres(server.url, { max: 1 });
    const [row] = await sql<{ answer: number }[]>`SELECT 6 * 7 AS answer`;
    expect(row?.answer).toBe(42);
    await sql.end();
    const refused = postgres(server.url.replace(server.password, 'not-the-password'), { max: 1 });
    await expect(refused`SELECT 1`).rejects.toThrow(/password authentication failed/);
    await refused.end();
    await server.stop();
    expect(existsSync(server.folder)).toBe(false);
    for (let round = 0; round < 50 && alive(pid); round++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(pid)).toBe(false);
    await server.stop();
  });

  it('as root, a `dir` the postgres user cannot enter is refused with the reason', async () => {
    if (process.getuid?.() !== 0) return;
    const closed = mkdtempSync(join(parent, 'closed-'));
    chmodSync(closed, 0o700);
    await expect(startPostgres({ dir: closed })).rejects.toThrow(/The postgres user must be able to enter every folder above/);
  });
});
