import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { registerDiscoverySection } from '../discovery-sections.js';
import { ConfigError } from '../errors.js';
import { MemoryLogStore } from '../log-store.js';
import { registerModelCard } from '../model-card.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { safeName } from '../strings.js';
import { testPrompt } from '../test-prompt.js';
import { buildAgent, defineAgent, getAgentType, newSessionName, registerInvokerFactory } from './agent-system.js';
import { discover, moduleFiles } from './discover.js';
import { findLllmToml, readLllmToml } from './lllm-toml.js';
import { loadSystemConfig, resolveSystemConfigPath } from './system-config.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-config-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const seen: { section: string; modulePath: string; names: string[] }[] = [];
beforeEach(() => {
  seen.length = 0;
  registerDiscoverySection('things', (exports, info) => {
    if ('reject' in exports) throw new Error('rejected on purpose');
    seen.push({ section: info.section, modulePath: info.modulePath, names: Object.keys(exports).sort() });
  });
});

describe('finding lllm.toml', () => {
  it('uses $LLLM_CONFIG as a file or a folder, else the start path and its parents, else the working directory', () => {
    const root = tree({ 'lllm.toml': '', 'a/b/c/file.txt': '', 'other/lllm.toml': '' });
    expect(findLllmToml({ startPath: join(root, 'a/b/c'), env: {} })).toBe(join(root, 'lllm.toml'));
    expect(findLllmToml({ startPath: join(root, 'a/b/c/file.txt'), env: {} })).toBe(join(root, 'lllm.toml'));
    expect(findLllmToml({ env: { LLLM_CONFIG: join(root, 'other') } })).toBe(join(root, 'other/lllm.toml'));
    expect(findLllmToml({ env: { LLLM_CONFIG: join(root, 'other/lllm.toml') } })).toBe(join(root, 'other/lllm.toml'));
    expect(findLllmToml({ cwd: join(root, 'a/b'), env: {} })).toBe(join(root, 'lllm.toml'));
    // An LLLM_CONFIG naming nothing is skipped with a warning (upstream-config.test.ts), as the Python LLLM skips it.
    expect(findLllmToml({ cwd: join(root, 'a'), env: { LLLM_CONFIG: join(root, 'missing') } })).toBe(join(root, 'lllm.toml'));
  });

  it('reports a TOML syntax error with the file, line and column', () => {
    const root = tree({ 'lllm.toml': '[prompts]\nfolders = ["a"\nother = 1\n' });
    try {
      readLllmToml(join(root, 'lllm.toml'));
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        new RegExp(`^${join(root, 'lllm.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid TOML`),
      );
    }
  });

  it('rejects folders that are not a list of paths', () => {
    const root = tree({ 'lllm.toml': '[prompts]\nfolders = "prompts"\n' });
    expect(() => readLllmToml(join(root, 'lllm.toml'))).toThrow('prompts.folders: expected an array of folder paths');
  });
});

describe('discover()', () => {
  it('walks folders recursively, skipping _private, index and test files, and hands exports to the section', async () => {
    const root = tree({
      'lllm.toml': '[things]\nfolders = ["things", "more"]\n',
      'things/a/x.mjs': 'export const one = 1;',
      'things/b/x.mjs': 'export const two = 2;',
      'things/_hidden.mjs': 'export const hidden = 1;',
      'things/index.mjs': 'export const index = 1;',
      'things/x.test.mjs': 'export const test = 1;',
      'things/notes.md': '# not a module',
      'more/typed.ts': 'const value: number = 3;\nexport { value };',
    });
    const report = await discover({ startPath: root, env: {} });
    expect(report.ran).toBe(true);
    expect(seen.map((entry) => [entry.modulePath, entry.names])).toEqual([
      ['a/x', ['one']],
      ['b/x', ['two']],
      ['typed', ['value']],
    ]);
    expect(report.sections[0]?.modules).toHaveLength(3);
    expect(report.warnings).toEqual([]);
  });

  it('reports a broken module with its path (a warning, or an error when strict), and a missing folder', async () => {
    const root = tree({
      'lllm.toml': '[things]\nfolders = ["things", "nowhere"]\n',
      'things/good.mjs': 'export const ok = 1;',
      'things/broken.mjs': 'export const = ;',
      'things/rejected.mjs': 'export const reject = true;',
    });
    const report = await discover({ startPath: root, env: {} });
    expect(seen.map((entry) => entry.modulePath)).toEqual(['good']);
    expect(report.sections[0]?.failures.map((failure) => failure.file)).toEqual([
      join(root, 'things/broken.mjs'),
      join(root, 'things/rejected.mjs'),
    ]);
    expect(report.warnings.some((warning) => warning.includes(`skipped ${join(root, 'things/broken.mjs')}: it failed to import`))).toBe(
      true,
    );
    expect(report.warnings.some((warning) => warning.includes('rejected on purpose'))).toBe(true);
    expect(report.warnings.some((warning) => warning.includes('folder nowhere') && warning.includes('does not exist'))).toBe(true);
    await expect(discover({ startPath: root, env: {}, strict: true })).rejects.toThrow(
      `module ${join(root, 'things/broken.mjs')} failed to import`,
    );
  });

  it('is off with LLLM_AUTO_DISCOVER=0|false|no, and says so when there is no lllm.toml', async () => {
    const root = tree({ 'lllm.toml': '[things]\nfolders = ["t"]\n', 't/a.mjs': 'export const a = 1;' });
    for (const value of ['0', 'false', 'NO']) {
      const report = await discover({ startPath: root, env: { LLLM_AUTO_DISCOVER: value } });
      expect(report.disabled).toBe(true);
    }
    expect(seen).toEqual([]);
    const empty = mkdtempSync(join(tmpdir(), 'lllm-empty-'));
    roots.push(empty);
    const none = await discover({ configFile: undefined, startPath: empty, env: {} });
    expect(none.ran).toBe(false);
  });

  it('warns about a section no package handles', async () => {
    const root = tree({ 'lllm.toml': '[widgets]\nfolders = ["w"]\n', 'w/a.mjs': 'export const a = 1;' });
    const report = await discover({ startPath: root, env: {} });
    expect(report.warnings[0]).toContain('no package registered a "widgets" discovery section');
  });

  it('lists module files in a stable order', () => {
    const root = tree({ 'b.ts': '', 'a/z.mts': '', 'a/y.js': '', 'c.d.ts': '' });
    expect(moduleFiles(root).map((file) => file.slice(root.length + 1))).toEqual(['a/y.js', 'a/z.mts', 'b.ts']);
  });
});

