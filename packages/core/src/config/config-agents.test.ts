// An agent system and a tactic make their agents from a config the same way (config-agents.ts): the
// system's limits and the agent's timeouts and tooling; a config that fails part-way releases the
// tooling its earlier agents started.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { MemoryLogStore } from '../log-store.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { buildTactic, defineTactic } from '../tactic/tactic.js';
import { testPrompt } from '../test-prompt.js';
import { buildAgent, defineAgent } from './agent-system.js';
import { registerAgentTooling } from './agent-tooling.js';
import { loadSystemConfig } from './system-config.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function configFrom(yaml: string) {
  const root = mkdtempSync(join(tmpdir(), 'lllm-config-agents-'));
  roots.push(root);
  mkdirSync(join(root, 'config', 'c'), { recursive: true });
  writeFileSync(join(root, 'config', 'c', 'default.yaml'), yaml);
  return loadSystemConfig(join(root, 'config', 'c', 'default.yaml'), { root });
}

function config(agentType: string, agentKeys = '') {
  return configFrom(
    `name: c\nagent_type: ${agentType}\nlog_type: memory\nmax_exception_retry: 7\nmax_interrupt_times: 2\nmax_llm_recall: 1\nagent_configs:\n` +
      `  first:\n    model_name: gpt-4o-mini\n    system_prompt: "One."\n    timeout_ms: 1234\n    temperature: 0.5\n    proxy:\n      activate_proxies: [prices]\n${agentKeys}` +
      '  second:\n    model_name: gpt-4o-mini\n    system_prompt: "Two."\n',
  );
}

const closed: string[] = [];
registerAgentTooling('proxy', ({ agentName }) => ({
  close: async () => {
    closed.push(agentName);
  },
}));
defineAgent({ agentType: 'config-agents-system', agentGroup: ['first', 'second'], run: async () => null });
defineAgent({ agentType: 'config-agents-three', agentGroup: ['first', 'second', 'third'], run: async () => null });
const tactic = defineTactic({
  name: 'config-agents-tactic',
  agents: ['first', 'second'],
  async run(input: string, { agents }) {
    agents.first?.open();
    agents.first?.receive(input);
    return (await agents.first?.respond<string>())?.parsed;
  },
});
const sources = {
  promptLookup: () => testPrompt({ path: 'unused', template: '' }),
  inlinePrompt: (path: string, text: string) => testPrompt({ path, template: text }),
  log: new MemoryLogStore(),
};

describe('agents made from a config', () => {
  it('an agent system and a tactic give their agents the same limits, timeouts and model arguments', async () => {
    const system = await buildAgent(config('config-agents-system'), { ...sources, invokerFor: () => createScriptedInvoker([]) });
    const invoker = createScriptedInvoker([{ content: 'done' }]);
    const built = await buildTactic(config('config-agents-tactic'), { ...sources, tactic, invokerFor: () => invoker });
    const first = system.agents.first;
    expect(first).toMatchObject({ maxExceptionRetry: 7, maxInterruptTimes: 2, maxLlmRecall: 1, modelArgs: { temperature: 0.5 } });
    expect(first?.limits.timeoutMs).toBe(1234);
    await built.call('hi');
    expect(invoker.requests[0]?.modelArgs).toEqual({ temperature: 0.5 });
    expect(invoker.requests[0]?.messages[0]?.content).toBe('One.');
    await system.close();
    await built.close();
  });

  it('a later agent that cannot be made releases the tooling the earlier ones started, in both', async () => {
    const failing = (name: string) => {
      if (name === 'second') throw new ConfigError('no invoker for second');
      return createScriptedInvoker([]);
    };
    closed.length = 0;
    await expect(buildAgent(config('config-agents-system'), { ...sources, invokerFor: failing })).rejects.toThrow('no invoker for second');
    expect(closed).toEqual(['first']);
    closed.length = 0;
    await expect(buildTactic(config('config-agents-tactic'), { ...sources, tactic, invokerFor: failing })).rejects.toThrow(
      'no invoker for second',
    );
    expect(closed).toEqual(['first']);
  });

  it("an agent's own budgets win over the system's, and global budgets reach every agent; none is sent as a model argument", async () => {
    const loaded = configFrom(
      'name: c\nagent_type: config-agents-three\nlog_type: memory\nmax_exception_retry: 7\nmax_interrupt_times: 2\nmax_llm_recall: 1\n' +
        'global:\n  max_llm_recall: 4\n  max_interrupt_steps: 8\nagent_configs:\n' +
        '  first:\n    model_name: gpt-4o-mini\n    system_prompt: "One."\n    temperature: 0.5\n    max_exception_retry: 0\n    max_interrupt_steps: 9\n' +
        '  second:\n    model_name: gpt-4o-mini\n    system_prompt: "Two."\n    max_interrupt_times: 0\n' +
        '  third:\n    model_name: gpt-4o-mini\n    system_prompt: "Three."\n',
    );
    // The agent's own max_interrupt_times wins over global's max_interrupt_steps: one setting, two names.
    expect(loaded.origins?.['agent_configs.second.max_interrupt_steps']).toBeUndefined();
    expect(loaded.origins?.['agent_configs.third.max_interrupt_steps']).toMatch(/\(global\)$/);
    const system = await buildAgent(loaded, { ...sources, invokerFor: () => createScriptedInvoker([]) });
    expect(system.agents.third).toMatchObject({ maxExceptionRetry: 7, maxInterruptTimes: 8, maxLlmRecall: 4 });
    expect(system.agents.first).toMatchObject({
      maxExceptionRetry: 0,
      maxInterruptTimes: 9,
      maxLlmRecall: 4,
      modelArgs: { temperature: 0.5 },
    });
    expect(system.agents.first?.modelArgs).toEqual({ temperature: 0.5 });
    expect(system.agents.second).toMatchObject({ maxExceptionRetry: 7, maxInterruptTimes: 0, maxLlmRecall: 4, modelArgs: {} });
    await system.close();
  });

  it('a budget that is not a whole number, or one budget under both its names, is an error naming the key', () => {
    expect(() => config('config-agents-system', '    max_llm_recall: -1\n')).toThrow(/agent_configs\.first\.max_llm_recall/);
    expect(() => config('config-agents-system', '    max_exception_retry: 1.5\n')).toThrow(/agent_configs\.first\.max_exception_retry/);
    expect(() => config('config-agents-system', '    max_interrupt_times: 3\n    max_interrupt_steps: 4\n')).toThrow(
      'set one of max_interrupt_times and max_interrupt_steps',
    );
  });
});
