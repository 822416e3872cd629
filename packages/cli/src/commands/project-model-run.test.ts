// `lllm run` on examples/project-model: a tactic (config desk-round) whose agents get skills, a
// context budget and the API interpreter from their configs as an agent system's agents do — the
// editor loads the haiku skill, its revision request is trimmed to the window (a context-trim in
// the log), the analyst's run_python reaches the prices proxy from a real Jupyter kernel. And an
// agent type and a proxy of the style-kit dependency by reference (style:polish, style:rhymes).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyExample, runLllm as lllm } from '../test-cli.js';

const temps: string[] = [];
afterAll(() => {
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

/** A copy of the example, removed after the file's tests. */
function exampleCopy(): string {
  const folder = copyExample('project-model', 'tactic-tooling-');
  temps.push(folder);
  return folder;
}

describe('lllm run <tactic>: agent tooling from the config', () => {
  it('skills, the context budget and the API interpreter reach the tactic’s agents', async () => {
    const project = exampleCopy();
    const run = await lllm(['run', '--json', '--config', 'desk-round', 'the harbour'], project);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as {
      status: string;
      session: string;
      result: { skillsLoaded: string[]; revised: string; toolResults: string[] };
    };
    expect(document.status).toBe('completed');
    expect(document.result.skillsLoaded).toEqual(['haiku']);
    expect(document.result.revised).toBe('(scripted) the harbour at dawn');
    // Three days exist; the one after the 2024-06-30 cutoff is withheld by the proxy bridge.
    expect(document.result.toolResults).toEqual(['run_python: 11\n']);
    const replay = await lllm(['replay', '--json', document.session], project);
    expect(replay.code, replay.stderr).toBe(0);
    const trims = (JSON.parse(replay.stdout) as { frontend: { type?: string; agent?: string; strategy?: string }[] }).frontend.filter(
      (event) => event.type === 'context-trim',
    );
    expect(trims.length).toBeGreaterThan(0);
    expect(trims[0]).toMatchObject({ agent: 'editor', strategy: 'drop_oldest' });
  }, 180_000);
});

describe('lllm run with an agent type and a proxy of a dependency (style:polish, style:rhymes)', () => {
  it('loads the package when the config names it and runs its agent type with its proxy through run_python', async () => {
    const project = exampleCopy();
    const run = await lllm(['run', '--json', '--config', 'polish', 'by the sea'], project);
    expect(run.code, run.stderr).toBe(0);
    const document = JSON.parse(run.stdout) as { status: string; system: string; result: { line: string; toolResults: string[] } };
    expect(document.status).toBe('completed');
    expect(document.result.line).toBe('(scripted) by the sea, as calm as tea');
    expect(document.result.toolResults).toEqual(['run_python: tea, key, free\n']);
  }, 180_000);

  it('a name the package does not define fails naming the package, what it defines and the fix', async () => {
    const project = exampleCopy();
    writeFileSync(
      join(project, 'config', 'polish', 'default.yaml'),
      'base: default\nname: polish\nagent_type: style:polsh\nagent_configs:\n  editor:\n    proxy:\n      activate_proxies: [style:rhymes]\n',
    );
    const typo = await lllm(['run', '--config', 'polish', 'by the sea'], project);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(
      /agent_type: package "style-kit" 1\.0\.0 \(.*vendor\/style-kit\) defines no agent type "polsh"\. It defines: "style:polish"\. Did you mean "style:polish"\? Fix the reference/,
    );
    writeFileSync(
      join(project, 'config', 'polish', 'default.yaml'),
      'base: default\nname: polish\nagent_type: style:polish\nagent_configs:\n  editor:\n    proxy:\n      activate_proxies: [style:rhyme]\n',
    );
    const proxy = await lllm(['run', '--config', 'polish', 'by the sea'], project);
    expect(proxy.code).not.toBe(0);
    expect(proxy.stderr).toMatch(
      /agent_configs\.editor\.proxy\.activate_proxies: package "style-kit" .* defines no proxy "rhyme"\. It defines: "style:rhymes"/,
    );
  }, 60_000);
});
