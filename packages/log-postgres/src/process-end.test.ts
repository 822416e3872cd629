// A process that writes to the PostgreSQL log and never calls close(): when its event loop runs dry,
// the store inserts what is queued and ends its connections, so nothing is lost and the process ends
// (idle connections would otherwise keep it alive).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PostgresLogStore } from './postgres-store.js';
import { freshSchema, postgresUrl } from './test-support.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe.skipIf(!postgresUrl)('a process that ends without close()', () => {
  it('saves its 600 queued entries and exits within seconds', async () => {
    const schema = freshSchema('exit');
    const started = Date.now();
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--conditions=lllm-source',
          '--import',
          join(here, '../../log/test/register-ts.mjs'),
          '--disable-warning=ExperimentalWarning',
          join(here, '../test/exit-child.ts'),
          postgresUrl,
          schema,
          '600',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('error', reject);
      child.on('close', (exit) => {
        clearTimeout(timer);
        if (exit !== 0) reject(new Error(`exit-child exited ${exit}: ${stderr}`));
        else resolve(exit);
      });
    });
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
    const store = await PostgresLogStore.open({ url: postgresUrl, schema });
    expect((await store.read('messages', 'exit')).map((entry) => entry.data.i)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    await store.close();
  }, 40_000);
});
