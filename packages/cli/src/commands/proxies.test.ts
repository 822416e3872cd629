// `lllm proxies test` with upstream's module flags (lllm/proxies.py `__main__`: --test_proxy/-tp,
// --cutoff_date/-c, --skip_k/-s): the paths select, -c tests as a backtest sees the APIs, -s skips
// the first k endpoints. Run as a child process against a local API.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLllm } from '../test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
let api: Server;
let project: string;
let cacheDir: string;
const requested: string[] = [];

beforeAll(async () => {
  api = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://api');
    requested.push(url.pathname);
    response.setHeader('content-type', 'application/json');
    if (url.pathname === '/prices') {
      response.end(JSON.stringify({ rows: [{ date: '2024-06-28' }, { date: '2024-06-29' }, { date: '2024-06-30' }] }));
    } else if (url.pathname === '/ping') {
      response.end(JSON.stringify({ ok: true }));
    } else {
      response.statusCode = 404;
      response.end(JSON.stringify({ error: 'no route' }));
    }
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  // Inside the CLI package, so the project's modules resolve @lllm/* the way an installed project would.
  const parent = join(here, '..', '..', 'node_modules', '.cache', 'lllm-cli-proxies-test');
  mkdirSync(parent, { recursive: true });
  project = mkdtempSync(join(parent, 'project-'));
  cacheDir = join(project, 'cache');
  const files: Record<string, string> = {
    'package.json': '{ "name": "proxies-test-project", "private": true, "type": "module" }\n',
    'lllm.toml': '[proxies]\nfolders = ["proxies"]\n',
    'proxies/desk.ts': `import { defineProxy } from '@lllm/proxy';
export const desk = defineProxy({
  path: 'desk',
  name: 'Desk API',
  description: 'Prices for backtests.',
  baseUrl: ${JSON.stringify(base)},
  endpoints: [
    { category: 'health', endpoint: '/ping', name: 'Ping', description: 'Is it up.' },
    {
      category: 'prices',
      endpoint: '/prices',
      name: 'Prices',
      description: 'Daily rows.',
      dtCutoff: { key: 'rows/date' },
      // A backtest that sees no row cannot work: the test says so.
      transform: (response) => {
        const rows = (response as { rows: unknown[] }).rows;
        if (rows.length === 0) throw new Error('no row is dated before the cutoff');
        return rows;
      },
    },
  ],
});
`,
  };
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(project, file)), { recursive: true });
    writeFileSync(join(project, file), text);
  }
});
afterAll(async () => {
  api.closeAllConnections();
  await new Promise((resolve) => api.close(resolve));
  rmSync(project, { recursive: true, force: true });
});

const lllm = (args: readonly string[]) => runLllm(args, project, { LLLM_CACHE_DIR: cacheDir });

describe('lllm proxies test', () => {
  // Upstream `python -m lllm.proxies --cutoff_date 2024-06-29`: Proxy(cutoff_date=…).auto_test(…).
  it('as upstream’s --cutoff_date (-c): endpoints are tested as a backtest on that day sees them, strictly before it', async () => {
    const backtest = await lllm(['proxies', 'test', '--cutoff-date', '2024-06-29', '--json']);
    expect(backtest.code).toBe(0);
    const report = JSON.parse(backtest.stdout) as { cutoffDate: string; passed: number; results: { path: string; status: string }[] };
    expect(report.cutoffDate).toBe('2024-06-29');
    expect(report.results.map((result) => [result.path, result.status])).toEqual([
      ['desk/health/ping', 'passed'],
      ['desk/prices/prices', 'passed'],
    ]);
    // On 2024-06-28 nothing is strictly before the cutoff: the endpoint cannot serve that backtest.
    const tooEarly = await lllm(['proxies', 'test', 'desk/prices', '-c', '2024-06-28']);
    expect(tooEarly.stdout).toContain('cutoff date 2024-06-28: entries dated on or after it are withheld');
    expect(tooEarly.stdout).toContain('✗ desk/prices: 0 passed, 1 failed');
    expect(tooEarly.stdout).toContain(
      'failed: desk/prices/prices: The transform of desk/prices/prices failed: no row is dated before the cutoff',
    );
    expect(tooEarly.code).toBe(1);
    // Without a cutoff the same endpoint passes.
    const live = await lllm(['proxies', 'test', 'desk/prices']);
    expect(live.stdout).toContain('1 passed, 0 failed');
    expect(live.stdout).not.toContain('cutoff date');
    expect(live.code).toBe(0);
  }, 60_000);

  // Upstream BaseProxy.auto_test(skip_k): `if tested <= skip_k: continue`.
  it('as upstream’s --skip_k (-s): the first k endpoints are reported skipped and never called', async () => {
    const before = requested.length;
    const result = await lllm(['proxies', 'test', '-s', '1', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { skipped: number; results: { path: string; status: string; error?: string }[] };
    expect(report.skipped).toBe(1);
    expect(report.results[0]).toMatchObject({ path: 'desk/health/ping', status: 'skipped', error: 'one of the first 1 (skip)' });
    expect(report.results[1]).toMatchObject({ path: 'desk/prices/prices', status: 'passed' });
    expect(requested.slice(before)).toEqual(['/prices']);
  }, 60_000);

  it('a bad --cutoff-date or --skip is a usage error naming the flag and the value', async () => {
    const date = await lllm(['proxies', 'test', '-c', '30/06/2024']);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('lllm: --cutoff-date must be a date such as 2024-06-30 (or an ISO time), got "30/06/2024"');
    const skip = await lllm(['proxies', 'test', '--skip', 'two']);
    expect(skip.code).toBe(2);
    expect(skip.stderr).toContain('lllm: --skip must be a whole number of endpoints (0 or more), got "two"');
    const help = await lllm(['proxies', 'test', '--help']);
    expect(help.stdout).toMatch(/-c, --cutoff-date <date>/);
    expect(help.stdout).toMatch(/-s, --skip <k>/);
  }, 60_000);
});
