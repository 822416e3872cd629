// The command line as a user and a script meet it: --version, --help for every command, suggestions
// for mistyped commands and flags, --json documents on stdout (progress on stderr) even with a retry
// on the way, NO_COLOR / FORCE_COLOR, shell completion run in real shells, and a cold start that
// loads no provider SDK, SQLite or proxy code. Spawned as real processes from the TypeScript sources.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLllm as lllm, tsxLoader } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const version = (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version;
const temps: string[] = [];
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

const PROVIDER_KEYS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'LLLM_CONFIG', 'NO_COLOR', 'FORCE_COLOR'];

function temp(): string {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-commands-'));
  temps.push(folder);
  return folder;
}

/** A copy of a repository template inside the repository (so `@lllm/*` resolve to the workspace). */
function templateCopy(template: string): string {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, `${template}-`));
  temps.push(folder);
  cpSync(join(repo, 'templates', template), folder, { recursive: true, filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path) });
  symlinkSync(join(repo, 'templates', template, 'node_modules'), join(folder, 'node_modules'), 'dir');
  return folder;
}

function chatReply(content: string) {
  return {
    json: {
      id: 'chatcmpl-h11',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 30, completion_tokens: 5 },
    },
  };
}

const ESC = '\u001b[';

describe('lllm --version, --help and mistakes', () => {
  it('prints the version with --version and -v, and help for the program and every command', async () => {
    const cwd = temp();
    for (const flag of ['--version', '-v']) {
      const result = await lllm([flag], cwd);
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    const help = await lllm(['--help'], cwd);
    expect(help.code).toBe(0);
    for (const command of ['create', 'batch', 'run', 'prompts', 'proxies', 'replay', 'doctor', 'completion'])
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(help.stdout).toContain('Exit codes: 0 ok');
    const commands: [string[], string][] = [
      [['run', '--help'], '--timeout <ms>'],
      [['prompts', '--help'], '--json'],
      [['proxies', '--help'], 'test [options] [paths...]'],
      [['proxies', 'test', '--help'], 'only these endpoint paths'],
      [['replay', '--help'], '--search <text>'],
      [['doctor', '--help'], '--json'],
      [['completion', '--help'], 'bash, zsh or fish'],
      [['help', 'run'], '--json'],
      [['create', '--help'], 'Usage: lllm create'],
      [['batch', '--help'], 'lllm batch <tactic> --input items.jsonl'],
    ];
    for (const [args, text] of commands) {
      const result = await lllm(args, cwd);
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      expect(result.stdout).toContain(text);
    }
  }, 120_000);

  it('suggests the closest command or flag, exits 2, and never mentions parseArgs', async () => {
    const cwd = temp();
    const command = await lllm(['rn', 'task'], cwd);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain("lllm: unknown command 'rn'\n(Did you mean run?)");
    expect(command.stdout).toBe('');
    const flag = await lllm(['run', 'task', '--jsn'], cwd);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("lllm: unknown option '--jsn'\n(Did you mean --json?)");
    const doctor = await lllm(['doctor', '--jsom'], cwd);
    expect(doctor.code).toBe(2);
    expect(doctor.stderr).toContain('(Did you mean --json?)');
    const replay = await lllm(['replay', '--serv'], cwd);
    expect(replay.stderr).toContain('(Did you mean --serve?)');
    const shell = await lllm(['completion', 'tcsh'], cwd);
    expect(shell.code).toBe(2);
    expect(shell.stderr).toContain('lllm completion writes scripts for bash, zsh, fish, not "tcsh"');
    for (const result of [command, flag, doctor, replay, shell]) expect(result.stderr).not.toMatch(/parseArgs|ERR_PARSE_ARGS| {4}at /);
  }, 60_000);
});

describe('--json on stdout, progress on stderr', () => {
  it('lllm run --json is one valid JSON document with a provider, a rate-limit wait and a parse retry on the way', async () => {
    const project = templateCopy('init_template');
    const before = server.requestsTo('/v1/chat/completions').length;
    server.enqueue('/v1/chat/completions', {
      status: 429,
      headers: { 'retry-after': '1' },
      json: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
    });
    server.enqueue('/v1/chat/completions', chatReply('I think it is Paris, but I forgot the tags.'));
    server.enqueue('/v1/chat/completions', chatReply('<answer>Paris</answer>'));
    const result = await lllm(['run', 'Capital of France?', '--json', '--session', 'json-run'], project, {
      OPENAI_BASE_URL: server.openaiBaseURL,
      OPENAI_API_KEY: 'sk-test-h11-key-0123456789',
    });
    expect(result.code).toBe(0);
    expect(server.requestsTo('/v1/chat/completions').length).toBe(before + 3);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document).toMatchObject({
      session: 'json-run',
      status: 'completed',
      scripted: false,
      result: { answer: 'Paris' },
      errors: [],
      log: { type: 'sqlite', written: true },
      tokens: { input: 60, output: 10 },
    });
    expect(Object.keys(document)).toEqual([
      'session',
      'status',
      'system',
      'scripted',
      'result',
      'cost',
      'tokens',
      'elapsedMs',
      'log',
      'errors',
    ]);
    expect((document.cost as { totalUsd: number }).totalUsd).toBeGreaterThan(0);
    // Progress and notes went to stderr: the wait, the retry, and where the session is.
    expect(result.stderr).toMatch(/! assistant \(vanilla\/task_query\): rate limited, waiting 1\.0s/);
    expect(result.stderr).toMatch(/! assistant \(vanilla\/task_query\): reply did not parse, asking again \(retry 1\)/);
    expect(result.stderr).toContain('Session: json-run');
    expect(result.stdout + result.stderr).not.toContain('sk-test-h11-key-0123456789');
    expect(result.stdout).not.toContain(ESC);

    // The other --json commands, each one JSON document of the documented shape.
    const replay = JSON.parse((await lllm(['replay', 'json-run', '--json'], project)).stdout) as Record<string, unknown>;
    expect(replay).toMatchObject({ session: 'json-run', end: { status: 'completed' } });
    expect(replay.rateLimitWaitMs).toBe(1000);
    const agents = replay.agents as { agent: string; retries: number; rateLimitWaits: number; meanLatencyMs: number }[];
    expect(agents).toEqual([expect.objectContaining({ agent: 'assistant', retries: 2, rateLimitWaits: 1 })]);
    const sessions = JSON.parse((await lllm(['replay', '--json'], project)).stdout) as { sessions: { session: string }[] };
    expect(sessions.sessions.map((info) => info.session)).toContain('json-run');
    const found = JSON.parse((await lllm(['replay', '--search', 'forgot tags', '--json'], project)).stdout) as {
      method: string;
      hits: { session: string; pruned: boolean; snippet: string }[];
    };
    expect(found.method).toBe('fts5');
    expect(found.hits).toEqual([expect.objectContaining({ session: 'json-run', pruned: true })]);
    expect(found.hits[0]?.snippet).toContain('I forgot the tags');
    const prompts = JSON.parse((await lllm(['prompts', '--json'], project)).stdout) as { prompts: { path: string }[] };
    expect(prompts.prompts.map((prompt) => prompt.path)).toContain('vanilla/task_query');
    expect(Object.keys(prompts.prompts[0] ?? {})).toEqual(['path', 'tools', 'structuredOutput', 'source']);
    const proxies = JSON.parse((await lllm(['proxies', '--json'], project)).stdout) as { proxies: Record<string, unknown>[] };
    expect(proxies.proxies[0]).toMatchObject({ path: 'apod', active: false, inactiveReason: expect.stringContaining('NASA_API_KEY') });
    const doctor = await lllm(['doctor', '--json'], project, { OPENAI_API_KEY: 'sk-doctor-h11-0123456789' });
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { check: string; status: string; message: string }[] };
    expect(report.ok).toBe(true);
    expect(doctor.code).toBe(0);
    expect(report.checks.map((check) => check.check)).toEqual(
      expect.arrayContaining(['node', 'sqlite', 'lllm.toml', 'config', 'log_type', 'agent', 'model_card', 'provider']),
    );
    expect(doctor.stdout).not.toContain('sk-doctor-h11-0123456789');
  }, 120_000);

  it('a failed run --json still prints one document, with the session and the error', async () => {
    const project = templateCopy('init_template');
    for (let i = 0; i < 8; i++) server.enqueue('/v1/chat/completions', { status: 400, json: { error: { message: 'bad request h11' } } });
    const result = await lllm(['run', 'Capital of France?', '--json', '--session', 'json-fail'], project, {
      OPENAI_BASE_URL: server.openaiBaseURL,
    });
    expect(result.code).toBe(1);
    const document = JSON.parse(result.stdout) as { status: string; session: string; errors: { kind: string; message: string }[] };
    expect(document).toMatchObject({ status: 'failed', session: 'json-fail', result: null });
    expect(document.errors[0]?.message).toContain('bad request h11');
    expect(result.stderr).toContain('lllm: session json-fail failed; see what happened with: lllm replay json-fail');
    const badConfig = await lllm(['run', 'x', '--json', '--config', 'nope'], project);
    expect(badConfig.code).toBe(1);
    expect(JSON.parse(badConfig.stdout)).toMatchObject({ status: 'failed', session: null, errors: [{ kind: 'ConfigError' }] });
  }, 60_000);
});

