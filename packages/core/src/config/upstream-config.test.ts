// Configs and project files as the Python LLLM (f810ffb) writes and finds them: its two templates'
// config/<name>/default.yaml keys, the agent_type its example config leaves out, a temperature on a
// reasoning model, and find_config_file's names, template/ rule and LLLM_CONFIG fallback.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { registerModelCard } from '../model-card.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { testPrompt } from '../test-prompt.js';
import { buildAgent, defineAgent } from './agent-system.js';
import { discover } from './discover.js';
import { findLllmToml } from './lllm-toml.js';
import { loadSystemConfig } from './system-config.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-upstream-config-'));
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

function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (ConfigError.isInstance(error)) return error.problems ?? [];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

// A reasoning model whose card refuses temperature, as the OpenAI o-series cards do.
registerModelCard({
  name: 'upstream-test-reasoner',
  provider: 't',
  features: { reasoning: true },
  maxOutputTokens: 100_000,
  argumentRules: { unsupported: ['temperature', 'top_p'] },
});
registerModelCard({ name: 'upstream-test-chat', provider: 't', features: {}, argumentRules: { ranges: { temperature: [0, 2] } } });

// The keys of upstream's example template config (no agent_type, system_type instead), values of the same kinds.
const exampleShaped = (agent: string, model = 'upstream-test-reasoner') => `name: default
log_type: none # localfile
random_seed: 42
activate_proxies: [] # ['fmp','msd']
max_exception_retry: 3
max_interrupt_times: 5
max_query_retry: 5
max_llm_recall: 0
system_type: basic # 'basic'
agent_configs:
  ${agent}:
    model_name: ${model}
    system_prompt_path: ${agent}/system
    temperature: 0.1
    max_completion_tokens: 20000
`;

