// lllm batch --queue and lllm worker as real processes: a real redis-server, the local wire server
// through the real openai SDK (with injected 5xx and 429), 2,000 inputs over 3 worker processes,
// one of them killed with SIGKILL mid-run, every process logging to one real PostgreSQL
// (log_type: postgres; SQLite when PostgreSQL is not installed, outside CI). Every input is done
// exactly once in the results and the log, the spend cap holds across the workers, nothing is left
// in the queue, and every process and server is stopped at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchSession, createLogStore } from '@lllm/core';
import { registerLogBackends } from '@lllm/log';
import { registerPostgresLogBackend } from '@lllm/log-postgres';
import { findPostgresBinaries, POSTGRES_MISSING, type PostgresServer, startPostgres } from '@lllm/log-postgres/testing';
import { redisServerAvailable, startRedis, type TestRedis } from '@lllm/queue/testing';
import { type CapturedRequest, chatCompletion, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusTable } from './batch-queue.js';
import { binSource, runLllm, tsxLoader } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const available = redisServerAvailable();
if (!available && process.env.CI === 'true')
  throw new Error('redis-server is not installed: apt-get install redis-server (lllm batch --queue tests).');
if (!available) console.log('lllm batch --queue tests skipped: redis-server is not installed (apt-get install redis-server).');
const postgresInstalled = findPostgresBinaries() !== undefined;
if (available && !postgresInstalled && process.env.CI === 'true') throw new Error(POSTGRES_MISSING);
if (available && !postgresInstalled) console.log(`lllm batch --queue tests log to SQLite: ${POSTGRES_MISSING}`);
const schema = `queue_${randomBytes(5).toString('hex')}`;

const TACTIC = `import { defineTactic } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

export const echo = defineTactic({
  name: 'echo',
  agents: ['echoer'],
  async run(input: { text: string }, { agents }) {
    const { parsed } = await agents.echoer!.ask(getPrompt('vanilla/task_query'), { task: input.text });
    return (parsed as { xmlTags: { answer: string[] } }).xmlTags.answer[0];
  },
});
`;

const CONFIG = `name: echo
LOG
agent_type: echo
agent_configs:
  echoer:
    model_name: gpt-4o-mini
    system_prompt_path: vanilla/system
    api_type: completion
max_exception_retry: 1
max_llm_recall: 4
`;

let redis: TestRedis | undefined;
let postgres: PostgresServer | undefined;
let server: WireServer;
let folder = '';
const workers = new Map<string, { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> }>();
let served = 0;
let answered = 0;

function env(): Record<string, string | undefined> {
  return { OPENAI_BASE_URL: server.openaiBaseURL, OPENAI_API_KEY: undefined, DATABASE_URL: postgres?.url, NODE_PATH: undefined };
}

/** The log every process writes: the one PostgreSQL (or the project's SQLite file). */
async function openLog() {
  if (!postgres) {
    registerLogBackends();
    return await createLogStore({ type: 'sqlite', directory: join(folder, 'logs') });
  }
  registerPostgresLogBackend();
  return await createLogStore({ type: 'postgres', options: { url: postgres.url, schema } });
}

