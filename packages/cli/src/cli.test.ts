// The `lllm` command end to end: spawned as a real process (from its TypeScript sources through tsx),
// in temporary project trees and in the repository's templates, against the local wire server.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogStore } from '@lllm/core';
import { registerLogBackends } from '@lllm/log';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLllm as lllm, tsxLoader } from './test-cli.js';

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

function temp(prefix = 'lllm-cli-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  temps.push(folder);
  return folder;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A copy of a repository template in a temp folder inside the repository (so `@lllm/*` resolve to the workspace). */
function templateCopy(template: string): string {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, `${template}-`));
  temps.push(folder);
  cpSync(join(repo, 'templates', template), folder, { recursive: true, filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path) });
  // The template's installed dependencies, as `pnpm install` in the copy would link them.
  symlinkSync(join(repo, 'templates', template, 'node_modules'), join(folder, 'node_modules'), 'dir');
  return folder;
}

describe('lllm run', () => {
  it('with no provider says what to set, then runs the example system on a model labelled as scripted', async () => {
    const project = templateCopy('example');
    const result = await lllm(['run', 'How many more people live in Tokyo than in Paris?'], project);
    expect(result.stderr).toContain('set OPENAI_API_KEY (or OPENAI_BASE_URL');
    expect(result.stderr).toContain('Running on a SCRIPTED offline model');
    expect(result.stdout).toContain('Result (SCRIPTED offline model):');
    expect(result.stdout).toContain('11.86 million');
    expect(result.stdout).toContain('calculate({\\"op\\":\\"subtract\\",\\"a\\":13.96,\\"b\\":2.1}) = 11.86');
    expect(result.stdout).toMatch(/Session: analyst-team-\d{8}-\d{6}-[0-9a-f]{4}/);
    expect(result.code).toBe(0);
    expect(existsSync(join(project, 'logs', 'lllm.sqlite'))).toBe(true);
    const session = /Session: (\S+)/.exec(result.stdout)?.[1] ?? '';
    const replay = await lllm(['replay', session], project);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain(`Session ${session}`);
    expect(replay.stdout).toContain('→ lookup_population({"city":"Tokyo"})');
    expect(replay.stdout).toContain('planner: 1 replies');
    const unknown = await lllm(['replay', 'no-such-session'], project);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`lllm: No logged session "no-such-session" in the sqlite store. Recent sessions: "${session}"`);
    // The viewer: served on 127.0.0.1, lists the session, stops cleanly on SIGINT.
    const viewer = spawn(
      process.execPath,
      ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'bin-source.ts'), 'replay', '--serve'],
      {
        cwd: project,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        const timer = setTimeout(() => reject(new Error(`no viewer URL in: ${seen}`)), 30_000);
        viewer.stdout.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /Replay viewer: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}) /.exec(seen);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const token = new URL(url).searchParams.get('token') ?? '';
      expect((await fetch(new URL('/api/sessions', url))).status).toBe(401);
      const sessions = await fetch(new URL('/api/sessions', url), { headers: { authorization: `Bearer ${token}` } });
      expect(sessions.status).toBe(200);
      expect(await sessions.text()).toContain(session);
    } finally {
      const exited = new Promise<number | null>((resolve) => viewer.once('exit', (code) => resolve(code)));
      viewer.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  }, 90_000);

  it('runs against a real OpenAI-compatible endpoint from OPENAI_BASE_URL (the local wire server)', async () => {
    const project = templateCopy('init_template');
    server.enqueue('/v1/chat/completions', {
      json: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '<answer>Paris</answer>', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 30, completion_tokens: 5 },
      },
    });
    const result = await lllm(['run', 'Capital of France?', '--session', 'my run/1'], project, { OPENAI_BASE_URL: server.openaiBaseURL });
    expect(result.stderr).not.toContain('SCRIPTED');
    expect(result.stdout).toContain('"answer": "Paris"');
    // gpt-4o-mini: 30 × $0.15 + 5 × $0.60 per 1M tokens
    expect(result.stdout).toContain('Cost: $0.000008');
    expect(result.stdout).toContain('Session: my-run-1');
    expect(result.code).toBe(0);
    const body = server.requestsTo('/v1/chat/completions').at(-1)?.body as { messages: { content: string }[]; temperature: number };
    expect(body.messages[1]?.content).toContain('Task: Capital of France?');
    expect(body.temperature).toBe(0.2);
  }, 60_000);

  it('with only ANTHROPIC_API_KEY, OpenAI-type agents move to Anthropic and say so; the terminal events are logged', async () => {
    const project = templateCopy('init_template');
    server.enqueue('/v1/messages', {
      json: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: '<answer>Paris</answer>' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 40, output_tokens: 6 },
      },
    });
    const result = await lllm(['run', 'Capital of France?', '--session', 'anthropic-run'], project, {
      ANTHROPIC_API_KEY: 'sk-ant-test-key-000000000000',
      ANTHROPIC_BASE_URL: server.anthropicBaseURL,
    });
    expect(result.stderr).toContain(
      'note: "assistant" uses Anthropic (claude-haiku-4-5) instead of completion (gpt-4o-mini): only ANTHROPIC_API_KEY is configured',
    );
    expect(result.stderr).not.toContain('SCRIPTED');
    expect(result.stdout).toContain('"answer": "Paris"');
    expect(result.code).toBe(0);
    const body = server.requestsTo('/v1/messages').at(-1)?.body as { model: string };
    expect(body.model).toBe('claude-haiku-4-5');
    registerLogBackends();
    const store = await createLogStore({ type: 'sqlite', directory: join(project, 'logs') });
    const frontend = await store.read('frontend', 'anthropic-run');
    await store.close();
    expect(frontend.map((entry) => (entry.data as { type?: string }).type)).toEqual(
      expect.arrayContaining(['spinner-start', 'spinner-stop']),
    );
  }, 60_000);

  it('LLLM_MODEL picks the model an OpenAI-compatible server serves; a YAML base_url never receives OPENAI_API_KEY', async () => {
    const project = templateCopy('init_template');
    const reply = {
      json: {
        id: 'chatcmpl-2',
        object: 'chat.completion',
        created: 1,
        model: 'llama-3.2-3b',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: '<answer>Rome</answer>', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 30, completion_tokens: 5 },
      },
    };
    server.enqueue('/v1/chat/completions', reply);
    const local = await lllm(['run', 'Capital of Italy?'], project, { OPENAI_BASE_URL: server.openaiBaseURL, LLLM_MODEL: 'llama-3.2-3b' });
    expect(local.code).toBe(0);
    expect((server.requestsTo('/v1/chat/completions').at(-1)?.body as { model?: string } | undefined)?.model).toBe('llama-3.2-3b');
    expect(local.stdout).toContain('(some models have no price card)');
    const yaml = join(project, 'config/default/default.yaml');
    writeFileSync(
      yaml,
      readFileSync(yaml, 'utf8').replace(
        '    api_type: completion',
        `    api_type: completion\n    base_url: ${server.openaiBaseURL}\n    api_key_env: LOCAL_LLM_KEY`,
      ),
    );
    server.enqueue('/v1/chat/completions', reply);
    const openaiKey = 'sk-openai-key-must-stay-home-000000';
    const own = await lllm(['run', 'Capital of Italy?'], project, { OPENAI_API_KEY: openaiKey, LOCAL_LLM_KEY: 'local-llm-key-12345' });
    expect(own.code).toBe(0);
    expect(server.requestsTo('/v1/chat/completions').at(-1)?.headers.authorization).toBe('Bearer local-llm-key-12345');
    const unset = await lllm(['run', 'Capital of Italy?'], project, { OPENAI_API_KEY: openaiKey });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('reads its key from LOCAL_LLM_KEY (api_key_env), which is not set');
    expect(server.requests.some((request) => request.headers.authorization?.includes(openaiKey))).toBe(false);
  }, 60_000);

  it('maps user mistakes to one line and exit codes', async () => {
    const project = templateCopy('init_template');
    const noTask = await lllm(['run'], project);
    expect(noTask.code).toBe(2);
    expect(noTask.stderr).toContain('lllm run needs a task');
    const unknown = await lllm(['frobnicate'], project);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    writeFileSync(join(project, 'config/default/default.yaml'), 'name: x\nagent_type: vanilla\nagent_configs: {}\nlog_type: none\n');
    const badConfig = await lllm(['run', 'task'], project);
    expect(badConfig.code).toBe(1);
    expect(
      badConfig.stderr
        .trim()
        .split('\n')
        .filter((text) => text.startsWith('lllm:')),
    ).toHaveLength(1);
    expect(badConfig.stderr).toContain('agent_type "vanilla" needs agent_configs for "assistant"');
    expect(badConfig.stderr).not.toContain('    at ');
    writeFileSync(
      join(project, 'config/default/default.yaml'),
      readFileSync(join(repo, 'templates/init_template/config/default/default.yaml'), 'utf8').replace(
        'log_type: sqlite',
        'log_type: nowhere',
      ),
    );
    const badLog = await lllm(['run', 'task'], project);
    expect(badLog.code).toBe(1);
    expect(badLog.stderr).toContain('Unknown log_type "nowhere". Registered backends: "none", "memory", "sqlite", "jsonl"');
    writeFileSync(join(project, 'lllm.toml'), '[prompts\nfolders = 1');
    const badToml = await lllm(['prompts'], project);
    expect(badToml.code).toBe(1);
    expect(badToml.stderr).toMatch(/lllm\.toml:\d+:\d+: invalid TOML/);
  }, 60_000);
});

