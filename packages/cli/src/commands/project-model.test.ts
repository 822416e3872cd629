import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { copyExample, runLllm as lllm } from '../test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const _repo = join(here, '..', '..', '..', '..');
// Each test spawns lllm one or more times (a few seconds each on a loaded machine): bounds of a minute.
const temps: string[] = [];
afterAll(() => {
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the example, removed after the file's tests. */
function exampleCopy(): string {
  const folder = copyExample('project-model', 'project-model-');
  temps.push(folder);
  return folder;
}

describe('the project model through lllm', () => {
  const project = exampleCopy();

  it('config show prints the resolved config and where each value came from', async () => {
    const shown = await lllm(['config', 'show'], project);
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('project-model: config/default/default.yaml → vendor/style-kit/config/base/default.yaml');
    expect(shown.stdout).toMatch(/agent_configs\.editor\.temperature +0\.4 +← config\/default\/default\.yaml \(global\)/);
    expect(shown.stdout).toMatch(
      /agent_configs\.editor\.system_prompt_path +"style-kit:system\/editor" +← vendor\/style-kit\/config\/base\/default\.yaml/,
    );
    expect(shown.stdout).toMatch(/max_interrupt_times +5 +← default/);
    expect(shown.stdout).not.toContain('agent_configs.editor.max_completion_tokens');
    const json = JSON.parse((await lllm(['config', 'show', '--json'], project)).stdout) as {
      values: { key: string; value: unknown; origin: string }[];
    };
    expect(json.values.find((value) => value.key === 'agent_configs.critic.temperature')).toEqual({
      key: 'agent_configs.critic.temperature',
      value: 0,
      origin: 'config/default/default.yaml',
    });
  }, 60_000);

  it('doctor reports the inheritance, the inline prompt and the dependency prompt', async () => {
    const doctor = await lllm(['doctor', '--json'], project);
    const report = JSON.parse(doctor.stdout) as { checks: { check: string; status: string; message: string }[] };
    const messages = report.checks.map((check) => `${check.status} ${check.message}`);
    expect(messages.some((message) => /^ok inherits from .*vendor\/style-kit\/config\/base\/default\.yaml/.test(message))).toBe(true);
    expect(messages).toContain('ok agent critic: gpt-4o-mini via completion, system prompt (inline)');
    expect(messages).toContain('ok agent editor: gpt-4o-mini via completion, system prompt style-kit:system/editor');
    expect(messages).toContain('ok dependencies: style-kit 1.0.0');
    expect(messages).toContain('ok skills: haiku');
  }, 60_000);

  it('pkg list, export, install and remove', async () => {
    const list = await lllm(['pkg', 'list'], project);
    expect(list.stdout).toContain('project-model-example 0.1.0');
    expect(list.stdout).toMatch(/style-kit 1\.0\.0 +folder:\.\/vendor\/style-kit +as style +← project-model-example/);
    const exported = JSON.parse((await lllm(['pkg', 'export', '--json'], project)).stdout) as { file: string; files: string[] };
    expect(exported.file).toBe(join(project, 'project-model-example-0.1.0.tgz'));
    expect(exported.files).toEqual(
      expect.arrayContaining([
        'lllm.toml',
        'agents/review-desk.ts',
        'config/default/default.yaml',
        'prompts/tasks.ts',
        'skills/haiku/SKILL.md',
      ]),
    );
    expect(exported.files.some((file) => file.startsWith('src/'))).toBe(false);

    const other = mkdtempSync(join(dirname(project), 'consumer-'));
    temps.push(other);
    writeFileSync(join(other, 'lllm.toml'), '# a consumer\n[package]\nname = "consumer"\n');
    const install = await lllm(['pkg', 'install', exported.file, '--as', 'pm'], other);
    expect(install.code).toBe(0);
    expect(readFileSync(join(other, 'lllm.toml'), 'utf8')).toContain('# a consumer');
    const listed = await lllm(['pkg', 'list', '--json'], other);
    const packages = (JSON.parse(listed.stdout) as { packages: { name: string; aliases: string[] }[] }).packages;
    expect(packages.map((pkg) => [pkg.name, pkg.aliases])).toEqual([
      ['project-model-example', ['pm']],
      ['style-kit', ['style']],
    ]);
    expect(existsSync(join(other, '.lllm', 'packages', 'project-model-example-0.1.0', 'skills', 'haiku', 'SKILL.md'))).toBe(true);
    const missing = await lllm(['pkg', 'install', './nowhere'], other);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('does not exist');
    expect((await lllm(['pkg', 'remove', 'pm'], other)).code).toBe(0);
    expect(readFileSync(join(other, 'lllm.toml'), 'utf8')).toContain('packages = []');
  }, 60_000);

  it('run, offline, lets the editor load the haiku skill', async () => {
    const run = await lllm(['run', '--json', 'a lighthouse'], project);
    const document = JSON.parse(run.stdout) as { status: string; scripted: boolean; result: { skillsLoaded: string[]; poem: string } };
    expect(document.status).toBe('completed');
    expect(document.scripted).toBe(true);
    expect(document.result.skillsLoaded).toEqual(['haiku']);
  }, 60_000);

  it('run with the API interpreter: run_python calls the proxy from a Jupyter kernel, with the cutoff applied', async () => {
    const run = await lllm(['run', '--json', '--config', 'analyst', 'What was the highest close?'], project);
    const document = JSON.parse(run.stdout) as { status: string; result: { toolResults: string[] } };
    expect(document.status).toBe('completed');
    // Three days exist; the one after 2024-06-30 is withheld.
    expect(document.result.toolResults).toEqual(['run_python: 2 11\n']);
  }, 180_000);
});
