// The lllm CLI with `log_type: postgres`: it imports @lllm/log-postgres from the project (the CLI does
// not depend on it), `run` writes the session to PostgreSQL, `replay` reads and searches it, `doctor`
// checks it; without the package, a typed error says what to install; the password never shows.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runLllm } from '../../cli/src/test-cli.js';
import { freshSchema, postgresUrl } from './test-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageFolder = join(here, '..');
const repo = join(packageFolder, '..', '..');
const folders: string[] = [];
/** pnpm's scripts set NODE_PATH to its store, where every workspace package is found: not on a user's machine. */
const plain = { NODE_PATH: undefined };
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/**
 * A project made from the init template with `log_type: postgres`, inside this package's
 * node_modules (so @lllm/prompts and zod resolve); `installed` links @lllm/log-postgres into its own
 * node_modules, as `npm install @lllm/log-postgres` would.
 */
function project(installed: boolean, logOptions: string): string {
  const parent = join(packageFolder, 'node_modules', '.cache', 'lllm-log-postgres-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, installed ? 'with-' : 'without-'));
  folders.push(folder);
  cpSync(join(repo, 'templates', 'init_template'), folder, {
    recursive: true,
    filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
  });
  if (installed) {
    mkdirSync(join(folder, 'node_modules', '@lllm'), { recursive: true });
    symlinkSync(packageFolder, join(folder, 'node_modules', '@lllm', 'log-postgres'), 'dir');
  }
  const config = join(folder, 'config', 'default', 'default.yaml');
  writeFileSync(config, readFileSync(config, 'utf8').replace('log_type: sqlite', `log_type: postgres\nlog_options: ${logOptions}`));
  return folder;
}

describe.skipIf(!postgresUrl)('lllm with log_type: postgres', () => {
  const password = postgresUrl ? new URL(postgresUrl).password : 'unused';

  it('doctor, run, replay and replay --search use PostgreSQL; the password appears nowhere', async () => {
    const folder = project(true, `{ schema: ${freshSchema('cli')}, flushIntervalMs: 10 }`);
    const env = { ...plain, DATABASE_URL: postgresUrl };
    const doctor = await runLllm(['doctor'], folder, env);
    expect(doctor.stdout).toContain('log_type postgres is a registered backend');
    const run = await runLllm(['run', 'What is 2 + 2?'], folder, env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('postgres log');
    const session = /Session: (\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(session).not.toBe('');
    const list = await runLllm(['replay'], folder, env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(session);
    const replay = await runLllm(['replay', session], folder, env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('What is 2 + 2?');
    const search = await runLllm(['replay', '--search', 'what is'], folder, env);
    expect(search.code, search.stderr).toBe(0);
    expect(`${search.stdout}${search.stderr}`).toContain('(PostgreSQL full-text)');
    expect(search.stdout).toContain(session);
    for (const result of [doctor, run, list, replay, search]) expect(`${result.stdout}${result.stderr}`).not.toContain(password);
  }, 180_000);

  it('a wrong password or a typo in log_options: one clear line, exit 1, never the password', async () => {
    const wrong = new URL(postgresUrl);
    wrong.password = 'PLANTED-wrong-password-77';
    const folder = project(true, `{ url: "${wrong.href}", schema: ${freshSchema('cli')} }`);
    const replay = await runLllm(['replay'], folder, plain);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain(`Cannot connect to the PostgreSQL log at postgres://lllm@127.0.0.1:${wrong.port}/postgres`);
    expect(replay.stderr).not.toContain('PLANTED-wrong-password-77');

    const typo = project(true, `{ url: "${wrong.href}", batchsize: 10 }`);
    const doctor = await runLllm(['doctor'], typo, plain);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('log_options.batchsize: Unrecognized key "batchsize": did you mean "batchSize"?');
    expect(`${doctor.stdout}${doctor.stderr}`).not.toContain('PLANTED-wrong-password-77');
  }, 120_000);
});

describe('lllm with log_type: postgres and no @lllm/log-postgres installed', () => {
  it('replay and doctor name the package to install', async () => {
    const folder = project(false, '{ schema: nowhere }');
    const env = { ...plain, DATABASE_URL: 'postgres://lllm:not-a-real-password-1@127.0.0.1:9/postgres' };
    const replay = await runLllm(['replay'], folder, env);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain('log_type "postgres" needs the @lllm/log-postgres package, which is not installed');
    expect(replay.stderr).toContain('npm install @lllm/log-postgres');
    const doctor = await runLllm(['doctor'], folder, env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('npm install @lllm/log-postgres');
    expect(doctor.stdout).not.toContain('log_type postgres is a registered backend');
  }, 120_000);
});
