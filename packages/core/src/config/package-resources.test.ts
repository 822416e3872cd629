// `package:name` references to a dependency's agent types, tactics and other registered resources
// (proxies register their kind from @lllm/proxy): loaded lazily, resolved to the registered name,
// and refused with the package and the fix when the package does not define the name.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDiscoverySection } from '../discovery-sections.js';
import { ConfigError, NotFoundError } from '../errors.js';
import { MemoryLogStore } from '../log-store.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { buildTactic, registerTacticDiscovery } from '../tactic/tactic.js';
import { testPrompt } from '../test-prompt.js';
import { buildAgent, getAgentType, registerAgentDiscovery } from './agent-system.js';
import { discover } from './discover.js';
import { loadSystemPackages, packageResourceName } from './package-resources.js';
import { isPackageLoaded, packageResources, registerPackageResourceKind } from './packages.js';
import { loadSystemConfig } from './system-config.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-package-resources-'));
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

// A resource kind of another package (as @lllm/proxy registers `proxy`): widgets, by name.
const widgets = new Set<string>();
registerDiscoverySection('widgets', (exports) => {
  for (const value of Object.values(exports)) if (typeof value === 'string') widgets.add(value);
});
registerPackageResourceKind('widget', () => widgets);
registerAgentDiscovery();
registerTacticDiscovery();

const AGENT_MODULE = `export const desk = {
  agentType: 'pr_desk',
  agentGroup: ['writer'],
  async run(task, { agents }) {
    const dialog = agents.writer.initDialog();
    dialog.sendMessage('Task: ' + task);
    return (await agents.writer.call(dialog)).message.content;
  },
};
export const shout = { name: 'pr_shout', agents: ['writer'], async run(input) { return String(input).toUpperCase(); } };
`;

// The project's own tactic, calling the package's as a sub-tactic named by string.
const TACTIC_MODULE = `export const loud = {
  name: 'pr_loud',
  agents: [],
  tactics: { shout: 'k:pr_shout' },
  async run(input, { tactics }) { return (await tactics.shout.call(input)) + '!'; },
};
`;

// One project for the file: a second copy's modules would define the same agent types again.
let made: string | undefined;
function project() {
  made ??= tree({
    'lllm.toml': '[package]\nname = "app"\n\n[tactics]\npaths = ["./tactics"]\n\n[dependencies]\npackages = ["./vendor/kit as k"]\n',
    'tactics/loud.mjs': TACTIC_MODULE,
    'vendor/kit/lllm.toml':
      '[package]\nname = "kit"\nversion = "1.4.0"\n\n[agents]\npaths = ["./agents"]\n\n[widgets]\npaths = ["./widgets"]\n',
    'vendor/kit/agents/desk.mjs': AGENT_MODULE,
    'vendor/kit/widgets/w.mjs': "export const first = 'gear'; export const second = 'cog';",
    'config/desk/default.yaml':
      'name: desk\nagent_type: k:pr_desk\nagent_configs:\n  writer:\n    model_name: gpt-4o-mini\n    system_prompt: "You write."\n',
    'config/typo/default.yaml':
      'name: typo\nagent_type: kit:pr_dsek\nagent_configs:\n  writer:\n    model_name: gpt-4o-mini\n    system_prompt: "You write."\n',
    'config/nopkg/default.yaml':
      'name: nopkg\nagent_type: kitt:pr_desk\nagent_configs:\n  writer:\n    model_name: gpt-4o-mini\n    system_prompt: "You write."\n',
    'config/loud/default.yaml':
      'name: loud\nagent_type: pr_loud\nagent_configs:\n  writer:\n    model_name: gpt-4o-mini\n    system_prompt: "You write."\n',
    'config/shout/default.yaml':
      'name: shout\nagent_type: kit:pr_shout\nagent_configs:\n  writer:\n    model_name: gpt-4o-mini\n    system_prompt: "You write."\n',
  });
  return made;
}

const sources = {
  promptLookup: () => testPrompt({ path: 'unused', template: '' }),
  inlinePrompt: (path: string, text: string) => testPrompt({ path, template: text }),
};

describe('package:name references to agent types, tactics and other resources', () => {
  it('load the package lazily and resolve to what its modules registered', async () => {
    const root = project();
    await discover({ configFile: join(root, 'lllm.toml'), env: {} });
    expect(isPackageLoaded('kit')).toBe(false);
    // Not loaded yet: a clear error saying how to load it.
    expect(() => getAgentType('k:pr_desk')).toThrow(ConfigError);
    expect(() => getAgentType('k:pr_desk')).toThrow(/names package "kit", whose modules are not loaded yet.*loadPackageReferences/);

    const config = loadSystemConfig(join(root, 'config/desk/default.yaml'), { root });
    const system = await buildAgent(config, {
      ...sources,
      log: new MemoryLogStore(),
      invokerFor: () => createScriptedInvoker([{ content: 'written' }]),
    });
    expect(isPackageLoaded('kit')).toBe(true);
    expect(system.definition.agentType).toBe('pr_desk');
    expect((await system.run('a poem')).result).toBe('written');
    // By its name or alias; plain names are unchanged.
    expect(getAgentType('kit:pr_desk')).toBe(getAgentType('pr_desk'));
    expect(packageResourceName('k:gear', 'widget')).toBe('gear');
    expect(packageResources('kit', 'widget')).toEqual(['gear', 'cog']);
    expect(packageResources('kit', 'agent_type')).toEqual(['pr_desk', 'pr_shout']);
    expect(packageResources('kit', 'tactic')).toEqual(['pr_shout']);

    // A tactic of the package, by agent_type.
    const tactic = await buildTactic(loadSystemConfig(join(root, 'config/shout/default.yaml'), { root }), {
      ...sources,
      invokerFor: () => createScriptedInvoker([]),
      log: new MemoryLogStore(),
    });
    expect((await tactic.call('quiet')).result).toBe('QUIET');
  });

  it("load the package of a sub-tactic named by string ('k:pr_shout') when the tactic is built", async () => {
    // Discovered (and the package loaded) by the first test: a second discover() of the same tree in
    // one process would not import the package's modules again.
    const root = project();
    const tactic = await buildTactic(loadSystemConfig(join(root, 'config/loud/default.yaml'), { root }), {
      ...sources,
      invokerFor: () => createScriptedInvoker([]),
      log: new MemoryLogStore(),
    });
    expect((await tactic.call('hey')).result).toBe('HEY!');
  });

  it('name the package, what it defines and the fix when the name is wrong; an unknown package lists the known', async () => {
    const root = project();
    const typo = loadSystemConfig(join(root, 'config/typo/default.yaml'), { root });
    const attempt = loadSystemPackages(typo);
    await expect(attempt).rejects.toThrow(NotFoundError);
    await expect(attempt).rejects.toThrow(
      /config\/typo\/default\.yaml: agent_type: package "kit" 1\.4\.0 \(.*vendor\/kit\) defines no agent type "pr_dsek"\. It defines: "kit:pr_desk", "kit:pr_shout"\. Did you mean "kit:pr_desk"\? Fix the reference, or add the agent type to that package's \[agents\]/,
    );
    expect(() => packageResourceName('k:bolt', 'widget', 'widgets')).toThrow(
      /widgets: package "kit" .* defines no widget "bolt"\. It defines: "k:gear", "k:cog"/,
    );
    const nopkg = loadSystemConfig(join(root, 'config/nopkg/default.yaml'), { root });
    await expect(loadSystemPackages(nopkg)).rejects.toThrow(/Unknown package "kitt"\. Known: "app", "kit", "k"\. Did you mean "kit"\?/);
  });
});