function startWorker(name: string): void {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !['OPENAI_API_KEY', 'LLLM_CONFIG', 'NODE_PATH'].includes(key)) childEnv[key] = value;
  childEnv.OPENAI_BASE_URL = server.openaiBaseURL;
  if (postgres) childEnv.DATABASE_URL = postgres.url;
  const child = spawn(
    process.execPath,
    [
      '--conditions=lllm-source',
      '--import',
      tsxLoader,
      binSource,
      'worker',
      'echo',
      '--queue',
      redis?.url ?? '',
      '--concurrency',
      '8',
      '--name',
      name,
      '--lock-ms',
      '2000',
      '--quiet',
    ],
    { cwd: folder, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  workers.set(name, { child, exited });
}

/** Stop a worker's process group: SIGTERM, then SIGKILL after a bound. */
async function stopWorker(name: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const worker = workers.get(name);
  if (!worker) throw new Error(`no worker ${name}`);
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    try {
      process.kill(-(worker.child.pid as number), 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(worker.child.pid as number), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, 15_000);
  const result = await worker.exited;
  clearTimeout(timer);
  return result;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  if (postgresInstalled) postgres = await startPostgres();
  server = await startWireServer();
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  folder = mkdtempSync(join(parent, 'queue-'));
  cpSync(join(repo, 'templates', 'init_template'), folder, {
    recursive: true,
    filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
  });
  // The template's packages, and @lllm/log-postgres installed in the project as a user would.
  const modules = join(repo, 'templates', 'init_template', 'node_modules');
  mkdirSync(join(folder, 'node_modules', '@lllm'), { recursive: true });
  for (const entry of readdirSync(modules))
    if (entry !== '@lllm') symlinkSync(realpathSync(join(modules, entry)), join(folder, 'node_modules', entry), 'dir');
  for (const entry of readdirSync(join(modules, '@lllm')))
    symlinkSync(realpathSync(join(modules, '@lllm', entry)), join(folder, 'node_modules', '@lllm', entry), 'dir');
  symlinkSync(join(repo, 'packages', 'log-postgres'), join(folder, 'node_modules', '@lllm', 'log-postgres'), 'dir');
  writeFileSync(join(folder, 'agents', 'echo.ts'), TACTIC);
  mkdirSync(join(folder, 'config', 'echo'), { recursive: true });
  const log = postgres ? `log_type: postgres\nlog_options: { schema: ${schema}, flushIntervalMs: 20 }` : 'log_type: sqlite\nlog_dir: logs';
  writeFileSync(join(folder, 'config', 'echo', 'default.yaml'), CONFIG.replace('LOG', log));
  writeFileSync(
    join(folder, 'items.jsonl'),
    Array.from({ length: 2000 }, (_, index) => JSON.stringify({ text: `item ${index}` })).join('\n'),
  );
  writeFileSync(
    join(folder, 'capped.jsonl'),
    Array.from({ length: 300 }, (_, index) => JSON.stringify({ text: `capped ${index}` })).join('\n'),
  );
  // Echo the task after 5 ms (usage 1,000 in / 10 out); every 97th request a 500, every 151st a 429.
  server.respondAlways('/v1/chat/completions', (request: CapturedRequest) => {
    served += 1;
    if (served % 97 === 0) return { status: 500, json: { error: { message: 'The server had an error', type: 'server_error' } } };
    if (served % 151 === 0)
      return {
        status: 429,
        headers: { 'retry-after-ms': '40' },
        json: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } },
      };
    const messages = (request.body as { messages: { content: string }[] }).messages;
    const task = /Task: (.*)/.exec(messages.at(-1)?.content ?? '')?.[1] ?? '?';
    answered += 1;
    return {
      json: chatCompletion({ content: `<answer>echo ${task}</answer>`, usage: { prompt_tokens: 1000, completion_tokens: 10 } }),
      delayMs: 5,
    };
  });
}, 60_000);

