// Issue 14's "done when" for ports: a copy of each Python LLLM template (f810ffb: template/example and
// template/init_template) — its config/<name>/default.yaml with every key it uses, its lllm.toml, its
// prompts rewritten in TypeScript — and a log folder the Python system wrote, through `lllm doctor`,
// `lllm run` (against the local wire server) and `lllm replay`. Nothing here is copied from upstream:
// the files are written with the same keys, structure and kinds of values.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatCompletion, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonSession, UpstreamWriter } from '../../log/src/__fixtures__/upstream-log.js';
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

/** A project tree inside the repository (so `@lllm/*` and zod resolve to the workspace), removed after. */
function project(prefix: string, files: Record<string, string>): string {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const root = mkdtempSync(join(parent, prefix));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  // Upstream's templates ship proxy modules here; these ports need none, but the folder lllm.toml names exists.
  mkdirSync(join(root, 'system/proxy/modules'), { recursive: true });
  // What a TypeScript project adds: its modules are ES modules.
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: prefix.replace(/-$/, ''), private: true, type: 'module' }, null, 2)}\n`,
  );
  symlinkSync(join(repo, 'templates', 'init_template', 'node_modules'), join(root, 'node_modules'), 'dir');
  return root;
}

// Upstream's lllm.toml names the prompt and proxy folders; its agent class is imported by its system.py.
// Here agent systems are discovered too, so the one extra table points at the agent's folder.
const lllmToml = `[prompts]
folders = ["system/agent/prompts"]

[proxies]
folders = ["system/proxy/modules"]

[agents]
folders = ["system/agent"]
`;

/** The agent of both templates, rewritten: one agent, the task prompt, the parsed reply or the text. */
const agentModule = (promptRoot: string, systemArgs: string) => `import { defineAgent } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

export const vanilla = defineAgent({
  agentType: 'vanilla',
  agentGroup: ['vanilla'],
  async run(task, { agents, stream }) {
    const agent = agents.vanilla;
    if (!agent) throw new Error('agent_configs.vanilla is missing');
    const dialog = agent.initDialog(${systemArgs});
    stream?.write(task);
    dialog.sendMessage(getPrompt('${promptRoot}/task_query'), { task });
    const { message, parsed } = await agent.call(dialog);
    return parsed && typeof parsed === 'object' && 'output' in parsed ? parsed : { output: message.content };
  },
});
`;

const exampleFiles = {
  'lllm.toml': lllmToml,
  // template/example/config/system/default.yaml: no agent_type (system_type instead), a reasoning model with a temperature.
  'config/system/default.yaml': `name: default
log_type: none # localfile
random_seed: 42
activate_proxies: [] # e.g. ['fmp', 'fred']
max_exception_retry: 3
max_interrupt_times: 5
max_query_retry: 5
max_llm_recall: 0
system_type: basic # 'basic'
agent_configs:
  vanilla:
    model_name: o4-mini-2025-04-16
    system_prompt_path: vanilla/system
    temperature: 0.1
    max_completion_tokens: 20000
`,
  // template/example/system/agent/prompts/vanilla.py: paths without a folder take the module's name.
  'system/agent/prompts/vanilla.ts': `import { Prompt } from '@lllm/prompts';
import { z } from 'zod';

export const TaskResponse = z.object({ output: z.string() });

export const mainSystemPrompt = new Prompt({
  path: 'system',
  prompt: 'System prompt for the agent with role: {role}',
});

export const taskQueryPrompt = new Prompt({
  path: 'task_query',
  prompt: 'Input the task description here {task}.',
  format: TaskResponse,
});
`,
  'system/agent/agent.ts': agentModule('vanilla', "{ role: 'analyst' }"),
};

const initFiles = {
  'lllm.toml': lllmToml,
  // template/init_template/config/{{project_name}}/default.yaml, as lllm create fills it for "port_demo".
  'config/port_demo/default.yaml': `# Default configuration for port_demo
# Fill in real values before running the system.

name: port_demo
log_type: none  # set to 'localfile' to persist logs
random_seed: 42
log_dir: ./logs
ckpt_dir: ./ckpt
agent_type: vanilla
system_type: basic

agent_configs:
  vanilla:
    model_name: gpt-4.1-mini
    system_prompt_path: port_demo/system
    temperature: 0.2
    max_completion_tokens: 2048

activate_proxies: []
max_exception_retry: 3
max_interrupt_times: 5
max_llm_recall: 0
`,
  // template/init_template/system/agent/prompts/task.py
  'system/agent/prompts/task.ts': `import { Prompt } from '@lllm/prompts';

