// The project model end to end on a scripted model (no key, no network): discovery reads lllm.toml
// (prompts, agents, proxies, skills, and the style-kit dependency), the config inherits the
// dependency's base config, and the review desk runs with a skill and a context budget.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent, discover, getAgentType, loadSystemConfig, MemoryLogStore, registerAgentDiscovery } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { registerOpenAIModelCards } from '@lllm/openai';
import { getPrompt, registerPromptDiscovery } from '@lllm/prompts';
import { registerProxyDiscovery } from '@lllm/proxy';

const project = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function main(
  topic = 'a lighthouse',
): Promise<{ origins: Record<string, string>; result: unknown; skills: readonly string[] }> {
  // Model cards give the context window the editor's context budget keeps to.
  registerOpenAIModelCards();
  registerPromptDiscovery();
  registerAgentDiscovery();
  registerProxyDiscovery();
  const report = await discover({ configFile: join(project, 'lllm.toml'), strict: true });
  const config = loadSystemConfig(join(project, 'config/default/default.yaml'), { root: project });
  const origins = Object.fromEntries(
    [
      'agent_configs.editor.temperature',
      'agent_configs.editor.system_prompt_path',
      'agent_configs.critic.temperature',
      'max_exception_retry',
    ].map((key) => [key, config.origins?.[key] ?? 'default']),
  );
  const offline = getAgentType(config.agent_type).offline?.(topic) ?? {};
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    log: new MemoryLogStore(),
    invokerFor: (name) => createScriptedInvoker([...(offline[name] ?? [])]),
  });
  try {
    const run = await system.run(topic);
    return { origins, result: run.result, skills: report.skills };
  } finally {
    await system.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { origins, result, skills } = await main(process.argv[2]);
  console.log('Skills discovered:', skills.join(', '));
  console.log('Where values came from:');
  for (const [key, origin] of Object.entries(origins)) console.log(`  ${key}  ← ${origin}`);
  console.log('Result:', JSON.stringify(result, null, 2));
}
