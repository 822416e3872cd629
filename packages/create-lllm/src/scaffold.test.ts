import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LllmError } from '@lllm/core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CreateLllmError,
  createProject,
  detectPackageManager,
  GITIGNORE,
  listTemplates,
  nextSteps,
  runCreate,
  scaffolderVersion,
  validateProjectName,
} from './index.js';

const parent = mkdtempSync(join(tmpdir(), 'create-lllm-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function capture(cwd = parent, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) }, cwd, env },
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

function refused(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(LllmError.isInstance(error)).toBe(true);
    expect(CreateLllmError.isInstance(error)).toBe(true);
    return (error as CreateLllmError).message;
  }
  throw new Error('expected a refusal');
}

describe('createProject', () => {
  it('copies a template with the name replaced, a .gitignore, published @lllm ranges and no source condition', () => {
    const created = createProject({ name: 'weather-bot', template: 'example', parent });
    expect(created.directory).toBe(join(parent, 'weather-bot'));
    expect(created.files).toBeGreaterThan(8);
    const project = created.directory;
    const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('weather-bot');
    for (const dependency of ['@lllm/cli', '@lllm/core', '@lllm/prompts', '@lllm/proxy']) {
      expect(manifest.dependencies[dependency]).toBe(`^${scaffolderVersion()}`);
    }
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    expect(manifest.pnpm.onlyBuiltDependencies).toContain('better-sqlite3');
    expect(readFileSync(join(project, '.gitignore'), 'utf8')).toBe(GITIGNORE);
    for (const ignored of ['node_modules/', 'logs/', '.env', 'dist/']) expect(GITIGNORE.split('\n')).toContain(ignored);
    expect(readFileSync(join(project, 'lllm.toml'), 'utf8')).toContain('# weather-bot: what `lllm` discovers');
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('# weather-bot');
    const tsconfig = readFileSync(join(project, 'tsconfig.json'), 'utf8');
    const vitestConfig = readFileSync(join(project, 'vitest.config.ts'), 'utf8');
    expect(tsconfig).not.toContain('lllm-source');
    expect(JSON.parse(tsconfig).compilerOptions.strict).toBe(true);
    expect(vitestConfig).not.toContain('lllm-source');
    expect(vitestConfig).toContain('inline: [/[\\\\/]@lllm[\\\\/]/]');
    expect(readdirSync(project)).not.toContain('node_modules');
  });

  it('a scoped name makes the folder of its last part', () => {
    const created = createProject({ name: '@team/agents', parent });
    expect(created.directory).toBe(join(parent, 'agents'));
    expect(JSON.parse(readFileSync(join(created.directory, 'package.json'), 'utf8')).name).toBe('@team/agents');
    expect(readFileSync(join(created.directory, 'config/default/default.yaml'), 'utf8')).toContain('name: "@team/agents"');
  });

  it('refuses names npm refuses, unknown templates and existing folders, writing nothing', () => {
    expect(refused(() => createProject({ name: 'My-Agents', parent }))).toBe(
      'Project name "My-Agents" is not a valid npm package name: name can no longer contain capital letters. Try "my-agents".',
    );
    expect(refused(() => createProject({ name: '../escape', parent }))).toContain('"../escape" is not a valid npm package name');
    expect(refused(() => createProject({ name: 'two words', parent }))).toContain('Try "two-words"');
    expect(refused(() => createProject({ name: 'ok', template: '../../etc', parent }))).toBe(
      'Unknown template "../../etc": choose one of example, init_template (--template example).',
    );
    expect(refused(() => createProject({ name: 'weather-bot', parent }))).toContain('weather-bot already exists');
    expect(existsSync(join(parent, 'ok'))).toBe(false);
    expect(existsSync(join(parent, 'My-Agents'))).toBe(false);
    expect(() => validateProjectName('node_modules')).toThrow('not a valid npm package name');
    expect(() => validateProjectName('fine-name.js')).not.toThrow();
  });

  it('refuse folders that cannot be made, promptly and without an internal error', async () => {
    // A dangling link where the project would go: named, not an internal error.
    symlinkSync(join(parent, 'nowhere'), join(parent, 'dangling-bot'));
    expect(refused(() => createProject({ name: 'dangling-bot', parent }))).toContain('already exists (a link to a missing target)');
    // --dir under a file.
    writeFileSync(join(parent, 'plain-file'), 'x');
    expect(refused(() => createProject({ name: 'under-file', parent: join(parent, 'plain-file', 'sub') }))).toContain(
      'is a file, not a folder',
    );
    // --dir on /proc: Node's recursive mkdir spins forever there; this must end at once.
    const started = Date.now();
    const proc = capture();
    expect(await runCreate(['proc-bot', '--dir', '/proc/lllm-create-test/deeper'], proc.io)).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(proc.err()).toContain('Cannot create /proc/lllm-create-test');
    expect(proc.err()).not.toContain('internal error');
    const dangling = capture();
    expect(await runCreate(['dangling-bot'], dangling.io)).toBe(1);
    expect(dangling.err()).not.toContain('internal error');
  });

  it('inside the LLLM repository the @lllm dependencies stay workspace links', () => {
    const inRepo = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'create-lllm-tests');
    mkdirSync(inRepo, { recursive: true });
    const name = `gen-${Date.now().toString(36)}`;
    try {
      const created = createProject({ name, parent: inRepo });
      const manifest = JSON.parse(readFileSync(join(created.directory, 'package.json'), 'utf8'));
      expect(manifest.dependencies['@lllm/core']).toBe('workspace:^');
      expect(manifest.pnpm).toBeUndefined();
      expect(readFileSync(join(created.directory, 'tsconfig.json'), 'utf8')).toContain('lllm-source');
    } finally {
      rmSync(join(inRepo, name), { recursive: true, force: true });
    }
  });
});

