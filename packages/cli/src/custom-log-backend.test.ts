// The custom log backend of docs/custom-log-backend.md, copied from the page into a copy of the
// minimal template: `[log_backends]` discovery registers it, `log_options` reach its factory checked by
// its schema, `lllm doctor` reports the log_type and bad options, `lllm run` writes and `lllm replay`
// reads through it. Spawned as real processes from the TypeScript sources. (The registry end-to-end
// suite does the same with the published packages.)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const temps: string[] = [];
afterAll(() => {
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lllm(args: string[], cwd: string): Promise<Result> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !/^(OPENAI_|ANTHROPIC_|LLLM_CONFIG|NO_COLOR|FORCE_COLOR)/.test(key)) env[key] = value;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'bin-source.ts'), ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The page's fenced blocks that name a file (```<lang> <path>). */
function fileBlocks(markdown: string): { path: string; text: string }[] {
  return [...markdown.matchAll(/^```\w+ (\S+)\n([\s\S]*?)^```$/gm)].map((match) => ({ path: match[1] ?? '', text: match[2] ?? '' }));
}

/** A copy of the minimal template inside the repository (so `@lllm/*` and zod resolve to the workspace). */
function projectFromDocs(): { project: string; configFile: string } {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const project = mkdtempSync(join(parent, 'custom-log-'));
  temps.push(project);
  const template = join(repo, 'templates', 'init_template');
  cpSync(template, project, { recursive: true, filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path) });
  symlinkSync(join(template, 'node_modules'), join(project, 'node_modules'), 'dir');
  const [system] = readdirSync(join(project, 'config'));
  const configFile = join(project, 'config', system ?? 'default', 'default.yaml');
  for (const block of fileBlocks(readFileSync(join(repo, 'docs', 'custom-log-backend.md'), 'utf8'))) {
    if (block.path === 'lllm.toml')
      writeFileSync(join(project, 'lllm.toml'), `${readFileSync(join(project, 'lllm.toml'), 'utf8')}\n${block.text}`);
    else if (block.path.startsWith('config/')) {
      const kept = readFileSync(configFile, 'utf8')
        .split('\n')
        .filter((line) => !/^log_(type|options):/.test(line));
      writeFileSync(configFile, `${kept.join('\n')}\n${block.text}`);
    } else {
      mkdirSync(dirname(join(project, block.path)), { recursive: true });
      writeFileSync(join(project, block.path), block.text);
    }
  }
  return { project, configFile };
}

describe('a custom log backend from docs/custom-log-backend.md', () => {
  it('is discovered, gets its checked log_options, and lllm run / replay / doctor use it', async () => {
    const { project, configFile } = projectFromDocs();
    expect(existsSync(join(project, 'log_backends', 'json-folder.ts'))).toBe(true);
    const doctor = await lllm(['doctor'], project);
    expect(doctor.stdout).toContain('log_type json-folder is a registered backend');
    expect(doctor.stdout).toMatch(/\[log_backends\] 1 modules? from/);
    expect(doctor.code).toBe(0);

    const run = await lllm(['run', 'What is 2 + 2?'], project);
    expect(run.code).toBe(0);
    const session = /Session: (\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(run.stdout).toContain('json-folder log');
    const text = readFileSync(join(project, 'logs', 'sessions', `${session}.json`), 'utf8');
    expect(text).toMatch(/^\[\n {2}\{/); // pretty: true came from log_options
    const replay = await lllm(['replay', session], project);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('What is 2 + 2?');

    const good = readFileSync(configFile, 'utf8');
    writeFileSync(configFile, good.replace('pretty: true', 'prety: true'));
    const typo = await lllm(['doctor'], project);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toContain('log_options for log_type "json-folder" has 1 problem');
    expect(typo.stdout).toContain('prety');
    const refused = await lllm(['run', 'What is 2 + 2?'], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('prety');
  }, 120_000);
});
