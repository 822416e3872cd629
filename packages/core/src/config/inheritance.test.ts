import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { MemoryLogStore } from '../log-store.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { testPrompt } from '../test-prompt.js';
import { buildAgent, defineAgent } from './agent-system.js';
import { resolveConfigFile } from './inheritance.js';
import { deepMerge } from './merge.js';
import { loadSystemConfig } from './system-config.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-inherit-'));
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

describe('deepMerge', () => {
  it('merges maps, replaces lists and scalars, and deletes on null', () => {
    const origins: Record<string, string> = {};
    const base = deepMerge({}, { a: { x: 1, y: 2 }, list: [1, 2], gone: { deep: true }, keep: 's' }, { origins, origin: 'base' });
    const merged = deepMerge(base, { a: { y: 3, z: null }, list: [9], gone: null }, { origins, origin: 'child' });
    expect(merged).toEqual({ a: { x: 1, y: 3 }, list: [9], keep: 's' });
    expect(origins).toEqual({ 'a.x': 'base', 'a.y': 'child', list: 'child', keep: 'base' });
    expect(base).toEqual({ a: { x: 1, y: 2 }, list: [1, 2], gone: { deep: true }, keep: 's' });
  });
});

const BASE = `name: base
agent_type: solo
log_type: none
activate_proxies: [a, b]
global:
  model_name: gpt-4o-mini
  temperature: 0.2
  max_completion_tokens: 500
agent_configs:
  writer:
    system_prompt_path: sys/writer
    seed: 7
`;

describe('config inheritance', () => {
  it('merges a child over its base by name, applies global under every agent, and records where each value came from', () => {
    const root = tree({
      'config/base/default.yaml': BASE,
      'config/pro/default.yaml': `base: base
name: pro
activate_proxies: [c]
global:
  temperature: 0.5
agent_configs:
  - name: writer
    model_args: { max_completion_tokens: 900 }
    seed: null
  - name: critic
    system_prompt: "You judge {topic}."
    max_completion_tokens: null
`,
    });
    const config = loadSystemConfig(join(root, 'config/pro/default.yaml'), { root });
    expect(config.name).toBe('pro');
    expect(config.activate_proxies).toEqual(['c']);
    expect(config.agent_configs.writer).toMatchObject({
      model_name: 'gpt-4o-mini',
      system_prompt_path: 'sys/writer',
      temperature: 0.5,
      max_completion_tokens: 900,
    });
    expect(config.agent_configs.writer?.seed).toBeUndefined();
    expect(config.agent_configs.critic).toMatchObject({ model_name: 'gpt-4o-mini', system_prompt: 'You judge {topic}.', temperature: 0.5 });
    expect(config.chain).toEqual([join(root, 'config/pro/default.yaml'), join(root, 'config/base/default.yaml')]);
    expect(config.origins).toMatchObject({
      name: 'config/pro/default.yaml',
      agent_type: 'config/base/default.yaml',
      'agent_configs.writer.system_prompt_path': 'config/base/default.yaml',
      'agent_configs.writer.model_name': 'config/base/default.yaml (global)',
      'agent_configs.writer.temperature': 'config/pro/default.yaml (global)',
      'agent_configs.writer.max_completion_tokens': 'config/pro/default.yaml',
      'agent_configs.critic.system_prompt': 'config/pro/default.yaml',
    });
    expect(config.origins?.['agent_configs.writer.seed']).toBeUndefined();
    // null deletes a global default for one agent only.
    expect(config.agent_configs.critic?.max_completion_tokens).toBeUndefined();
    expect(config.origins?.['agent_configs.critic.max_completion_tokens']).toBeUndefined();
  });

  it('follows a base given as a relative path, and names every file of a cycle', () => {
    const root = tree({
      'config/a/default.yaml': 'base: ../b/default.yaml\nname: a\n',
      'config/b/default.yaml': 'base: c\nname: b\n',
      'config/c/default.yaml': 'base: a\nname: c\n',
    });
    const error = (() => {
      try {
        resolveConfigFile(join(root, 'config/a/default.yaml'), { root });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      'config/a/default.yaml → config/b/default.yaml → config/c/default.yaml → config/a/default.yaml',
    );
  });

  it('reports a missing base with the path it tried, and a problem in a base with the file that set it', () => {
    const root = tree({
      'config/lost/default.yaml': 'base: nowhere\nname: lost\n',
      'config/base/default.yaml': BASE.replace('temperature: 0.2', 'temperature: hot'),
      'config/child/default.yaml': 'base: base\nname: child\n',
      'config/dup/default.yaml':
        'name: d\nagent_type: solo\nagent_configs:\n  - name: x\n    model_name: m\n  - name: x\n    model_name: m\n',
    });
    expect(() => loadSystemConfig(join(root, 'config/lost/default.yaml'), { root })).toThrow(
      /config\/nowhere\/default\.yaml, which does not exist/,
    );
    expect(() => loadSystemConfig(join(root, 'config/child/default.yaml'), { root })).toThrow(
      /agent_configs\.writer\.temperature: expected number, got "hot" \(set in config\/base\/default\.yaml \(global\)\)/,
    );
    expect(() => loadSystemConfig(join(root, 'config/dup/default.yaml'), { root })).toThrow(/a second agent named "x"/);
  });

  it('rejects an agent with both or neither of system_prompt and system_prompt_path', () => {
    const root = tree({
      'config/both/default.yaml':
        'name: b\nagent_type: solo\nagent_configs:\n  w: { model_name: m, system_prompt: hi, system_prompt_path: p }\n',
    });
    expect(() => loadSystemConfig(join(root, 'config/both/default.yaml'), { root })).toThrow(/set exactly one of system_prompt_path/);
  });

  it('runs an agent whose system prompt is inline', async () => {
    const root = tree({
      'config/inline/default.yaml':
        'name: i\nagent_type: h14-inline\nlog_type: none\nagent_configs:\n  - name: solo\n    model_name: m\n    system_prompt: "You are terse."\n',
    });
    defineAgent({
      agentType: 'h14-inline',
      agentGroup: ['solo'],
      async run(task, context) {
        const agent = context.agents.solo;
        if (!agent) throw new Error('no agent');
        const dialog = agent.initDialog();
        dialog.sendMessage(testPrompt({ template: task }));
        return { system: dialog.system?.content, reply: (await agent.call(dialog)).message.content };
      },
    });
    const config = loadSystemConfig(join(root, 'config/inline/default.yaml'), { root });
    const invoker = createScriptedInvoker([{ content: 'ok' }]);
    const system = await buildAgent(config, {
      promptLookup: () => {
        throw new Error('no lookup for inline prompts');
      },
      invokerFor: () => invoker,
      log: new MemoryLogStore(),
    });
    const run = await system.run('hello');
    expect(run.result).toEqual({ system: 'You are terse.', reply: 'ok' });
  });
});