describe("the Python LLLM's system configs", () => {
  it("load upstream's example template config: each unused key is one note, agent_type is the one registered type that fits, a reasoning model's temperature is left out with a warning", async () => {
    defineAgent({
      agentType: 'upstream-test-vanilla',
      agentGroup: ['upstream_vanilla'],
      async run(task, { agents }) {
        const agent = agents.upstream_vanilla;
        if (!agent) throw new Error('no agent');
        const dialog = agent.initDialog();
        dialog.sendMessage(task);
        return (await agent.call(dialog)).message.content;
      },
    });
    const root = tree({ 'config/system/default.yaml': exampleShaped('upstream_vanilla') });
    const config = loadSystemConfig(join(root, 'config/system/default.yaml'));
    expect(config.agent_type).toBe('upstream-test-vanilla');
    expect(config.max_llm_recall).toBe(0);
    expect(config.log_type).toBe('none');
    expect(config.notes.map((note) => [note.key, note.severity])).toEqual([
      ['random_seed', 'note'],
      ['max_query_retry', 'note'],
      ['system_type', 'note'],
      ['agent_type', 'warning'],
      ['agent_configs.upstream_vanilla.temperature', 'warning'],
    ]);
    const messages = config.notes.map((note) => note.message);
    expect(messages[0]).toBe(
      'random_seed: 42 is not used: the Python LLLM reads it but never sends it to a model; to send a seed, set agent_configs.<agent>.seed.',
    );
    expect(messages[2]).toContain('system_type: "basic" is not used');
    expect(messages[3]).toContain('agent_type: not set; using "upstream-test-vanilla"');
    expect(messages[4]).toBe(
      'agent_configs.upstream_vanilla.temperature: 0.1 is not sent: upstream-test-reasoner is a reasoning model, which samples at temperature 1 only (the Python LLLM sets it to 1; leaving it out is the same). Remove it from the config.',
    );
    for (const message of messages) expect(message).not.toContain('\n');
    expect(config.agent_configs.upstream_vanilla?.temperature).toBeUndefined();
    // What reaches the model: the config's arguments without the temperature the model refuses.
    const invoker = createScriptedInvoker([{ content: 'done', usage: { inputTokens: 5, outputTokens: 5 } }]);
    const system = await buildAgent(config, {
      promptLookup: (path) => testPrompt({ path, template: 'You help.' }),
      invokerFor: () => invoker,
    });
    expect((await system.run('a task')).result).toBe('done');
    expect(invoker.requests[0]?.modelArgs).toEqual({ max_completion_tokens: 20000 });
  });

  it("load upstream's init template config (agent_type and system_type both set, log_dir and ckpt_dir relative)", () => {
    const root = tree({
      'config/port_demo/default.yaml': `# Default configuration for port_demo
name: port_demo
log_type: none  # set to 'localfile' to persist logs
random_seed: 42
log_dir: ./logs
ckpt_dir: ./ckpt
agent_type: upstream-test-init
system_type: basic

agent_configs:
  upstream_init:
    model_name: upstream-test-chat
    system_prompt_path: port_demo/system
    temperature: 0.2
    max_completion_tokens: 2048

activate_proxies: []
max_exception_retry: 3
max_interrupt_times: 5
max_llm_recall: 0
`,
    });
    const config = loadSystemConfig(join(root, 'config/port_demo/default.yaml'));
    expect(config.agent_type).toBe('upstream-test-init');
    expect(config.log_dir).toBe(join(root, 'logs'));
    expect(config.ckpt_dir).toBe(join(root, 'ckpt'));
    // A model that is not a reasoning model keeps its temperature.
    expect(config.agent_configs.upstream_init?.temperature).toBe(0.2);
    expect(config.notes.map((note) => note.key)).toEqual(['random_seed', 'system_type']);
    expect('random_seed' in config).toBe(false);
  });

  it('name project_root as ignored, with the root used instead', () => {
    const root = tree({
      'config/r/default.yaml': `name: r\nproject_root: /somewhere/else\nagent_type: upstream-test-vanilla\nagent_configs:\n  upstream_vanilla:\n    model_name: upstream-test-chat\n    system_prompt_path: v/system\n`,
    });
    const config = loadSystemConfig(join(root, 'config/r/default.yaml'));
    expect(config.notes.map((note) => note.message)).toEqual([
      `project_root: "/somewhere/else" is not used: the Python template's loader overwrites it with its own folder; the project root here is ${root}.`,
    ]);
    expect(config.root).toBe(root);
  });

  it('still refuse keys upstream never had (naming the closest key, upstream keys included) and upstream keys of the wrong kind', () => {
    const root = tree({
      'config/bad/default.yaml': `name: bad\nrandom_sede: 42\nmax_query_retry: many\nsystem_type: [basic]\nagent_type: upstream-test-vanilla\nagent_configs:\n  upstream_vanilla:\n    model_name: upstream-test-chat\n    system_prompt_path: v/system\n`,
    });
    expect(problemsOf(() => loadSystemConfig(join(root, 'config/bad/default.yaml')))).toEqual([
      'max_query_retry: expected a whole number, got "many"',
      'system_type: expected a string, got ["basic"]',
      'unknown key "random_sede" (did you mean "random_seed"?)',
    ]);
  });

  it('without agent_type, refuse when no registered type or several fit, naming them', () => {
    const none = tree({ 'config/n/default.yaml': exampleShaped('upstream_nobody', 'upstream-test-chat') });
    expect(problemsOf(() => loadSystemConfig(join(none, 'config/n/default.yaml')))).toEqual([
      expect.stringMatching(
        /^agent_type: missing: set it to the agent type to run; no registered type has all its agents in agent_configs \(registered: .*"upstream-test-vanilla"/,
      ),
    ]);
    defineAgent({ agentType: 'upstream-test-pair-a', agentGroup: ['upstream_twin'], run: async () => null });
    defineAgent({ agentType: 'upstream-test-pair-b', agentGroup: ['upstream_twin'], run: async () => null });
    const several = tree({ 'config/s/default.yaml': exampleShaped('upstream_twin', 'upstream-test-chat') });
    expect(problemsOf(() => loadSystemConfig(join(several, 'config/s/default.yaml')))).toEqual([
      'agent_type: missing: set it to the agent type to run; several registered types fit agent_configs: "upstream-test-pair-a", "upstream-test-pair-b"',
    ]);
  });

  it('keep refusing a temperature on a model that refuses it but is not a reasoning model', () => {
    registerModelCard({ name: 'upstream-test-strict', provider: 't', features: {}, argumentRules: { unsupported: ['temperature'] } });
    const root = tree({ 'config/t/default.yaml': exampleShaped('upstream_vanilla', 'upstream-test-strict') });
    expect(problemsOf(() => loadSystemConfig(join(root, 'config/t/default.yaml')))).toEqual([
      'agent_configs.upstream_vanilla.temperature: "upstream-test-strict" does not accept temperature; remove it.',
    ]);
  });
});

describe("finding the project file as upstream's find_config_file does", () => {
  it('looks in each folder for lllm.toml, .lllm.toml, LLLM.toml, then the same in template/, before its parent', () => {
    const root = tree({
      'a/.lllm.toml': '',
      'a/LLLM.toml': '',
      'a/template/lllm.toml': '',
      'a/b/template/LLLM.toml': '',
      'a/b/c/d/file.txt': '',
      'lllm.toml': '',
    });
    expect(findLllmToml({ startPath: join(root, 'a/b/c/d'), env: {} })).toBe(join(root, 'a/b/template/LLLM.toml'));
    expect(findLllmToml({ startPath: join(root, 'a/b/c/d/file.txt'), env: {} })).toBe(join(root, 'a/b/template/LLLM.toml'));
    // In one folder: lllm.toml is missing, so .lllm.toml comes before LLLM.toml, and both before template/.
    expect(findLllmToml({ startPath: join(root, 'a'), env: {} })).toBe(join(root, 'a/.lllm.toml'));
    rmSync(join(root, 'a/.lllm.toml'));
    expect(findLllmToml({ startPath: join(root, 'a'), env: {} })).toBe(join(root, 'a/LLLM.toml'));
    rmSync(join(root, 'a/LLLM.toml'));
    expect(findLllmToml({ startPath: join(root, 'a'), env: {} })).toBe(join(root, 'a/template/lllm.toml'));
    // A folder named lllm.toml is not a file.
    mkdirSync(join(root, 'x/lllm.toml'), { recursive: true });
    expect(findLllmToml({ startPath: join(root, 'x'), env: {} })).toBe(join(root, 'lllm.toml'));
  });

  it('skips an LLLM_CONFIG that names nothing, with a warning naming the value, and searches as if it were unset', async () => {
    const root = tree({ 'lllm.toml': '[things]\nfolders = []\n', 'sub/x.txt': '', 'empty/readme.txt': '' });
    const warnings: string[] = [];
    const onWarning = (message: string) => warnings.push(message);
    expect(findLllmToml({ cwd: join(root, 'sub'), env: { LLLM_CONFIG: 'no/such/place' }, onWarning })).toBe(join(root, 'lllm.toml'));
    expect(warnings).toEqual([
      'LLLM_CONFIG is set to "no/such/place", but nothing is there: it is ignored and lllm.toml is searched for as if it were unset (as the Python LLLM does). Point it at an lllm.toml file or the folder holding one, or unset it.',
    ]);
    // A folder without an lllm.toml (upstream reads only <folder>/lllm.toml from LLLM_CONFIG).
    expect(findLllmToml({ cwd: join(root, 'sub'), env: { LLLM_CONFIG: join(root, 'empty') }, onWarning })).toBe(join(root, 'lllm.toml'));
    expect(warnings[1]).toContain(`LLLM_CONFIG is set to "${join(root, 'empty')}", but that folder has no lllm.toml`);
    // discover() reports it among its warnings and still finds the project.
    const report = await discover({ startPath: join(root, 'sub'), cwd: join(root, 'sub'), env: { LLLM_CONFIG: 'no/such/place' } });
    expect(report.config?.file).toBe(join(root, 'lllm.toml'));
    expect(report.warnings.filter((warning) => warning.startsWith('LLLM_CONFIG is set to "no/such/place"'))).toHaveLength(1);
  });
});
