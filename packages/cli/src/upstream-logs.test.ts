import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonSession } from '../../log/src/__fixtures__/upstream-log.js';
import { runLllm as lllm } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const temps: string[] = [];
afterAll(() => {
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

describe('a Python-written log folder', () => {
  it('lllm doctor accepts log_type localfile; lllm replay lists and shows the session', async () => {
    const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
    mkdirSync(parent, { recursive: true });
    const project = mkdtempSync(join(parent, 'upstream-logs-'));
    temps.push(project);
    cpSync(join(repo, 'templates', 'init_template'), project, {
      recursive: true,
      filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
    });
    symlinkSync(join(repo, 'templates', 'init_template', 'node_modules'), join(project, 'node_modules'), 'dir');
    const yaml = join(project, 'config', 'default', 'default.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('log_type: sqlite', 'log_type: localfile'));
    // The Python system's log_dir is the project's logs/ (upstream adds <name>_default/ under it).
    pythonSession(join(project, 'logs'));

    const doctor = await lllm(['doctor'], project);
    expect(doctor.stdout).toContain('log_type localfile is a registered backend');
    const list = await lllm(['replay'], project);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('task_20251127_093000');
    const shown = await lllm(['replay', 'task_20251127_093000'], project);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('How many more people live in Tokyo than in Paris?');
    expect(shown.stdout).toContain('About 12 million.');
    expect(shown.stdout).toContain('And Tokyo alone?');
  }, 60_000);
});
