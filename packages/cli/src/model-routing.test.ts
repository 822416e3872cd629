import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SystemConfig } from '@lllm/core';
import { chatCompletion, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseProviders, providerAvailability } from './runtime.js';
import { runLllm as lllm } from './test-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const temps: string[] = [];
let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

const config = (model_name: string): SystemConfig =>
  ({ agent_configs: { agent: { model_name, api_type: 'completion', system_prompt_path: 'vanilla/system' } } }) as unknown as SystemConfig;

describe('chooseProviders with upstream model names', () => {
  it('sends qwen3-next-80b-thinking to Together as its id when TOGETHER_API_KEY is set, even with only Anthropic besides', () => {
    const choice = chooseProviders(config('qwen3-next-80b-thinking'), ['agent'], {
      TOGETHER_API_KEY: 'tgp-x',
      ANTHROPIC_API_KEY: 'sk-ant-x',
    });
    expect(choice.missing).toEqual([]);
    expect(choice.config.agent_configs.agent?.model_name).toBe('Qwen/Qwen3-Next-80B-A3B-Thinking');
    expect(choice.config.agent_configs.agent?.api_type).toBe('completion');
    expect(choice.notices.join('\n')).toContain(
      '"qwen3-next-80b-thinking" as "Qwen/Qwen3-Next-80B-A3B-Thinking" to https://api.together.xyz/v1',
    );
    expect(choice.warnings).toEqual([]);
  });

  it('a Together model without TOGETHER_API_KEY has no provider, whatever OpenAI key is set, and says which variable', () => {
    const choice = chooseProviders(config('oss-120b'), ['agent'], { OPENAI_API_KEY: 'sk-x' });
    expect(choice.missing).toEqual(['agent']);
    expect(choice.notices.join('\n')).toContain('which needs TOGETHER_API_KEY (not set)');
  });

  it('an unknown model is a warning with the closest known names, not a silent route to OpenAI', () => {
    const choice = chooseProviders(config('gpt-4.1-mnii'), ['agent'], { OPENAI_API_KEY: 'sk-x' });
    expect(choice.warnings).toHaveLength(1);
    expect(choice.warnings[0]).toContain('"gpt-4.1-mnii"');
    expect(choice.warnings[0]).toContain('"gpt-4.1-mini"');
    expect(choice.warnings[0]).toContain('the OpenAI endpoint');
    expect(chooseProviders(config('gpt-5.1'), ['agent'], { OPENAI_API_KEY: 'sk-x' }).warnings).toEqual([]);
  });

  it('MY_OPENAI_KEY counts as an OpenAI provider', () => {
    expect(providerAvailability({ MY_OPENAI_KEY: 'sk-x' }).openai).toBe(true);
    expect(providerAvailability({}).openai).toBe(false);
    expect(chooseProviders(config('gpt-4.1'), ['agent'], { MY_OPENAI_KEY: 'sk-x' }).missing).toEqual([]);
  });
});

describe('lllm run with the Python LLLM key variable', () => {
  it('MY_OPENAI_KEY reaches the wire; OPENAI_API_KEY wins when both are set', async () => {
    const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
    mkdirSync(parent, { recursive: true });
    const project = mkdtempSync(join(parent, 'model-routing-'));
    temps.push(project);
    cpSync(join(repo, 'templates', 'init_template'), project, {
      recursive: true,
      filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
    });
    symlinkSync(join(repo, 'templates', 'init_template', 'node_modules'), join(project, 'node_modules'), 'dir');
    const reply = { json: chatCompletion({ model: 'gpt-4o-mini', content: '<answer>Rome</answer>' }) };
    server.enqueue('/v1/chat/completions', reply);
    server.enqueue('/v1/chat/completions', reply);
    const upstreamKey = await lllm(['run', 'Capital of Italy?'], project, {
      OPENAI_BASE_URL: server.openaiBaseURL,
      MY_OPENAI_KEY: 'sk-my-openai-key-000000',
    });
    expect(upstreamKey.stderr).not.toContain('No model provider');
    expect(upstreamKey.code).toBe(0);
    expect(server.requestsTo('/v1/chat/completions').at(-1)?.headers.authorization).toBe('Bearer sk-my-openai-key-000000');
    const both = await lllm(['run', 'Capital of Italy?'], project, {
      OPENAI_BASE_URL: server.openaiBaseURL,
      MY_OPENAI_KEY: 'sk-my-openai-key-000000',
      OPENAI_API_KEY: 'sk-openai-api-key-00000',
    });
    expect(both.code).toBe(0);
    expect(server.requestsTo('/v1/chat/completions').at(-1)?.headers.authorization).toBe('Bearer sk-openai-api-key-00000');
  }, 60_000);
});