afterAll(async () => {
  for (const name of workers.keys()) await stopWorker(name);
  await server?.close();
  await redis?.stop();
  await postgres?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

interface ResultLine {
  index: number;
  ok: boolean;
  value?: string;
  costUsd: number;
  session: string;
  error?: { name: string; message: string };
}

const lines = (text: string): ResultLine[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ResultLine);

describe.skipIf(!available)('lllm batch --queue with lllm worker processes', () => {
  it('with no worker yet: says how to start one; Ctrl+C leaves the batch queued (exit 130)', async () => {
    writeFileSync(join(folder, 'early.jsonl'), '{"text": "early 0"}\n{"text": "early 1"}\n');
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined && !['OPENAI_API_KEY', 'LLLM_CONFIG', 'NODE_PATH'].includes(key)) childEnv[key] = value;
    if (postgres) childEnv.DATABASE_URL = postgres.url;
    const child = spawn(
      process.execPath,
      [
        '--conditions=lllm-source',
        '--import',
        tsxLoader,
        binSource,
        'batch',
        'echo',
        '--queue',
        redis?.url ?? '',
        '--input',
        'early.jsonl',
        '--quiet',
      ],
      { cwd: folder, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let waited = 0; !stderr.includes('no worker is running echo jobs') && waited < 60_000; waited += 50)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect(stderr).toContain('lllm: no worker is running echo jobs yet: start one with lllm worker echo --queue <url>');
    expect(code).toBe(130);
    expect(stderr).toMatch(/stopped reading batch echo-[0-9a-f]+ \(SIGINT\); the workers go on with it/);
  }, 90_000);

  it('2,000 inputs over 3 workers, one killed with SIGKILL: each input once in the results and the log, nothing left queued', async () => {
    const url = redis?.url ?? '';
    const submit = runLllm(
      ['batch', 'echo', '--queue', url, '--input', 'items.jsonl', '--output', 'results.jsonl', '--quiet'],
      folder,
      env(),
      150_000,
    );
    for (const name of ['w1', 'w2', 'w3']) startWorker(name);
    // Kill w2 without warning once the run is well under way.
    for (let waited = 0; served < 600 && waited < 90_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    const w2 = workers.get('w2');
    process.kill(-(w2?.child.pid as number), 'SIGKILL');
    const killed = await w2?.exited;
    expect(killed?.signal).toBe('SIGKILL');

    const result = await submit;
    expect(result.stderr).toMatch(/2000 succeeded, 0 failed or skipped/);
    expect(result.code).toBe(0);
    const id = /lllm: batch (\S+): 2000 inputs, 2000 queued/.exec(result.stderr)?.[1] ?? '';
    expect(id).toMatch(/^echo-[0-9a-f]+$/);
    const results = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'));
    expect(results).toHaveLength(2000);
    expect(results.map((line) => line.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, index) => index));
    for (const line of results) expect(line).toMatchObject({ ok: true, value: `echo item ${line.index}` });
    // Faults were injected and recovered from.
    expect(served).toBeGreaterThan(2000 + 20);
    // The jobs w2 was running when it died were run again by BullMQ's stalled-job handling (a session of their own).
    expect(results.filter((line) => /-r\d+$/.test(line.session)).length).toBeGreaterThan(0);

    const log = await openLog();
    expect(log.type).toBe(postgres ? 'postgres' : 'sqlite');
    try {
      const stored = (await log.read('messages', batchSession(id))).filter((entry) => entry.data.event === 'batch-outcome');
      expect(stored.map((entry) => entry.data.index as number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 2000 }, (_, index) => index),
      );
      // The session each result names holds that call's successful tactic summary (a re-run after the kill has a session of its own).
      for (const line of results.filter((_, position) => position % 50 === 0 || _.session.includes('-r'))) {
        const summaries = (await log.read('messages', line.session)).filter((entry) => entry.data.event === 'tactic-session');
        expect(summaries.map((entry) => entry.data.state)).toEqual(['success']);
      }
    } finally {
      await log.close();
    }

    const status = await runLllm(['batch', 'status', id, '--queue', url, '--json'], folder, env());
    expect(status.code).toBe(0);
    const counts = JSON.parse(status.stdout) as {
      done: number;
      failed: number;
      inFlight: number;
      pending: number;
      spentUsd: number;
      workers: { name: string; done: number; inFlight: number }[];
      queue: Record<string, number>;
    };
    expect(counts).toMatchObject({ done: 2000, failed: 0, inFlight: 0, pending: 0 });
    expect(Object.values(counts.queue).every((count) => count === 0)).toBe(true);
    expect(counts.workers.map((worker) => worker.name).sort()).toEqual(['w1', 'w2', 'w3']);
    expect(counts.workers.find((worker) => worker.name === 'w2')?.done).toBeGreaterThan(0);
    expect(counts.spentUsd).toBeCloseTo(
      results.reduce((sum, line) => sum + line.costUsd, 0),
      9,
    );
    const list = await runLllm(['batch', 'status', '--queue', url], folder, env());
    expect(list.stdout).toContain(`${id}  echo  2000/2000 finished  done 2000  failed 0`);
    const table = await runLllm(['batch', 'status', id, '--queue', url], folder, env());
    expect(table.stdout).toMatch(/done 2000 {2}failed 0 {2}skipped 0 {2}in flight 0/);
    expect(table.stdout).toMatch(/^w1 +\d+ +0 +0 +0 +\$/m);
  }, 180_000);

  it('holds the spend cap across the workers: spent ≤ cap, the rest skipped, and the same command resumes without paying twice', async () => {
    const url = redis?.url ?? '';
    const perCall = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'))[0]?.costUsd ?? 0;
    expect(perCall).toBeGreaterThan(0);
    const cap = perCall * 60.5;
    const args = [
      'batch',
      'echo',
      '--queue',
      url,
      '--input',
      'capped.jsonl',
      '--output',
      'capped-results.jsonl',
      '--max-cost',
      String(cap),
      '--quiet',
    ];
    const result = await runLllm(args, folder, env(), 120_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the spend cap of \$[\d.e-]+ was reached/);
    const results = lines(readFileSync(join(folder, 'capped-results.jsonl'), 'utf8'));
    expect(results).toHaveLength(300);
    const spent = results.reduce((sum, line) => sum + line.costUsd, 0);
    const done = results.filter((line) => line.ok).length;
    expect(spent).toBeLessThanOrEqual(cap);
    expect(done).toBeGreaterThanOrEqual(30);
    expect(done).toBeLessThanOrEqual(60);
    for (const line of results.filter((line) => !line.ok)) expect(line.error?.name).toBe('SpendCapError');
    const status = JSON.parse(
      (await runLllm(['batch', 'status', /lllm: batch (\S+):/.exec(result.stderr)?.[1] ?? '', '--queue', url, '--json'], folder, env()))
        .stdout,
    ) as {
      spentUsd: number;
      skipped: number;
    };
    expect(status.spentUsd).toBeLessThanOrEqual(cap);
    expect(status.skipped).toBe(300 - done);

    // Again without the cap: the skipped inputs run, the finished ones are kept, none is paid twice.
    const before = answered;
    const again = await runLllm(
      args.filter((arg, position) => arg !== '--max-cost' && args[position - 1] !== '--max-cost'),
      folder,
      env(),
      120_000,
    );
    expect(again.stderr).toMatch(/300 inputs, \d+ queued .*, \d+ kept from earlier runs/);
    expect(again.code).toBe(0);
    const finished = lines(readFileSync(join(folder, 'capped-results.jsonl'), 'utf8'));
    expect(finished.map((line) => line.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, index) => index));
    expect(finished.filter((line) => (line as ResultLine & { resumed: boolean }).resumed)).toHaveLength(done);
    expect(finished.every((line) => line.ok)).toBe(true);
    expect(answered - before).toBe(300 - done);
  }, 150_000);

  it('stops every worker and server it started', async () => {
    for (const name of ['w1', 'w3']) {
      const stopped = await stopWorker(name);
      expect(stopped.code).toBe(143);
      expect(stopped.stderr).toMatch(new RegExp(`worker ${name} stopped by SIGTERM: done \\d+`));
    }
    for (const worker of workers.values()) expect(alive(worker.child.pid as number)).toBe(false);
    const pid = redis?.pid as number;
    await redis?.stop();
    redis = undefined;
    expect(alive(pid)).toBe(false);
    await postgres?.stop();
    postgres = undefined;
  }, 60_000);
});

