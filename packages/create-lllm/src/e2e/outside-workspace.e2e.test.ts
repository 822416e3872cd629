// create-lllm and the projects it makes, as a user gets them: the built packages packed into tarballs,
// installed outside the workspace (a temp folder) with `pnpm install --offline` from the local store,
// the real binaries spawned without a terminal and under a pseudo-terminal (`script`). Each scaffolded
// project must pass its own `pnpm test` and typecheck, `lllm doctor` and `lllm run` on the scripted model.
// Nothing reaches a registry: metadata comes from the workspace lockfile (test-offline-metadata.ts).
import { type SpawnOptions, spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOfflineMetadata } from './test-offline-metadata.js';

const repo = join(import.meta.dirname, '..', '..', '..', '..');
// Every @lllm package the CLI depends on (read from its manifest, so a new dependency is packed too),
// the CLI itself and the scaffolder.
const cliManifest = JSON.parse(readFileSync(join(repo, 'packages', 'cli', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const PACKED = [
  ...Object.keys(cliManifest.dependencies)
    .filter((name) => name.startsWith('@lllm/'))
    .map((name) => name.slice('@lllm/'.length)),
  'cli',
  'create-lllm',
];
const MIB = 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'create-lllm-e2e-'));
const tarballs = join(work, 'tarballs');
const cache = join(work, 'pnpm-cache');
const tarballOf = new Map<string, string>();
let store = '';
let scaffolder = '';

// Three installed projects are many files: their removal gets its own time.
afterAll(() => rm(work, { recursive: true, force: true }), 180_000);

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const plain = (text: string) => text.replace(ANSI, '');

/** The environment of a user's shell: none of this test run's pnpm, Vitest or provider variables. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|VITEST|TURBO_|OPENAI_|ANTHROPIC_|LLLM_)/i.test(key) || ['NODE_OPTIONS', 'INIT_CWD', 'NODE_ENV'].includes(key))
      continue;
    env[key] = value;
  }
  return { ...env, CI: 'true', ...extra };
}

/** Run a command to its end (killed after `timeoutMs`), collecting its output. */
function run(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: userEnv(), ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function expectOk(result: Result, what: string): void {
  if (result.code !== 0) throw new Error(`${what} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
}

/** `pnpm install` of `directory` from the store and the lockfile's metadata only. */
async function install(directory: string): Promise<Result> {
  const result = await run(
    'pnpm',
    [
      'install',
      '--offline',
      '--no-frozen-lockfile',
      '--cache-dir',
      cache,
      '--store-dir',
      store,
      '--reporter=append-only',
      '--config.confirmModulesPurge=false',
    ],
    { cwd: directory, timeoutMs: 240_000 },
  );
  expectOk(result, `pnpm install in ${directory}`);
  return result;
}

/** Bytes on disk under `folder`, each hard-linked file once, symlinks not followed (what `du` reports). */
function installedBytes(folder: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (path: string, depth: number) => {
    if (depth > 64) throw new Error(`${path}: nested too deep`);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      const stat = lstatSync(child);
      if (entry.isDirectory()) walk(child, depth + 1);
      else if (entry.isFile() && !seen.has(stat.ino)) {
        seen.add(stat.ino);
        total += stat.size;
      }
    }
  };
  walk(folder, 0);
  return total;
}

const bin = () => join(scaffolder, 'node_modules', 'create-lllm', 'bin', 'create-lllm.js');
const hasScript = spawnSync('script', ['--version']).status === 0;

/** The installed binary on a pseudo-terminal (`script` from util-linux): we type into it as a user would. */
function onTerminal(folder: string) {
  // Without a terminal of its own, `script` would give the pseudo-terminal 0 columns.
  const child = spawn('script', ['-qfec', `stty cols 100 rows 40 && ${process.execPath} ${bin()}`, '/dev/null'], {
    cwd: folder,
    env: userEnv({ TERM: 'xterm-256color', npm_config_user_agent: 'npm/10.9.2 node/v22 linux x64' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let seen = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    exited,
    screen: () => plain(output),
    type: (keys: string) => child.stdin?.write(keys),
    kill: () => child.kill('SIGKILL'),
    /** Wait (up to 20 s) until `text` appears after what the previous wait saw. */
    async waitFor(text: string): Promise<void> {
      for (let tries = 0; tries < 200; tries += 1) {
        const index = plain(output.slice(seen)).indexOf(text);
        if (index >= 0) {
          seen = output.length;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`the prompt never showed ${JSON.stringify(text)}; the screen was:\n${plain(output)}`);
    },
  };
}

beforeAll(async () => {
  // The tarballs are packed from dist: build what is stale (turbo replays the rest from its cache).
  expectOk(
    await run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=@lllm/cli...', '--output-logs=errors-only'], {
      cwd: repo,
      env: process.env,
      timeoutMs: 300_000,
    }),
    'turbo run build',
  );
  mkdirSync(tarballs);
  for (const name of PACKED) {
    expectOk(
      await run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(repo, 'packages', name), env: process.env }),
      `pnpm pack ${name}`,
    );
  }
  for (const file of readdirSync(tarballs)) {
    const name = file.startsWith('create-lllm-')
      ? 'create-lllm'
      : `@lllm/${file.replace(/^lllm-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`;
    tarballOf.set(name, join(tarballs, file));
  }
  expect([...tarballOf.keys()].sort()).toEqual(PACKED.map((name) => (name === 'create-lllm' ? name : `@lllm/${name}`)).sort());
  expect(writeOfflineMetadata(join(repo, 'pnpm-lock.yaml'), cache)).toBeGreaterThan(50);
  store = spawnSync('pnpm', ['store', 'path'], { cwd: repo, encoding: 'utf8' }).stdout.trim();
  expect(existsSync(store)).toBe(true);
  scaffolder = join(work, 'scaffolder');
  mkdirSync(scaffolder);
  writeFileSync(
    join(scaffolder, 'package.json'),
    JSON.stringify({ name: 'scaffolder', private: true, dependencies: { 'create-lllm': `file:${tarballOf.get('create-lllm')}` } }),
  );
  await install(scaffolder);
}, 600_000);

describe('create-lllm from its tarball', () => {
  it('installs alone in under 5 MiB, without the CLI, SDKs or SQLite', () => {
    const bytes = installedBytes(join(scaffolder, 'node_modules'));
    console.info(`create-lllm installed: ${(bytes / MIB).toFixed(2)} MiB`);
    expect(bytes).toBeLessThan(5 * MIB);
    const installed = readdirSync(join(scaffolder, 'node_modules', '.pnpm')).join(' ');
    expect(installed).toContain('@clack+prompts');
    expect(installed).toContain('validate-npm-package-name');
    for (const heavy of ['@lllm+', 'openai', '@anthropic-ai', 'better-sqlite3', 'zod', 'esbuild', '@modelcontextprotocol'])
      expect(installed).not.toContain(heavy);
    expect(existsSync(join(scaffolder, 'node_modules', 'create-lllm', 'templates', 'init_template', 'lllm.toml'))).toBe(true);
    expect(existsSync(join(scaffolder, 'node_modules', 'create-lllm', 'templates', 'example', 'node_modules'))).toBe(false);
  });

  it('answers --help and --version itself and, without a terminal, never waits for input', async () => {
    const help = await run(process.execPath, [bin(), '--help'], { cwd: work });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: create-lllm [name] [options]');
    expect(help.stdout).toContain('pnpm create lllm [name]');
    const version = await run(process.execPath, [bin(), '--version'], { cwd: work });
    expect(version).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    const started = Date.now();
    const bare = await run(process.execPath, [bin()], { cwd: work, timeoutMs: 20_000 });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('create-lllm needs a project name');
    expect(Date.now() - started).toBeLessThan(15_000);
    const upper = await run(process.execPath, [bin(), 'MyAgents'], { cwd: work });
    expect(upper.code).toBe(1);
    expect(upper.stderr).toBe(
      'create-lllm: Project name "MyAgents" is not a valid npm package name: name can no longer contain capital letters. Try "myagents".\n',
    );
    expect(existsSync(join(work, 'MyAgents'))).toBe(false);
  });

  it.skipIf(!hasScript)(
    'on a terminal it asks for the name and the template',
    async () => {
      const folder = join(work, 'pty');
      mkdirSync(folder);
      const terminal = onTerminal(folder);
      try {
        await terminal.waitFor('Project name');
        terminal.type('pty-bot\r');
        await terminal.waitFor('Template');
        // The list starts on init_template (the default); one up is example.
        terminal.type('\u001b[A');
        await new Promise((resolve) => setTimeout(resolve, 300));
        terminal.type('\r');
        expect(await terminal.exited).toBe(0);
      } finally {
        terminal.kill();
      }
      expect(terminal.screen()).toContain(`Created ${join(folder, 'pty-bot')} from the example template`);
      expect(terminal.screen()).toContain('npx lllm doctor');
      expect(JSON.parse(readFileSync(join(folder, 'pty-bot', 'package.json'), 'utf8')).name).toBe('pty-bot');
      expect(existsSync(join(folder, 'pty-bot', 'agents', 'team.ts'))).toBe(true);
      expect(existsSync(join(folder, 'pty-bot', '.gitignore'))).toBe(true);
    },
    60_000,
  );

  it.skipIf(!hasScript)(
    'on a terminal it refuses a bad name as it is typed, and Ctrl-C writes nothing',
    async () => {
      const folder = join(work, 'pty-cancel');
      mkdirSync(folder);
      const terminal = onTerminal(folder);
      try {
        await terminal.waitFor('Project name');
        terminal.type('Bad Name\r');
        await terminal.waitFor('is not a valid npm package name');
        terminal.type('\u0003');
        expect(await terminal.exited).toBe(1);
      } finally {
        terminal.kill();
      }
      expect(terminal.screen()).toContain('Cancelled: nothing was written.');
      expect(readdirSync(folder)).toEqual([]);
    },
    60_000,
  );
});

describe.each(['init_template', 'example'])('a project from %s, outside the workspace', (template) => {
  const name = `${template.replace('_', '-')}-app`;
  const project = join(work, 'projects', name);
  const pnpmUser = { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v22.23.3 linux x64' };

  it('is scaffolded by the packed create-lllm with published @lllm ranges', async () => {
    const created = await run(process.execPath, [bin(), name, '--template', template, '--dir', 'projects'], {
      cwd: work,
      env: userEnv(pnpmUser),
    });
    expectOk(created, 'create-lllm');
    expect(created.stdout).toContain(`Created ${project} from the ${template} template`);
    expect(created.stdout).toContain(`\n  cd projects/${name}\n  pnpm install\n  pnpm exec lllm doctor\n  pnpm test\n`);
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(manifest.dependencies['@lllm/core']).toBe('^0.1.0');
    // Point @lllm/* (and create-lllm, which @lllm/cli uses) at the tarballs; everything else resolves as for a user.
    manifest.pnpm.overrides = Object.fromEntries([...tarballOf].map(([dependency, file]) => [dependency, `file:${file}`]));
    writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
    await install(project);
    expect(readdirSync(join(project, 'node_modules', '.pnpm')).join(' ')).not.toContain('link');
  }, 300_000);

  it('passes its own pnpm test and typecheck', async () => {
    const tests = await run('pnpm', ['test'], { cwd: project, timeoutMs: 240_000 });
    const output = plain(tests.stdout + tests.stderr);
    expect(output).not.toContain('Cannot find module');
    expect(output).toMatch(/Test Files\s+\d+ passed \(\d+\)/);
    expect(output).not.toMatch(/\d+ failed/);
    expect(tests.code).toBe(0);
    const typecheck = await run('pnpm', ['run', 'typecheck'], { cwd: project, timeoutMs: 120_000 });
    expectOk(typecheck, 'pnpm run typecheck');
  }, 300_000);

  it('lllm doctor and lllm run work on the scripted model; .gitignore keeps logs and node_modules out of git', async () => {
    const doctor = await run('pnpm', ['exec', 'lllm', 'doctor'], { cwd: project, timeoutMs: 60_000 });
    expectOk(doctor, 'lllm doctor');
    expect(doctor.stdout).toContain('Everything looks right.');
    const answer = await run('pnpm', ['exec', 'lllm', 'run', 'What is 2 + 2?'], { cwd: project, timeoutMs: 60_000 });
    expectOk(answer, 'lllm run');
    expect(answer.stdout).toContain('Result (SCRIPTED offline model)');
    if (template === 'init_template') expect(answer.stdout).toContain('(scripted) I would answer: What is 2 + 2?');
    expect(existsSync(join(project, 'logs', 'lllm.sqlite'))).toBe(true);
    expectOk(await run('git', ['init', '-q'], { cwd: project }), 'git init');
    const status = await run('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project });
    expect(status.stdout).toContain('package.json');
    expect(status.stdout).toContain('.gitignore');
    expect(status.stdout).not.toMatch(/node_modules|logs\/|lllm\.sqlite/);
  }, 180_000);
});

describe('lllm create, from the installed CLI', () => {
  it('is the same scaffolder: same files, same refusals', async () => {
    const project = join(work, 'projects', 'init-template-app');
    const parent = join(work, 'from-cli');
    mkdirSync(parent);
    const created = await run('pnpm', ['exec', 'lllm', 'create', 'cli-bot', '--dir', parent], { cwd: project, timeoutMs: 60_000 });
    expectOk(created, 'lllm create');
    expect(created.stdout).toContain(`Created ${join(parent, 'cli-bot')} from the init_template template`);
    expect(readdirSync(join(parent, 'cli-bot')).sort()).toEqual(
      readdirSync(project)
        .filter((entry) => !['node_modules', 'logs', 'pnpm-lock.yaml', '.git'].includes(entry))
        .sort(),
    );
    const refused = await run('pnpm', ['exec', 'lllm', 'create', 'Cli-Bot', '--dir', parent], { cwd: project });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('lllm create: Project name "Cli-Bot" is not a valid npm package name');
  }, 60_000);
});