describe('system configs', () => {
  const good = `name: research
log_type: memory
agent_type: config-test-solo
agent_configs:
  solver:
    model_name: config-test-model
    system_prompt_path: test/system
    temperature: 0.2
max_interrupt_times: 2
`;

  it('load, fill defaults and resolve directories against the project root', () => {
    const root = tree({ 'config/research/default.yaml': good });
    const config = loadSystemConfig(resolveSystemConfigPath(root));
    expect(config).toMatchObject({
      name: 'research',
      log_type: 'memory',
      max_exception_retry: 3,
      max_interrupt_times: 2,
      activate_proxies: [],
      deploy_mode: false,
    });
    expect(config.cutoff_date).toBeUndefined();
    expect(config.log_dir).toBe(join(root, 'logs'));
    expect(config.agent_configs.solver?.api_type).toBe('completion');
    expect(resolveSystemConfigPath(root, 'research')).toBe(join(root, 'config/research/default.yaml'));
  });

  it('report every problem at once with its key path and the expected type', () => {
    registerModelCard({ name: 'config-test-strict', provider: 't', features: {}, argumentRules: { unsupported: ['temperature'] } });
    const root = tree({
      'config/bad/default.yaml': `name: 3
agent_type: x
max_llm_recall: lots
cutoff_date: 30/06/2024
deploy_mode: sometimes
colour: blue
agent_configs:
  a:
    model_name: config-test-strict
    system_prompt_path: p
    api_type: grpc
  b:
    system_prompt_path: p
`,
    });
    try {
      loadSystemConfig(join(root, 'config/bad/default.yaml'));
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect((error as Error).message).toContain(join(root, 'config/bad/default.yaml'));
      expect(problems).toEqual(
        expect.arrayContaining([
          'name: expected string, got 3',
          'max_llm_recall: expected number, got "lots"',
          'unknown key "colour"',
          'cutoff_date: expected a date such as "2024-06-30"',
          'deploy_mode: expected boolean, got "sometimes"',
          expect.stringMatching(/^agent_configs\.a\.api_type: /),
          'agent_configs.b.model_name: expected string, got nothing',
        ]),
      );
    }
  });

  it('check model arguments against the model card', () => {
    registerModelCard({ name: 'config-test-reasoner', provider: 't', features: {}, argumentRules: { unsupported: ['temperature'] } });
    const root = tree({ 'config/r/default.yaml': good.replace('config-test-model', 'config-test-reasoner') });
    expect(() => loadSystemConfig(join(root, 'config/r/default.yaml'))).toThrow(
      'agent_configs.solver.temperature: "config-test-reasoner" does not accept temperature',
    );
  });

  it('report YAML syntax errors with line and column, and pick or refuse among several configs', () => {
    const root = tree({ 'config/a/default.yaml': 'name: [unclosed\n', 'config/b/default.yaml': good });
    expect(() => loadSystemConfig(join(root, 'config/a/default.yaml'))).toThrow(/invalid YAML:\n- line \d+, column \d+/);
    expect(() => resolveSystemConfigPath(root)).toThrow('Several system configs');
  });
});

