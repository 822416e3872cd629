import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAgent, discover, getAgentType, loadSystemConfig, registerAgentDiscovery, resolveSystemConfigPath } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { getPrompt, registerPromptDiscovery } from '@lllm/prompts';
import { listProxies, registerProxyDiscovery } from '@lllm/proxy';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

it('two agents plan and answer with tools and structured output, on a scripted model', async () => {
  registerPromptDiscovery();
  registerAgentDiscovery();
  registerProxyDiscovery();
  const report = await discover({ configFile: join(root, 'lllm.toml'), env: {}, strict: true });
  expect(report.warnings).toEqual([]);
  expect(listProxies()).toEqual(['exa', 'fmp', 'fred', 'gt', 'kb', 'msd', 'pm', 'wa']);
  const config = { ...loadSystemConfig(resolveSystemConfigPath(root)), log_type: 'memory' };
  const offline = getAgentType(config.agent_type).offline?.('Compare Tokyo and Paris') ?? {};
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    invokerFor: (name) => createScriptedInvoker([...(offline[name] ?? [])], { name: 'scripted' }),
  });
  const run = await system.run('Compare Tokyo and Paris');
  expect(run.result).toMatchObject({
    answer: expect.stringContaining('11.86 million'),
    toolCalls: [
      'lookup_population({"city":"Tokyo"}) = {"city":"Tokyo","millions":13.96}',
      'lookup_population({"city":"Paris"}) = {"city":"Paris","millions":2.1}',
      'calculate({"op":"subtract","a":13.96,"b":2.1}) = 11.86',
    ],
  });
  const messages = await system.log.read('messages', run.session);
  expect(messages.length).toBeGreaterThan(8);
});
