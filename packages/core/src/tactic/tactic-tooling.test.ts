// A tactic's agents get what an agent system's agents get from their configs: `skills:` (a catalog
// after the system prompt and activate_skill), a `context_manager:` that trims each request, and
// every registered tooling key — built by buildTactic, released by Tactic.close().
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerAgentTooling } from '../config/agent-tooling.js';
import { loadSystemConfig } from '../config/system-config.js';
import { ConfigError } from '../errors.js';
import { MemoryLogStore } from '../log-store.js';
import { registerModelCard } from '../model-card.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { loadSkills } from '../skills/skill.js';
import { testPrompt } from '../test-prompt.js';
import { buildTactic, defineTactic } from './tactic.js';

registerModelCard({ name: 'tactic-tooling-model', provider: 'test', features: {}, contextWindow: 1_000, pricing: { input: 1, output: 2 } });

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');

// Skills are process-wide (read from [skills] at discovery): one folder for the file.
const skillsRoot = mkdtempSync(join(tmpdir(), 'lllm-tactic-skills-'));
roots.push(skillsRoot);
mkdirSync(join(skillsRoot, 'limerick'), { recursive: true });
writeFileSync(
  join(skillsRoot, 'limerick', 'SKILL.md'),
  '---\nname: limerick\ndescription: Write a limerick (five lines, AABBA).\n---\nLIMERICK RULES: five lines, rhyme AABBA.\n',
);
loadSkills([skillsRoot]);

function project(agentYaml: string) {
  const root = mkdtempSync(join(tmpdir(), 'lllm-tactic-tooling-'));
  roots.push(root);
  mkdirSync(join(root, 'config', 't'), { recursive: true });
  writeFileSync(
    join(root, 'config', 't', 'default.yaml'),
    `name: t\nagent_type: tooling-tactic\nlog_type: memory\nagent_configs:\n${agentYaml}`,
  );
  return loadSystemConfig(join(root, 'config', 't', 'default.yaml'), { root });
}

const tactic = defineTactic({
  name: 'tooling-tactic',
  agents: ['poet'],
  async run(topic: string, { agents }) {
    const poet = agents.poet;
    if (!poet) throw new Error('no poet');
    poet.open();
    poet.receive(`${words(400)} Write about ${topic}.`);
    const first = await poet.respond<string>();
    poet.receive(`${words(300)} Now a shorter one.`);
    const second = await poet.respond<string>();
    return [first.parsed, second.parsed];
  },
});

describe('buildTactic: agent tooling and context budgets', () => {
  it('gives a tactic agent its skills and a context manager from the config', async () => {
    const config = project(
      '  poet:\n    model_name: tactic-tooling-model\n    system_prompt: "You write poems."\n    skills: [limerick]\n    context_manager:\n      strategy: drop_oldest\n      reserve_output_tokens: 200\n      keep_last_turns: 1\n',
    );
    const invoker = createScriptedInvoker([
      { toolCalls: [{ name: 'activate_skill', arguments: { name: 'limerick' } }] },
      { content: 'There once was a sea' },
      { content: 'A sea' },
    ]);
    const log = new MemoryLogStore();
    const built = await buildTactic(config, {
      tactic,
      promptLookup: () => testPrompt({ path: 'unused', template: '' }),
      inlinePrompt: (path, text) => testPrompt({ path, template: text }),
      invokerFor: () => invoker,
      log,
    });
    const run = await built.call('the sea', { session: 'tooling-1' });
    expect(run.result).toEqual(['There once was a sea', 'A sea']);
    // The skill catalog follows the system prompt and activate_skill is offered on every request.
    const system = invoker.requests[0]?.messages[0]?.content ?? '';
    expect(system.startsWith('You write poems.')).toBe(true);
    expect(system).toContain('<skill name="limerick">');
    expect(invoker.requests.every((request) => request.tools.some((tool) => tool.name === 'activate_skill'))).toBe(true);
    // The skill's instructions came back as the tool's result.
    expect(invoker.requests[1]?.messages.some((message) => message.content.includes('LIMERICK RULES'))).toBe(true);
    // The third request would pass the 1,000-token window less the 200 reserved: the first turn is left out of it.
    const third = invoker.requests[2]?.messages ?? [];
    expect(third.some((message) => message.content.includes('Write about the sea'))).toBe(false);
    expect(third.at(-1)?.content).toMatch(/Now a shorter one\.$/);
    expect(invoker.requests[1]?.messages.some((message) => message.content.includes('Write about the sea'))).toBe(true);
    await log.flush();
    const trims = (await log.read('frontend', 'tooling-1')).filter((entry) => entry.data.type === 'context-trim');
    expect(trims.length).toBeGreaterThan(0);
    expect(trims[0]?.data).toMatchObject({ agent: 'poet', strategy: 'drop_oldest' });
  });

  it('serves registered tooling keys (proxy:) with the host services, and releases them on close', async () => {
    const closed: string[] = [];
    registerAgentTooling('proxy', ({ agentName, services }) => ({
      promptAddendum: `\nAPIS FOR ${agentName} (${String(services.label)})`,
      tools: [
        {
          name: 'query_api_doc',
          description: 'Docs.',
          parameters: { type: 'object', properties: {} },
          linked: true,
          execute: () => 'docs',
        },
      ],
      close: async () => {
        closed.push(agentName);
      },
    }));
    const config = project(
      '  poet:\n    model_name: tactic-tooling-model\n    system_prompt: "You write poems."\n    proxy:\n      activate_proxies: [prices]\n',
    );
    const invoker = createScriptedInvoker([{ content: 'one' }, { content: 'two' }]);
    const built = await buildTactic(config, {
      tactic,
      promptLookup: () => testPrompt({ path: 'unused', template: '' }),
      inlinePrompt: (path, text) => testPrompt({ path, template: text }),
      invokerFor: () => invoker,
      services: { label: 'host services' },
    });
    await built.call('x');
    expect(invoker.requests[0]?.messages[0]?.content).toContain('APIS FOR poet (host services)');
    expect(invoker.requests[0]?.tools.map((tool) => tool.name)).toContain('query_api_doc');
    expect(closed).toEqual([]);
    await built.close();
    await built.close();
    expect(closed).toEqual(['poet']);
  });

  it('a context_manager without a context window is a ConfigError naming the agent and the fix', async () => {
    const config = project(
      '  poet:\n    model_name: no-card-model\n    system_prompt: "You write poems."\n    context_manager:\n      strategy: fail\n',
    );
    const attempt = buildTactic(config, {
      tactic,
      promptLookup: () => testPrompt({ path: 'unused', template: '' }),
      inlinePrompt: (path, text) => testPrompt({ path, template: text }),
      invokerFor: () => createScriptedInvoker([]),
    });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/agent_configs\.poet\.context_manager: model "no-card-model" has no model card .*context_window/);
  });
});
