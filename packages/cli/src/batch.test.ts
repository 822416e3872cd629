// `lllm batch` as a real process against the local wire server through the real openai SDK: results,
// progress, bad input, and kill -9 mid-batch then resume (every input exactly once in the results
// and the SQLite log).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { batchSession, createLogStore } from '@lllm/core';
import { registerLogBackends } from '@lllm/log';
import { type CapturedRequest, chatCompletion, serveBatchApis, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine } from './batch.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const temps: string[] = [];
let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
  for (const folder of temps) rmSync(folder, { recursive: true, force: true });
});

const TACTIC = `import { defineTactic } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

export const echo = defineTactic({
  name: 'echo',
  agents: ['echoer'],
  async run(input: { text: string }, { agents }) {
    const echoer = agents.echoer;
    if (!echoer) throw new Error('no echoer');
    const { parsed } = await echoer.ask(getPrompt('vanilla/task_query'), { task: input.text });
    return (parsed as { xmlTags: { answer: string[] } }).xmlTags.answer[0];
  },
});
`;

const SHOUT = `import { defineTactic } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

export const shout = defineTactic({
  name: 'shout',
  agents: ['echoer'],
  async run(task: string, { agents }) {
    const { parsed } = await agents.echoer!.ask(getPrompt('vanilla/task_query'), { task: task.toUpperCase() });
    return (parsed as { xmlTags: { answer: string[] } }).xmlTags.answer[0];
  },
});
`;

const CONFIG = `name: echo
log_type: sqlite
log_dir: logs
agent_type: echo
agent_configs:
  echoer:
    model_name: gpt-4o-mini
    system_prompt_path: vanilla/system
    api_type: completion
max_exception_retry: 1
max_llm_recall: 0
`;

/** A copy of the init template with an `echo` tactic and its config, inside the repository. */
function project(inputs: number): string {
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, 'batch-'));
  temps.push(folder);
  cpSync(join(repo, 'templates', 'init_template'), folder, {
    recursive: true,
    filter: (path) => !/[/\\](logs|node_modules)([/\\]|$)/.test(path),
  });
  symlinkSync(join(repo, 'templates', 'init_template', 'node_modules'), join(folder, 'node_modules'), 'dir');
  writeFileSync(join(folder, 'agents', 'echo.ts'), TACTIC);
  // A [tactics] section of its own: importing the module registers the tactic (defineTactic).
  mkdirSync(join(folder, 'tactics'), { recursive: true });
  writeFileSync(join(folder, 'tactics', 'shout.ts'), SHOUT);
  writeFileSync(join(folder, 'lllm.toml'), `${readFileSync(join(folder, 'lllm.toml'), 'utf8')}\n[tactics]\nfolders = ["tactics"]\n`);
  mkdirSync(join(folder, 'config', 'echo'), { recursive: true });
  writeFileSync(join(folder, 'config', 'echo', 'default.yaml'), CONFIG);
  mkdirSync(join(folder, 'config', 'shout'), { recursive: true });
  writeFileSync(
    join(folder, 'config', 'shout', 'default.yaml'),
    CONFIG.replace('name: echo', 'name: shout').replace('agent_type: echo', 'agent_type: shout'),
  );
  writeFileSync(
    join(folder, 'items.jsonl'),
    Array.from({ length: inputs }, (_, index) => JSON.stringify({ text: `item ${index}` })).join('\n'),
  );
  return folder;
}

function start(
  args: string[],
  cwd: string,
): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'LLLM_CONFIG'].includes(key)) env[key] = value;
  }
  env.OPENAI_BASE_URL = server.openaiBaseURL;
  const child = spawn(process.execPath, ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'bin-source.ts'), ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Echo the task back after `delayMs`; usage 1,000 in / 10 out. */
function echoing(delayMs: number) {
  return (request: CapturedRequest) => {
    const messages = (request.body as { messages: { content: string }[] }).messages;
    const task = /Task: (.*)/.exec(messages.at(-1)?.content ?? '')?.[1] ?? '?';
    return {
      json: chatCompletion({ content: `<answer>echo ${task}</answer>`, usage: { prompt_tokens: 1000, completion_tokens: 10 } }),
      delayMs,
    };
  };
}

interface ResultLine {
  index: number;
  ok: boolean;
  value?: string;
  resumed: boolean;
  costUsd: number;
}

const lines = (text: string): ResultLine[] =>
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ResultLine);