describe('lllm replay <session> --serve', () => {
  it('opens the named session: the printed address names it, and an unknown one is refused before serving', async () => {
    const project = templateCopy('init_template');
    expect((await lllm(['run', 'Hello', '--session', 'served'], project)).code).toBe(0);
    const missing = await lllm(['replay', 'no-such', '--serve'], project);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No logged session "no-such"');
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !PROVIDER_KEYS.includes(key)) childEnv[key] = value;
    const viewer = spawn(
      process.execPath,
      ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'bin-source.ts'), 'replay', 'served', '--serve'],
      { cwd: project, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`no viewer URL in: ${seen}`)), 30_000);
        viewer.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /Replay viewer: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}&session=served) /.exec(seen);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      // The first visit trades the token for a cookie and keeps the view in the address.
      const first = await fetch(url, { redirect: 'manual' });
      expect(first.status).toBe(303);
      expect(first.headers.get('location')).toBe('/?session=served');
    } finally {
      const exited = new Promise<number | null>((resolve) => viewer.once('exit', (code) => resolve(code)));
      viewer.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 90_000);
});

describe('colours', () => {
  it('NO_COLOR and FORCE_COLOR decide, everywhere; a pipe gets none by default', async () => {
    const project = templateCopy('example');
    const run = await lllm(['run', 'Population of Tokyo?', '--session', 'colours'], project);
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(ESC);
    const forced = await lllm(['replay', 'colours'], project, { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain(`${ESC}1mSession colours`);
    const none = await lllm(['replay', 'colours'], project, { NO_COLOR: '1' });
    expect(none.stdout).toContain('Session colours');
    expect(none.stdout).not.toContain(ESC);
    const off = await lllm(['replay', 'colours', '--no-color'], project, { FORCE_COLOR: '1' });
    expect(off.stdout).not.toContain(ESC);
    const doctor = await lllm(['doctor'], project, { FORCE_COLOR: '1' });
    expect(doctor.stdout).toContain(`${ESC}32m✓`);
    const progress = await lllm(['run', 'Population of Tokyo?'], project, { FORCE_COLOR: '1' });
    expect(progress.stderr).toContain(ESC);
    expect(progress.stdout).not.toContain(ESC);
  }, 120_000);
});

describe('completion', () => {
  it('bash completes commands and their flags in a real bash', async () => {
    const script = (await lllm(['completion', 'bash'], temp())).stdout;
    writeFileSync(join(temps[temps.length - 1] as string, 'lllm.bash'), script);
    const file = join(temps[temps.length - 1] as string, 'lllm.bash');
    const complete = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `source ${JSON.stringify(file)}; COMP_WORDS=(${words.map((word) => JSON.stringify(word)).join(' ')}); COMP_CWORD=${words.length - 1}; _lllm; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
    expect(complete(['lllm', 'ru']).stdout.trim()).toBe('run');
    expect(complete(['lllm', 're']).stdout.trim()).toBe('replay');
    expect(complete(['lllm', 'replay', '--se']).stdout.trim().split('\n').sort()).toEqual(['--search', '--serve']);
    expect(complete(['lllm', 'proxies', 't']).stdout.trim()).toBe('test');
  }, 60_000);

  for (const shell of ['zsh', 'fish'] as const) {
    const installed = spawnSync(shell, ['-c', 'exit 0']).status === 0;
    it.runIf(installed)(`${shell} accepts the script and completes commands`, async () => {
      const script = (await lllm(['completion', shell], temp())).stdout;
      const file = join(temps[temps.length - 1] as string, `lllm.${shell}`);
      writeFileSync(file, script);
      if (shell === 'fish') {
        const result = spawnSync('fish', ['-c', `source ${file}; complete -C 'lllm rep'`], { encoding: 'utf8' });
        expect(result.stderr).toBe('');
        expect(result.stdout).toMatch(/^replay\t/m);
      } else {
        const result = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
        expect(result.status).toBe(0);
        expect(script).toContain("'run:run the system on a task'");
        const loaded = spawnSync('zsh', ['-c', `autoload -Uz compinit && compinit -u && source ${file} && print -r -- \${_comps[lllm]}`], {
          encoding: 'utf8',
        });
        expect(loaded.stdout.trim()).toBe('_lllm');
      }
    });
  }
});

describe('cold start', () => {
  it('--help and --version load no provider SDK, SQLite, proxy or LLLM package code; a command does', async () => {
    const probe = join(temp(), 'probe.mjs');
    writeFileSync(
      probe,
      `import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const resolved = next(specifier, context); seen.push(resolved.url); return resolved; } });
const { main } = await import(process.argv[2]);
const quiet = { write() {} };
const code = await main(process.argv.slice(3), { stdout: quiet, stderr: quiet, cwd: process.cwd(), env: {} });
process.stdout.write(JSON.stringify({ code, seen }));
`,
    );
    const load = (args: string[]) => {
      const result = spawnSync(
        process.execPath,
        ['--conditions=lllm-source', '--import', tsxLoader, probe, pathToFileURL(join(here, 'main.ts')).href, ...args],
        { cwd: temp(), encoding: 'utf8' },
      );
      return JSON.parse(result.stdout) as { code: number; seen: string[] };
    };
    const heavy = /openai|anthropic|better-sqlite3|packages\/(core|log|proxy|prompts)\/|@lllm\/|create-lllm|tsx\/dist\/(?!esm)/;
    for (const args of [['--help'], ['--version'], ['run', '--help']]) {
      const { code, seen } = load(args);
      expect(code).toBe(0);
      expect(seen.filter((url) => heavy.test(url))).toEqual([]);
    }
    // The probe sees them when they load (so the check above can fail).
    const { seen } = load(['prompts']);
    expect(seen.some((url) => /better-sqlite3|packages\/log\//.test(url))).toBe(true);
    expect(seen.some((url) => /openai/.test(url))).toBe(true);
  }, 60_000);
});