/** Initial prompts for the scaffolded agent. */
export const mainSystemPrompt = new Prompt({
  path: 'port_demo/system',
  prompt: 'You are the port_demo agent. Answer with clear, concise explanations and note any assumptions.',
});

export const taskQueryPrompt = new Prompt({
  path: 'port_demo/task_query',
  prompt: 'User task:\\n{task}\\n\\nRespond using bullet points when possible.',
});
`,
  'system/agent/agent.ts': agentModule('port_demo', ''),
};

const reply = (content: string, model: string) => ({
  json: chatCompletion({ model, content, usage: { prompt_tokens: 40, completion_tokens: 12 } }),
});

/** Each line of `text` that contains `part`. */
const linesWith = (text: string, part: string) => text.split('\n').filter((textLine) => textLine.includes(part));

const setLogType = (root: string, yaml: string) => {
  const file = join(root, yaml);
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^log_type: none/m);
  writeFileSync(file, text.replace(/^log_type: none.*$/m, 'log_type: localfile'));
};

describe("issue 14 done when: a copy of each upstream template's config, prompts (rewritten in TS) and a Python-written log folder work through lllm doctor, lllm run and lllm replay", () => {
  it('template/example: config without agent_type, system_type, random_seed, max_query_retry, a reasoning model with a temperature', async () => {
    const root = project('port-example-', exampleFiles);
    const env = { OPENAI_BASE_URL: server.openaiBaseURL };

    const doctor = await lllm(['doctor'], root, env);
    expect(doctor.stdout).toContain('(agent_type vanilla, log_type none)');
    expect(doctor.stdout).toContain('agent vanilla: o4-mini-2025-04-16 via completion, system prompt vanilla/system');
    for (const key of ['random_seed: 42', 'max_query_retry: 5', 'system_type: "basic"', 'agent_type: not set; using "vanilla"'])
      expect(linesWith(doctor.stdout, key)).toHaveLength(1);
    expect(linesWith(doctor.stdout, 'agent_configs.vanilla.temperature: 0.1 is not sent')).toEqual([
      expect.stringMatching(/^! agent_configs\.vanilla\.temperature: 0\.1 is not sent: o4-mini-2025-04-16 is a reasoning model/),
    ]);
    expect(doctor.stdout).toContain('Everything looks right.');
    expect(doctor.code).toBe(0);

    server.enqueue('/v1/chat/completions', reply('{"output":"4"}', 'o4-mini-2025-04-16'));
    const run = await lllm(['run', 'What is 2 + 2?', '--session', 'ts_port_none'], root, env);
    expect(run.stdout).toContain('"output": "4"');
    expect(run.code).toBe(0);
    // Notes go to stderr, one line each, before the run.
    expect(linesWith(run.stderr, 'note: random_seed: 42 is not used')).toHaveLength(1);
    expect(linesWith(run.stderr, 'note: max_query_retry: 5 is not used')).toHaveLength(1);
    expect(linesWith(run.stderr, 'note: system_type: "basic" is not used')).toHaveLength(1);
    expect(linesWith(run.stderr, 'warning: agent_type: not set; using "vanilla"')).toHaveLength(1);
    expect(linesWith(run.stderr, 'warning: agent_configs.vanilla.temperature: 0.1 is not sent')).toHaveLength(1);
    const body = server.requestsTo('/v1/chat/completions').at(-1)?.body as Record<string, unknown> & {
      messages: { role: string; content: string }[];
      response_format?: { type: string };
    };
    expect(body.model).toBe('o4-mini-2025-04-16');
    expect(body.max_completion_tokens).toBe(20000);
    expect(body).not.toHaveProperty('temperature');
    expect(body).not.toHaveProperty('seed');
    expect(body.response_format?.type).toBe('json_schema');
    // OpenAI's reasoning models take the system prompt as a developer message.
    expect(body.messages[0]).toMatchObject({ role: 'developer', content: 'System prompt for the agent with role: analyst' });
    expect(body.messages[1]?.content).toBe('Input the task description here What is 2 + 2?.');

    // log_type localfile (the config's own comment), in the log folder the Python system wrote.
    setLogType(root, 'config/system/default.yaml');
    pythonSession(join(root, 'logs'));
    server.enqueue('/v1/chat/completions', reply('{"output":"Paris"}', 'o4-mini-2025-04-16'));
    const logged = await lllm(['run', 'Capital of France?', '--session', 'ts_port_run'], root, env);
    expect(logged.stdout).toContain('"output": "Paris"');
    expect(logged.code).toBe(0);

    const list = await lllm(['replay'], root, env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('task_20251127_093000');
    expect(list.stdout).toContain('ts_port_run');
    const python = await lllm(['replay', 'task_20251127_093000'], root, env);
    expect(python.code).toBe(0);
    expect(python.stdout).toContain('How many more people live in Tokyo than in Paris?');
    expect(python.stdout).toContain('About 12 million.');
    const ours = await lllm(['replay', 'ts_port_run'], root, env);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('Input the task description here Capital of France?.');
    expect(ours.stdout).toContain('{"output":"Paris"}');
  }, 180_000);

  it('template/init_template: agent_type and system_type, relative log_dir and ckpt_dir, a chat model keeping its temperature', async () => {
    const root = project('port-init-', initFiles);
    const env = { OPENAI_BASE_URL: server.openaiBaseURL };

    // An LLLM_CONFIG naming nothing is skipped, as upstream skips it, with a warning naming it.
    const doctor = await lllm(['doctor'], root, { ...env, LLLM_CONFIG: 'no/such/lllm.toml' });
    expect(doctor.stdout).toContain(`lllm.toml: ${join(root, 'lllm.toml')}`);
    expect(linesWith(doctor.stdout, 'LLLM_CONFIG is set to "no/such/lllm.toml", but nothing is there')).toHaveLength(1);
    expect(doctor.stdout).toContain('(agent_type vanilla, log_type none)');
    expect(linesWith(doctor.stdout, 'random_seed: 42 is not used')).toHaveLength(1);
    expect(linesWith(doctor.stdout, 'system_type: "basic" is not used')).toHaveLength(1);
    expect(doctor.stdout).not.toContain('agent_type: not set');
    expect(doctor.stdout).not.toContain('temperature');

    server.enqueue('/v1/chat/completions', reply('- Paris', 'gpt-4.1-mini-2025-04-14'));
    const run = await lllm(['run', 'Capital of France?'], root, env);
    expect(run.stdout).toContain('"output": "- Paris"');
    expect(run.code).toBe(0);
    expect(linesWith(run.stderr, 'note: random_seed: 42 is not used')).toHaveLength(1);
    expect(linesWith(run.stderr, 'note: system_type: "basic" is not used')).toHaveLength(1);
    const body = server.requestsTo('/v1/chat/completions').at(-1)?.body as Record<string, unknown> & {
      messages: { role: string; content: string }[];
    };
    expect(body).toMatchObject({ model: 'gpt-4.1-mini', temperature: 0.2, max_completion_tokens: 2048 });
    expect(body.messages[0]?.content).toBe(
      'You are the port_demo agent. Answer with clear, concise explanations and note any assumptions.',
    );
    expect(body.messages[1]?.content).toBe('User task:\nCapital of France?\n\nRespond using bullet points when possible.');

    // The Python system's log folder: <log_dir>/<name>_default/, as its LocalFileLog writes it.
    setLogType(root, 'config/port_demo/default.yaml');
    // Upstream names a session after its task: spaces as "+", then the time (AgentBase.__call__).
    const writer = new UpstreamWriter(join(root, 'logs'), 'port_demo', 'Capital+of+Italy?_20251127_093000');
    const dialog = writer.dialog('0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f');
    dialog.append({ role: 'system', content: 'You are the port_demo agent.', creator: 'system' });
    dialog.append({ role: 'user', content: 'User task:\nCapital of Italy?', creator: 'user' });
    dialog.append({
      role: 'assistant',
      content: '- Rome',
      creator: 'vanilla',
      model: 'gpt-4.1-mini',
      usage: { prompt_tokens: 41, completion_tokens: 3, total_tokens: 44 },
      model_args: { temperature: 0.2, max_completion_tokens: 2048 },
    });
    writer.frontend('Capital of Italy?', 'write');
    server.enqueue('/v1/chat/completions', reply('- Berlin', 'gpt-4.1-mini-2025-04-14'));
    const logged = await lllm(['run', 'Capital of Germany?', '--session', 'ts_port_init'], root, env);
    expect(logged.code).toBe(0);

    const list = await lllm(['replay'], root, env);
    expect(list.stdout).toContain('Capital+of+Italy?_20251127_093000');
    expect(list.stdout).toContain('ts_port_init');
    const python = await lllm(['replay', 'Capital+of+Italy?_20251127_093000'], root, env);
    expect(python.code).toBe(0);
    expect(python.stdout).toContain('Capital of Italy?');
    expect(python.stdout).toContain('- Rome');
    const ours = await lllm(['replay', 'ts_port_init'], root, env);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('Capital of Germany?');
    expect(ours.stdout).toContain('- Berlin');
  }, 180_000);
});