describe('lllm batch', () => {
  it('runs one tactic call per input line, writes JSONL results and shows progress on stderr', async () => {
    server.reset();
    server.respondAlways('/v1/chat/completions', echoing(20));
    const folder = project(12);
    const { done } = start(['batch', 'echo', '--input', 'items.jsonl', '--output', 'results.jsonl', '--concurrency', '4'], folder);
    const result = await done;
    expect(result.stderr).toMatch(/lllm: batch echo-[0-9a-f]+: 12 inputs/);
    expect(result.stderr).toContain('done 12');
    expect(result.stderr).toMatch(/12 succeeded, 0 failed or skipped, spent \$0\.00/);
    expect(result.code).toBe(0);
    const results = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'));
    expect(results.map((line) => line.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index));
    for (const line of results) expect(line).toMatchObject({ ok: true, value: `echo item ${line.index}` });
    expect(server.requestsTo('/v1/chat/completions')).toHaveLength(12);
  }, 90_000);

  it('reports a bad input line by number, and bad flags as usage errors', async () => {
    const folder = project(2);
    writeFileSync(join(folder, 'bad.jsonl'), '{"text": "ok"}\n{text: nope}\n');
    const bad = await start(['batch', 'echo', '--input', 'bad.jsonl'], folder).done;
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.jsonl:2 is not JSON .*"\{text: nope\}"/);
    const flags = await start(['batch', 'echo', '--input', 'items.jsonl', '--concurrency', 'many'], folder).done;
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--concurrency takes a whole number >= 1, got "many"');
  }, 90_000);

  it('kill -9 mid-batch, then the same command again: every input exactly once in the results and the log', async () => {
    server.reset();
    server.respondAlways('/v1/chat/completions', echoing(150));
    const folder = project(40);
    const args = ['batch', 'echo', '--input', 'items.jsonl', '--output', 'results.jsonl', '--concurrency', '4'];
    const first = start(args, folder);
    // Wait until some calls have finished (and been saved), then kill without warning.
    for (let waited = 0; server.requestsTo('/v1/chat/completions').length < 14 && waited < 60_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const sentBefore = server.requestsTo('/v1/chat/completions').length;
    const partial = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(40);

    const second = await start(args, folder).done;
    expect(second.code).toBe(0);
    const results = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'));
    expect(results.map((line) => line.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, index) => index));
    for (const line of results) expect(line).toMatchObject({ ok: true, value: `echo item ${line.index}` });
    const resumed = results.filter((line) => line.resumed).length;
    expect(resumed).toBeGreaterThanOrEqual(partial.length);
    // Paid again for at most the calls in flight at the kill (the concurrency).
    const sentTotal = server.requestsTo('/v1/chat/completions').length;
    expect(sentTotal - 40).toBeLessThanOrEqual(4);
    expect(sentTotal - sentBefore).toBe(40 - resumed);

    registerLogBackends();
    const id = /lllm: batch (\S+): 40 inputs/.exec(second.stderr)?.[1] ?? '';
    const log = await createLogStore({ type: 'sqlite', directory: join(folder, 'logs') });
    const stored = (await log.read('messages', batchSession(id))).filter((entry) => entry.data.event === 'batch-outcome');
    await log.close();
    const indexes = stored.map((entry) => entry.data.index as number).sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: 40 }, (_, index) => index));
  }, 120_000);
});

describe("lllm batch and the providers' rate-limit headers", () => {
  it('an exhausted x-ratelimit-remaining-requests holds every call until its reset', async () => {
    server.reset();
    let served = 0;
    const echo = echoing(5);
    server.respondAlways('/v1/chat/completions', (request) => {
      served += 1;
      const reply = echo(request);
      return served === 1
        ? {
            ...reply,
            headers: { 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' },
          }
        : reply;
    });
    const folder = project(4);
    const result = await start(['batch', 'echo', '--input', 'items.jsonl', '--concurrency', '1', '--quiet'], folder).done;
    expect(result.code).toBe(0);
    const arrivals = server.requestsTo('/v1/chat/completions').map((request) => request.receivedAt);
    expect(arrivals).toHaveLength(4);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(1_400);
    expect((arrivals[3] ?? 0) - (arrivals[1] ?? 0)).toBeLessThan(1_400);
  }, 90_000);
});

describe('lllm batch --provider-batch', () => {
  it('sends the calls as one OpenAI Batch API job and writes every result', async () => {
    server.reset();
    const apis = serveBatchApis(server, { processingMs: 50 });
    server.respondAlways('/v1/chat/completions', echoing(5));
    const folder = project(6);
    const result = await start(
      ['batch', 'echo', '--input', 'items.jsonl', '--output', 'results.jsonl', '--provider-batch', '--poll-ms', '20'],
      folder,
    ).done;
    expect(result.stderr).toContain('6 succeeded');
    expect(result.code).toBe(0);
    expect(apis.openaiBatches.size).toBe(1);
    expect([...apis.openaiBatches.values()][0]).toMatchObject({ status: 'completed', request_counts: { total: 6, completed: 6 } });
    const results = lines(readFileSync(join(folder, 'results.jsonl'), 'utf8'));
    expect(results.map((line) => line.value).sort()).toEqual(Array.from({ length: 6 }, (_, index) => `echo item ${index}`).sort());
  }, 90_000);
});

describe('lllm run with a tactic', () => {
  it('runs a tactic from a [tactics] folder named by agent_type as it runs an agent system, with the tactic session logged', async () => {
    server.reset();
    server.respondAlways('/v1/chat/completions', echoing(5));
    const folder = project(1);
    const result = await start(['run', 'hello there', '--config', 'shout', '--session', 'shout-1'], folder).done;
    expect(result.stderr).not.toContain('internal error');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"echo HELLO THERE"');
    registerLogBackends();
    const log = await createLogStore({ type: 'sqlite', directory: join(folder, 'logs') });
    const summaries = (await log.read('messages', 'shout-1')).filter((entry) => entry.data.event === 'tactic-session');
    await log.close();
    expect(summaries[0]?.data).toMatchObject({ tactic: 'shout', state: 'success', calls: 1, requests: 1 });
  }, 90_000);
});

describe('progressLine', () => {
  it('shows done, failed, in flight, tokens, cost and ETA', () => {
    expect(
      progressLine(
        { id: 'b', total: 10, done: 4, failed: 1, inFlight: 2, skipped: 0, resumed: 3, tokens: 1234, spentUsd: 0.0123, etaMs: 65_000 },
        10,
      ),
    ).toBe('[#####.....] 5/10  done 4  failed 1  in flight 2  resumed 3  tokens 1234  $0.0123  ETA 1m05s');
  });
});
