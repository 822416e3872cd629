// Test helpers: a real redis-server (Debian's `redis-server`) on a free port of 127.0.0.1, in a
// temporary folder, stopped and removed by `stop()`. Not for production.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { QueueError } from './errors.js';

/** A running test Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** The server's process id. */
  readonly pid: number;
  /** Shut it down (SHUTDOWN NOSAVE, then SIGKILL after a bound) and remove its folder. */
  stop(): Promise<void>;
}

/** Whether `redis-server` can be run here. */
export function redisServerAvailable(binary = 'redis-server'): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  return probe.status === 0;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Start `redis-server --port <free> --bind 127.0.0.1 --dir <temp> --save '' --appendonly no`, and
 * wait (at most `timeoutMs`, default 15 s) until it answers PING.
 */
export async function startRedis(options: { readonly binary?: string; readonly timeoutMs?: number } = {}): Promise<TestRedis> {
  const binary = options.binary ?? 'redis-server';
  if (!redisServerAvailable(binary)) {
    throw new QueueError(`${binary} is not installed: apt-get install redis-server (Debian/Ubuntu) or brew install redis.`, {
      argument: 'binary',
    });
  }
  const folder = mkdtempSync(join(tmpdir(), 'lllm-redis-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      folder,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
    }
    rmSync(folder, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let ready = false;
  // Bounded: every 50 ms until the deadline or the server's exit.
  while (!ready && Date.now() < deadline && child.exitCode === null) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    probe.on('error', () => {});
    try {
      await probe.connect();
      ready = (await probe.ping()) === 'PONG';
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  if (!ready) {
    await cleanup();
    throw new QueueError(`redis-server on port ${port} did not answer PING: ${stderr.trim().slice(0, 400) || 'no output'}`, {
      argument: 'binary',
    });
  }
  return {
    url,
    port,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => {});
        try {
          await client.connect();
          await client.call('SHUTDOWN', 'NOSAVE').catch(() => {});
        } catch {
          // Not answering: killed below.
        } finally {
          client.disconnect();
        }
        const timer = setTimeout(() => void cleanup(), 3_000);
        await exited;
        clearTimeout(timer);
      }
      await cleanup();
    },
  };
}