describe('lllm batch --queue usage', () => {
  it('names the missing flag, a bad URL without its password, and the missing package', async () => {
    const cwd = repo;
    const noUrl = await runLllm(['batch', 'status', 'x'], cwd);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('lllm batch status needs --queue redis://host:6379');
    const badUrl = await runLllm(['batch', 'status', 'x', '--queue', 'http://me:hunter2@example.com'], cwd);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toContain('--queue takes a Redis URL such as redis://127.0.0.1:6379');
    expect(badUrl.stderr).not.toContain('hunter2');
    const concurrency = await runLllm(['batch', 'echo', '--queue', 'redis://127.0.0.1:1', '--input', 'x.jsonl', '--concurrency', '4'], cwd);
    expect(concurrency.code).toBe(2);
    expect(concurrency.stderr).toContain('With --queue, each worker sets its concurrency: lllm worker echo --queue <url> --concurrency 4');
    const missing = await runLllm(['worker', 'echo', '--queue', 'redis://127.0.0.1:1'], cwd, { LLLM_QUEUE_MODULE: '@lllm/no-such-queue' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('need @lllm/queue: npm install @lllm/queue');
  }, 60_000);
});

describe('statusTable', () => {
  it('shows the totals, the spend against the cap and one row per worker', () => {
    const table = statusTable({
      id: 'b1',
      tactic: 'echo',
      total: 10,
      done: 6,
      failed: 1,
      skipped: 0,
      inFlight: 2,
      pending: 1,
      spentUsd: 0.0123,
      maxCostUsd: 1,
      tokens: 4321,
      createdAt: 0,
      workers: [
        { name: 'host-1', done: 4, failed: 1, skipped: 0, inFlight: 1, spentUsd: 0.01 },
        { name: 'h2', done: 2, failed: 0, skipped: 0, inFlight: 1, spentUsd: 0.0023 },
      ],
      queue: {},
      connectedWorkers: 2,
    });
    expect(table).toBe(
      [
        'batch b1  tactic echo  7/10 finished',
        'done 6  failed 1  skipped 0  in flight 2  waiting 1',
        'spent $0.012300 of $1.000000  tokens 4321  workers connected 2',
        '',
        'worker  done  failed  skipped  in flight      spent',
        'host-1     4       1        0          1  $0.010000',
        'h2         2       0        0          1  $0.002300',
        '',
      ].join('\n'),
    );
  });
});
