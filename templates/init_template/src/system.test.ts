import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildAgent,
  createScriptedInvoker,
  discover,
  getAgentType,
  loadSystemConfig,
  registerAgentDiscovery,
  resolveSystemConfigPath,
} from '@lllm/core';
import { getPrompt, registerPromptDiscovery } from '@lllm/prompts';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('the system answers a task on a scripted model', async () => {
  registerPromptDiscovery();
  registerAgentDiscovery();
  const report = await discover({ configFile: join(root, 'lllm.toml'), env: {}, strict: true });
  expect(report.sections.map((section) => section.modules.length)).toEqual([1, 1]);
  const config = { ...loadSystemConfig(resolveSystemConfigPath(root)), log_type: 'memory' };
  const offline = getAgentType(config.agent_type).offline?.('What is 2 + 2?') ?? {};
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    invokerFor: (name) => createScriptedInvoker([...(offline[name] ?? [])], { name: 'scripted' }),
  });
  const run = await system.run('What is 2 + 2?');
  expect(run.result).toEqual({ answer: '(scripted) I would answer: What is 2 + 2?' });
});