describe('lllm prompts, proxies, doctor', () => {
  it('prompts lists what discovery registered and where it came from', async () => {
    const project = templateCopy('example');
    const result = await lllm(['prompts'], project);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('team/analyse  (2 tools, structured output)');
    expect(result.stdout).toContain(join(project, 'prompts', 'team.ts'));
  }, 60_000);

  it('proxies lists the template’s sample proxy, and says when there is nothing to list', async () => {
    const project = templateCopy('init_template');
    const result = await lllm(['proxies'], project);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `apod: NASA Astronomy Picture of the Day (2 endpoints)  ← ${join(project, 'proxies', 'apod.ts')}  [inactive: its API key variable NASA_API_KEY is not set`,
    );
    const empty = temp();
    writeFileSync(join(empty, 'lllm.toml'), '# nothing discovered here\n');
    const none = await lllm(['proxies'], empty);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No proxy modules discovered');
  }, 60_000);

  it('doctor reports the setup without ever printing a key', async () => {
    const project = templateCopy('init_template');
    const secret = 'sk-doctor-secret-value-1234567890';
    const result = await lllm(['doctor'], project, { OPENAI_API_KEY: secret });
    expect(result.stdout).toContain(`lllm.toml: ${join(project, 'lllm.toml')}`);
    expect(result.stdout).toContain('[prompts] 1 modules');
    expect(result.stdout).toContain('agent assistant: gpt-4o-mini via completion, system prompt vanilla/system');
    expect(result.stdout).toContain('OPENAI_API_KEY: set');
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.code).toBe(0);
    const empty = await lllm(['doctor'], temp(), {});
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain('no lllm.toml');
  }, 60_000);
});

