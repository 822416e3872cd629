import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent, discover, getAgentType, loadSystemConfig, registerAgentDiscovery, resolveSystemConfigPath } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { getPrompt, registerPromptDiscovery } from '@lllm/prompts';
import { listProxies, registerProxyDiscovery } from '@lllm/proxy';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('the system answers a task on a scripted model', async () => {
  registerPromptDiscovery();
  registerAgentDiscovery();
  registerProxyDiscovery();
  const report = await discover({ configFile: join(root, 'lllm.toml'), env: {}, strict: true });
  expect(report.sections.map((section) => [section.name, section.modules.length])).toEqual([
    ['prompts', 1],
    ['agents', 1],
    ['proxies', 1],
  ]);
  expect(report.warnings).toEqual([]);
  expect(listProxies()).toEqual(['apod']);
  const config = { ...loadSystemConfig(resolveSystemConfigPath(root)), log_type: 'memory' };
  const offline = getAgentType(config.agent_type).offline?.('What is 2 + 2?') ?? {};
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    invokerFor: (name) => createScriptedInvoker([...(offline[name] ?? [])], { name: 'scripted' }),
  });
  const run = await system.run('What is 2 + 2?');
  expect(run.result).toEqual({ answer: '(scripted) I would answer: What is 2 + 2?' });
});