describe('package managers and next steps', () => {
  it('detects the package manager from npm_config_user_agent', () => {
    expect(detectPackageManager({ npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v22.23.3 linux x64' })).toBe('pnpm');
    expect(detectPackageManager({ npm_config_user_agent: 'npm/10.9.2 node/v22.23.3 linux x64 workspaces/false' })).toBe('npm');
    expect(detectPackageManager({ npm_config_user_agent: 'yarn/4.5.3 npm/? node/v22.23.3 linux x64' })).toBe('yarn');
    expect(detectPackageManager({ npm_config_user_agent: 'bun/1.2.0 npm/? node/v22 linux x64' })).toBe('bun');
    expect(detectPackageManager({})).toBe('npm');
  });

  it('prints the cd from where the user is, and commands of their package manager', () => {
    const created = { directory: join(parent, 'sub', 'my bot'), name: 'my-bot', template: 'init_template', files: 10 };
    expect(nextSteps(created, { cwd: parent, manager: 'npm', installed: false })).toEqual([
      "cd 'sub/my bot'",
      'npm install',
      'npx lllm doctor',
      'npm test',
      'npx lllm run "What is 2 + 2?"',
    ]);
    expect(nextSteps(created, { cwd: join(parent, 'sub'), manager: 'pnpm', installed: true })).toEqual([
      "cd 'my bot'",
      'pnpm exec lllm doctor',
      'pnpm test',
      'pnpm exec lllm run "What is 2 + 2?"',
    ]);
  });
});

describe('runCreate', () => {
  it('--dir creates inside that folder and the cd hint leads there; yarn lines under yarn', async () => {
    const streams = capture(parent, { npm_config_user_agent: 'yarn/4.5.3 npm/? node/v22.23.3 linux x64' });
    expect(await runCreate(['nested-bot', '--dir', 'deep/er', '-t', 'init_template'], streams.io)).toBe(0);
    expect(existsSync(join(parent, 'deep', 'er', 'nested-bot', 'lllm.toml'))).toBe(true);
    expect(streams.out()).toContain(`Created ${join(parent, 'deep', 'er', 'nested-bot')} from the init_template template`);
    expect(streams.out()).toContain('\n  cd deep/er/nested-bot\n  yarn\n  yarn lllm doctor\n  yarn test\n');
  });

  it('help, version, usage errors (2) and refusals (1), without a terminal never asking', async () => {
    const help = capture();
    expect(await runCreate(['--help'], help.io)).toBe(0);
    expect(help.out()).toContain('Usage: create-lllm [name] [options]');
    for (const template of listTemplates()) expect(help.out()).toContain(template);
    const version = capture();
    expect(await runCreate(['-v'], version.io)).toBe(0);
    expect(version.out()).toBe(`${scaffolderVersion()}\n`);
    const none = capture();
    expect(await runCreate([], none.io)).toBe(2);
    expect(none.err()).toContain('create-lllm needs a project name: create-lllm my-agents');
    const unknown = capture();
    expect(await runCreate(['x', '--colour'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("Unknown option '--colour'");
    const twice = capture();
    expect(await runCreate(['a', 'b'], twice.io)).toBe(2);
    const upper = capture();
    expect(await runCreate(['Upper'], upper.io, { program: 'lllm create' })).toBe(1);
    expect(upper.err()).toBe(
      'lllm create: Project name "Upper" is not a valid npm package name: name can no longer contain capital letters. Try "upper".\n',
    );
  });

  it('--install runs the package manager that ran it in the new project, and reports when it cannot', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'create-lllm-path-'));
    try {
      const missing = capture(parent, { PATH: empty, npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v22.23.3 linux x64' });
      expect(await runCreate(['install-missing', '--install'], missing.io)).toBe(1);
      expect(missing.out()).toContain('Installing with pnpm install…');
      expect(missing.err()).toContain(`create-lllm: Could not start pnpm in ${join(parent, 'install-missing')} (spawn pnpm ENOENT)`);
      // A real pnpm, offline with an empty metadata cache: it fails, and the project stays for a retry.
      const failing = capture(parent, {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v22.23.3 linux x64',
        npm_config_offline: 'true',
        npm_config_cache_dir: empty,
      });
      expect(await runCreate(['install-offline', '--install'], failing.io)).toBe(1);
      expect(failing.err()).toMatch(
        /pnpm install failed in .*install-offline \(exit code 1\); the project is there, rerun the install yourself\./,
      );
      expect(existsSync(join(parent, 'install-offline', 'lllm.toml'))).toBe(true);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});
