// Helpers shared by the MCP client tests: the installed servers' entry points, a stdio server that
// never answers, and small waits and checks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { McpConnectOptions } from './connect-options.js';

const require = createRequire(import.meta.url);

/** The entry point of an installed server package, from its `bin`. */
export function binOf(packageName: string): string {
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: string | Record<string, string>; version: string };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : Object.values(manifest.bin)[0];
  if (!bin) throw new Error(`${packageName} has no bin`);
  return join(dirname(manifestPath), bin);
}

export const EVERYTHING = binOf('@modelcontextprotocol/server-everything');
export const FILESYSTEM = binOf('@modelcontextprotocol/server-filesystem');
export const TIMEOUT = { timeout: 30_000 };

export function everythingStdio(name = 'everything', extra: Partial<McpConnectOptions> = {}): McpConnectOptions {
  return { name, transport: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }, timeoutMs: 20_000, ...extra };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stdio "server" that records its pid and never answers (ignores stdin's end too). */
export function hangingServer(pidFile: string): McpConnectOptions['transport'] {
  return {
    type: 'stdio',
    command: process.execPath,
    args: ['-e', `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`],
  };
}

export async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const text = readFileSync(file, 'utf8');
      if (text) return Number(text);
    } catch {
      // not written yet
    }
    await sleep(20);
  }
  throw new Error(`no pid in ${file}`);
}