describe('lllm proxies and proxies in lllm run', () => {
  let api: Server;
  let project: string;
  beforeAll(async () => {
    api = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://api');
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/lookup') {
        const city = url.searchParams.get('city') ?? '';
        response.end(
          JSON.stringify({
            city,
            population: city === 'Oslo' ? 709_000 : 1,
            updated: city === 'Oslo' ? '2024-01-01' : '2030-01-01',
            key: url.searchParams.get('key'),
          }),
        );
      } else {
        response.statusCode = 503;
        response.end(JSON.stringify({ error: { message: 'maintenance' } }));
      }
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    // Inside the CLI package, so the project's modules resolve @lllm/* the way an installed project would.
    const parent = join(here, '..', 'node_modules', '.cache', 'lllm-cli-proxies');
    mkdirSync(parent, { recursive: true });
    project = mkdtempSync(join(parent, 'project-'));
    temps.push(project);
    const files: Record<string, string> = {
      'package.json': '{ "name": "proxy-project", "private": true, "type": "module" }\n',
      'lllm.toml': '[prompts]\nfolders = ["prompts"]\n[proxies]\nfolders = ["proxies"]\n[agents]\nfolders = ["agents"]\n',
      'prompts/solo.ts':
        "import { Prompt } from '@lllm/prompts';\nexport const system = new Prompt({ path: 'solo/system', prompt: 'You look things up.' });\n",
      'proxies/geo.ts': `import { defineProxy } from '@lllm/proxy';
export const geo = defineProxy({
  path: 'geo',
  name: 'Geo API',
  description: 'City facts.',
  baseUrl: ${JSON.stringify(base)},
  apiKey: { env: 'GEO_KEY', in: 'query', name: 'key' },
  endpoints: [
    { category: 'cities', endpoint: '/lookup', name: 'Lookup', description: 'Population of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, examples: { city: 'Oslo' }, dtCutoff: { key: 'updated' } },
    { category: 'status', endpoint: '/status', name: 'Status', description: 'Service status.' },
  ],
});
`,
      'agents/solo.ts': `import { defineAgent } from '@lllm/core';
export const solo = defineAgent({
  agentType: 'proxy_solo',
  agentGroup: ['solo'],
  async run(task, { services }) {
    const proxy = services.proxy as { activated(): string[]; call(path: string, params: object): Promise<unknown> };
    return { activated: proxy.activated(), found: await proxy.call('geo/cities/lookup', { city: task }) };
  },
  offline: () => ({ solo: [] }),
});
`,
      'agents/broken.ts': `import { defineAgent } from '@lllm/core';
export const broken = defineAgent({
  agentType: 'broken',
  agentGroup: ['solo'],
  async run() {
    throw new TypeError('cannot read the plan');
  },
  offline: () => ({ solo: [] }),
});
`,
      'config/broken/default.yaml':
        'name: broken\nlog_type: none\nagent_type: broken\nagent_configs:\n  solo:\n    model_name: gpt-4o-mini\n    system_prompt_path: solo/system\n',
      'config/solo/default.yaml':
        'name: solo\nlog_type: jsonl\nagent_type: proxy_solo\nagent_configs:\n  solo:\n    model_name: gpt-4o-mini\n    system_prompt_path: solo/system\nactivate_proxies: [geo, weather]\ncutoff_date: "2024-06-30"\n',
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(project, file)), { recursive: true });
      writeFileSync(join(project, file), text);
    }
  });
  afterAll(async () => {
    api.closeAllConnections();
    await new Promise((resolve) => api.close(resolve));
  });

  it('proxies lists every endpoint and says which proxies cannot be activated', async () => {
    const result = await lllm(['proxies'], project, {});
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `geo: Geo API (2 endpoints)  ← ${join(project, 'proxies', 'geo.ts')}  [inactive: its API key variable GEO_KEY is not set`,
    );
    expect(result.stdout).toContain('  geo/cities/lookup  GET  Lookup');
    expect(result.stdout).toContain('  geo/status/status  GET  Status');
  }, 60_000);

  it('proxies test calls each endpoint with its examples, reports per category, and fails when one fails', async () => {
    const secret = 'geo-secret-key-0123456789';
    const result = await lllm(['proxies', 'test'], project, { GEO_KEY: secret });
    expect(result.stderr).toContain('Testing endpoints [####################] 2/2');
    expect(result.stdout).toContain('✓ geo/cities: 1 passed, 0 failed');
    expect(result.stdout).toContain('✗ geo/status: 0 passed, 1 failed');
    expect(result.stdout).toMatch(
      /failed: geo\/status\/status: geo\/status\/status failed with HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/status\?key=\[REDACTED\]: maintenance/,
    );
    expect(result.stdout + result.stderr).not.toContain(secret);
    expect(result.code).toBe(1);
    const one = await lllm(['proxies', 'test', 'geo/cities'], project, { GEO_KEY: secret });
    expect(one.stdout).toContain('1 passed, 0 failed');
    expect(one.code).toBe(0);
    const wrong = await lllm(['proxies', 'tset'], project, {});
    expect(wrong.code).toBe(2);
  }, 60_000);

  it('run hands the system the proxies of activate_proxies, with the config’s cutoff date', async () => {
    const result = await lllm(['run', 'Oslo', '--config', 'solo'], project, { GEO_KEY: 'geo-secret-key-0123456789' });
    expect(result.stderr).toContain('warning: Proxy "weather" is skipped: No proxy is registered as "weather"');
    expect(result.code).toBe(0);
    const printed = result.stdout.slice(result.stdout.indexOf('{'), result.stdout.lastIndexOf('}') + 1);
    expect(JSON.parse(printed)).toEqual({
      activated: ['geo'],
      found: { city: 'Oslo', population: 709000, updated: '2024-01-01', key: '[REDACTED]' },
    });
    const broken = await lllm(['run', 'x', '--config', 'broken'], project, {});
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('lllm: agent_type "broken" failed in its run(): TypeError: cannot read the plan');
    expect(broken.stderr).not.toContain('internal error');
    const late = await lllm(['run', 'Bergen', '--config', 'solo'], project, { GEO_KEY: 'geo-secret-key-0123456789' });
    expect(late.stdout).toContain('after the cutoff date 2024-06-30; it is withheld in this run');
  }, 60_000);
});

