import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLllm as lllm } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const temps: string[] = [];
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the init template inside the repository, so `@lllm/*` resolve to the workspace. */
function initTemplate(): string {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, 'timeout-'));
  temps.push(folder);
  cpSync(join(repo, 'templates', 'init_template'), folder, {
    recursive: true,
    filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
  });
  symlinkSync(join(repo, 'templates', 'init_template', 'node_modules'), join(folder, 'node_modules'), 'dir');
  return folder;
}

describe('lllm run --timeout', () => {
  it('ends each stalled request at the given limit and fails typed, every attempt sent', async () => {
    const project = initTemplate();
    server.respondAlways('/v1/chat/completions', { json: { never: 'sent' }, delayMs: 60_000 });
    const started = Date.now();
    const result = await lllm(['run', 'Capital of France?', '--timeout', '300', '--session', 'stalled'], project, {
      OPENAI_BASE_URL: server.openaiBaseURL,
    });
    const elapsed = Date.now() - started;
    expect(result.stderr).toContain('timed out after 300 ms');
    expect(result.code).toBe(1);
    // The template's max_llm_recall (3): four requests, each cut at 300 ms (plus backoff), not minutes.
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(4);
    expect(elapsed).toBeLessThan(45_000);
  }, 90_000);

  it('rejects a timeout that is not milliseconds', async () => {
    const result = await lllm(['run', 'Capital of France?', '--timeout', '2m'], initTemplate(), { OPENAI_BASE_URL: server.openaiBaseURL });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--timeout takes milliseconds');
    expect(result.stderr).toContain('"2m"');
  }, 60_000);
});