describe('agent systems', () => {
  it('build one configured agent per group member and run a task in a safe, named session', async () => {
    defineAgent({
      agentType: 'config-test-solo',
      agentGroup: ['solver'],
      async run(task, context) {
        const agent = context.agents.solver;
        if (!agent) throw new Error('no solver');
        const dialog = agent.initDialog();
        dialog.sendMessage(task, undefined, { keepTopPrompt: true });
        return (await agent.call(dialog)).parsed;
      },
    });
    registerModelCard({ name: 'config-test-model', provider: 't', features: {}, pricing: { input: 1, output: 1 } });
    const root = tree({
      'config/research/default.yaml': `name: research\nlog_type: memory\nagent_type: config-test-solo\nagent_configs:\n  solver:\n    model_name: config-test-model\n    system_prompt_path: test/system\n    temperature: 0.2\n`,
    });
    const config = loadSystemConfig(join(root, 'config/research/default.yaml'));
    const invoker = createScriptedInvoker([{ content: 'answer', usage: { inputTokens: 10, outputTokens: 10 } }]);
    registerInvokerFactory('completion', () => invoker);
    const system = await buildAgent(config, { promptLookup: (path) => testPrompt({ path, template: 'You solve.' }) });
    const run = await system.run('What is 2 + 2? Also: ../../etc/passwd');
    expect(run.result).toBe('answer');
    expect(run.session).toMatch(/^research-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(run.cost.totalUsd).toBe(0.00002);
    expect(invoker.requests[0]?.modelArgs).toEqual({ temperature: 0.2 });
    const logged = await system.log.read('messages', run.session);
    expect(logged.length).toBe(3);
    expect(newSessionName('x', '../../etc/passwd')).toBe('etc-passwd');
    expect(() => getAgentType('config-test-sol')).toThrow('Did you mean "config-test-solo"');
  });

  it('make session names that never repeat in a process, thousands a second, and keep given names safe', () => {
    const names = Array.from({ length: 5_000 }, () => newSessionName('Batch Run'));
    expect(new Set(names).size).toBe(5_000);
    for (const name of names) expect(name).toMatch(/^batch-run-\d{8}-\d{6}-[0-9a-f]{4}$/);
    // Safe names come back as given; anything else is cleaned the same way as before.
    for (const [given, safe] of [
      ['run-7_b', 'run-7_b'],
      ['_x', '_x'],
      ['a--b', 'a-b'],
      ['-lead', 'lead'],
      ['Ünïcode Name', 'u-ni-code-name'],
      ['x'.repeat(70), 'x'.repeat(64)],
      ['..', 'session'],
    ] as const) {
      expect(safeName(given)).toBe(safe);
      expect(safeName(safeName(given))).toBe(safe);
    }
  });

  it('keep a paid result when the log cannot be written at the end of the run, saying why', async () => {
    defineAgent({
      agentType: 'config-test-log-fails',
      agentGroup: ['solver'],
      async run(task, context) {
        const agent = context.agents.solver;
        if (!agent) throw new Error('no solver');
        const dialog = agent.initDialog();
        dialog.sendMessage(task, undefined, { keepTopPrompt: true });
        return (await agent.call(dialog)).parsed;
      },
    });
    registerModelCard({ name: 'config-test-model', provider: 't', features: {}, pricing: { input: 1, output: 1 } });
    const root = tree({
      'config/l/default.yaml': `name: l\nlog_type: memory\nagent_type: config-test-log-fails\nagent_configs:\n  solver:\n    model_name: config-test-model\n    system_prompt_path: test/system\n`,
    });
    const config = loadSystemConfig(join(root, 'config/l/default.yaml'));
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const log = new (class extends MemoryLogStore {
      override async flush(): Promise<void> {
        throw diskFull;
      }
    })();
    const system = await buildAgent(config, {
      promptLookup: (path) => testPrompt({ path, template: 'You solve.' }),
      log,
      invokerFor: () => createScriptedInvoker([{ content: 'paid answer', usage: { inputTokens: 10, outputTokens: 10 } }]),
    });
    const run = await system.run('task');
    expect(run.result).toBe('paid answer');
    expect(run.cost.totalUsd).toBe(0.00002);
    expect(run.logError).toBe(diskFull);
  });

  it('name the missing agent configs and the missing invoker', async () => {
    defineAgent({ agentType: 'config-test-pair', agentGroup: ['planner', 'writer'], run: async () => null });
    const root = tree({
      'config/p/default.yaml': `name: p\nlog_type: none\nagent_type: config-test-pair\nagent_configs:\n  planner:\n    model_name: m\n    system_prompt_path: s\n    api_type: anthropic\n`,
    });
    const config = loadSystemConfig(join(root, 'config/p/default.yaml'));
    await expect(buildAgent(config, { promptLookup: () => testPrompt() })).rejects.toThrow('needs agent_configs for "writer"');
  });
});
