import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runLllm as lllm } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const temps: string[] = [];
afterAll(() => {
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

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