/** A Chat Completions reply for the init_template's vanilla agent. */
function chatReply(content: string) {
  return {
    json: {
      id: 'chatcmpl-h8',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 30, completion_tokens: 5 },
    },
  };
}

function setConfig(project: string, replace: (yaml: string) => string): void {
  const file = join(project, 'config/default/default.yaml');
  writeFileSync(file, replace(readFileSync(join(repo, 'templates/init_template/config/default/default.yaml'), 'utf8')));
}

/** A user mistake: exit 1, one `lllm:` line on stderr saying what and how to fix it, no stack, never "internal error". */
function expectUserError(result: Result, text: string | RegExp): void {
  expect(result.stderr).not.toContain('internal error');
  expect(result.stderr).not.toContain('    at ');
  if (typeof text === 'string') expect(result.stderr).toContain(text);
  else expect(result.stderr).toMatch(text);
  expect(result.code).toBe(1);
}

describe('lllm under mistakes and signals', () => {
  it('reports broken logs, bad folders, a YAML alias bomb and a busy port as user errors, not bugs', async () => {
    const project = templateCopy('init_template');
    const env = { OPENAI_BASE_URL: server.openaiBaseURL };
    // A log file that is not SQLite.
    mkdirSync(join(project, 'logs'), { recursive: true });
    writeFileSync(join(project, 'logs', 'lllm.sqlite'), 'meeting notes, not a database\n'.repeat(50));
    expectUserError(
      await lllm(['replay'], project),
      `${join(project, 'logs', 'lllm.sqlite')} cannot be used as the SQLite log: it is not a SQLite database. Move the file away`,
    );
    rmSync(join(project, 'logs'), { recursive: true });
    // A row of the wrong shape.
    registerLogBackends();
    const store = await createLogStore({ type: 'sqlite', directory: join(project, 'logs') });
    store.write('messages', 'edited', { dialogId: 'd', index: 0, message: { role: 'wizard', content: 1 } });
    await store.close();
    expectUserError(await lllm(['replay', 'edited'], project), /Entry \d+ of session "edited" in .*lllm\.sqlite is not a logged message/);
    // A YAML alias bomb.
    setConfig(
      project,
      (yaml) =>
        `${yaml}\nbomb_a: &a [x, x, x, x, x, x, x, x, x, x]\nbomb_b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nbomb_c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nbomb_d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    );
    expectUserError(
      await lllm(['run', 'task'], project, env),
      /default\.yaml: invalid YAML: Excessive alias count.*Write the values out instead of nesting aliases/,
    );
    // log_dir under a file, and under /proc (a recursive mkdir there spins forever).
    writeFileSync(join(project, 'notes.txt'), 'notes');
    setConfig(project, (yaml) => yaml.replace('log_dir: logs', 'log_dir: notes.txt/logs'));
    expectUserError(await lllm(['run', 'task'], project, env), `${join(project, 'notes.txt')} is a file, not a folder`);
    setConfig(project, (yaml) => yaml.replace('log_dir: logs', 'log_dir: /proc/lllm-logs'));
    const started = Date.now();
    expectUserError(await lllm(['replay'], project), 'log_dir "/proc/lllm-logs" cannot be created: /proc does not accept new folders');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(server.requestsTo('/v1/chat/completions').filter((request) => JSON.stringify(request.body).includes('Task: task'))).toEqual([]);
    // replay --serve on a busy port.
    setConfig(project, (yaml) => yaml);
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as AddressInfo;
    try {
      expectUserError(
        await lllm(['replay', '--serve', '--port', String(port)], project),
        `lllm: Port ${port} on 127.0.0.1 is already in use: choose another with --port, or --port 0 for a free one.`,
      );
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  }, 120_000);

  it('when the log cannot be written, run still prints the paid result and its cost, says so on stderr and exits 3', async () => {
    const project = templateCopy('init_template');
    setConfig(project, (yaml) => yaml.replace('log_type: sqlite', 'log_type: jsonl'));
    // The messages folder cannot be created: a file is in its place.
    mkdirSync(join(project, 'logs', 'default'), { recursive: true });
    writeFileSync(join(project, 'logs', 'default', 'messages'), '');
    server.enqueue('/v1/chat/completions', chatReply('<answer>Paris</answer>'));
    const result = await lllm(['run', 'Capital of France?', '--session', 'unlogged'], project, { OPENAI_BASE_URL: server.openaiBaseURL });
    expect(result.stdout).toContain('"answer": "Paris"');
    expect(result.stdout).toContain('Cost: $0.000008');
    expect(result.stderr).toContain(
      `lllm: the jsonl log in ${join(project, 'logs')} could not be written, so session unlogged is incomplete:`,
    );
    expect(result.stderr).toContain('is a file, not a folder');
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(3);
  }, 60_000);

  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} mid-run saves the log with a cancelled end marker and exits ${exitCode}`, async () => {
      const project = templateCopy('init_template');
      const before = server.requestsTo('/v1/chat/completions').length;
      server.enqueue('/v1/chat/completions', { ...chatReply('<answer>late</answer>'), delayMs: 60_000 });
      const child = spawn(
        process.execPath,
        [
          '--conditions=lllm-source',
          '--import',
          tsxLoader,
          join(here, 'bin-source.ts'),
          'run',
          'Wait for me',
          '--session',
          `cut-${signal.toLowerCase()}`,
        ],
        {
          cwd: project,
          env: { ...process.env, OPENAI_BASE_URL: server.openaiBaseURL, OPENAI_API_KEY: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.stdout.resume();
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('exit', (code, received) => resolve({ code, signal: received })),
      );
      // Signal once the model request is in flight (the server holds it).
      for (let wait = 0; wait < 600 && server.requestsTo('/v1/chat/completions').length === before; wait++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.requestsTo('/v1/chat/completions').length).toBe(before + 1);
      child.kill(signal);
      expect(await exited).toEqual({ code: exitCode, signal: null });
      expect(stderr).toContain(`lllm: cancelled by ${signal}; what ran so far is logged: lllm replay cut-${signal.toLowerCase()}`);
      registerLogBackends();
      const store = await createLogStore({ type: 'sqlite', directory: join(project, 'logs') });
      const frontend = await store.read('frontend', `cut-${signal.toLowerCase()}`);
      const messages = await store.read('messages', `cut-${signal.toLowerCase()}`);
      await store.close();
      expect(frontend.at(-1)?.data).toMatchObject({ type: 'session-end', status: 'cancelled', reason: signal });
      expect(frontend.some((entry) => entry.data.type === 'spinner-stop' && entry.data.outcome === 'cancelled')).toBe(true);
      expect(messages.map((entry) => (entry.data.message as { role: string }).role)).toEqual(['system', 'user']);
      const replay = await lllm(['replay', `cut-${signal.toLowerCase()}`], project);
      expect(replay.stdout).toContain(`Ended: cancelled (${signal})`);
    }, 90_000);
  }

  it('a second Ctrl+C forces the exit at once, and what was logged is still saved', async () => {
    const project = templateCopy('init_template');
    const before = server.requestsTo('/v1/chat/completions').length;
    server.enqueue('/v1/chat/completions', { ...chatReply('<answer>late</answer>'), delayMs: 60_000 });
    const child = spawn(
      process.execPath,
      ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'bin-source.ts'), 'run', 'Wait for me', '--session', 'cut-twice'],
      {
        cwd: project,
        env: { ...process.env, OPENAI_BASE_URL: server.openaiBaseURL, OPENAI_API_KEY: '' },
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, received) => resolve({ code, signal: received })),
    );
    for (let wait = 0; wait < 600 && server.requestsTo('/v1/chat/completions').length === before; wait++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    child.kill('SIGINT');
    child.kill('SIGINT');
    const ended = await exited;
    expect(Date.now() - started).toBeLessThan(10_000);
    // Either the first signal's clean exit (130) won the race, or the second forced the exit.
    expect(ended.code === 130 || ended.signal === 'SIGINT').toBe(true);
    registerLogBackends();
    const store = await createLogStore({ type: 'sqlite', directory: join(project, 'logs') });
    const messages = await store.read('messages', 'cut-twice');
    await store.close();
    expect(messages.map((entry) => (entry.data.message as { role: string }).role)).toEqual(['system', 'user']);
  }, 90_000);

  it('replay shows control characters from the log as visible escapes, never raw', async () => {
    const project = templateCopy('init_template');
    registerLogBackends();
    const store = await createLogStore({ type: 'sqlite', directory: join(project, 'logs') });
    const hostile = 'ok\u001b[2J\u001b[H\u001b]0;owned\u0007\u009b31m';
    store.write('dialogs', 'hostile', { dialogId: 'd1', branch: 'root', forkIndex: 0, createdAt: 1 });
    store.write('messages', 'hostile', { dialogId: 'd1', index: 0, message: { role: 'assistant', content: hostile, creator: 'agent' } });
    store.write('messages', 'bad\u001b]0;name\u0007', {
      dialogId: 'd1',
      index: 0,
      message: { role: 'user', content: 'x', creator: 'user' },
    });
    await store.close();
    const shown = await lllm(['replay', 'hostile'], project);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('ok\\e[2J\\e[H\\e]0;owned\\x07\\x9b31m');
    const listed = await lllm(['replay'], project);
    expect(listed.stdout).toContain('bad\\e]0;name\\x07');
    for (const output of [shown.stdout, listed.stdout]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
      expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    }
  }, 60_000);
});
