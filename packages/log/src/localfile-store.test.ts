// `log_type: localfile` reads a session as the Python LLLM (f810ffb) writes it and writes files its
// reader understands. The Python-side folder is made by `__fixtures__/upstream-log.ts`, which follows
// upstream's writer step by step.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, createLogStore, type LogStore, registerModelCard } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt } from '@lllm/prompts';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonSession, UpstreamWriter } from './__fixtures__/upstream-log.js';
import { registerLogBackends } from './backends.js';
import { LocalFileLogStore } from './localfile-store.js';
import { ReplaySession, renderTranscript } from './replay.js';

const folders: string[] = [];
function tempDir(): string {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-localfile-'));
  folders.push(folder);
  return folder;
}
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('localfile: a session a Python system wrote', () => {
  it('replays with its dialogs, fork, messages, usage, attempts and frontend events, found under <log_dir>/<name>_default', async () => {
    const logDir = tempDir();
    const writer = pythonSession(logDir);
    registerLogBackends();
    const store = await createLogStore({ type: 'localfile', directory: logDir });
    expect((store as LocalFileLogStore).root).toBe(writer.baseDir);
    expect((await store.sessions()).map((info) => info.session)).toEqual(['task_20251127_093000']);
    // Priced by the card of the snapshot upstream logged (o4-mini's prices, as @lllm/openai registers them).
    registerModelCard({
      name: 'o4-mini',
      provider: 'openai',
      snapshots: ['o4-mini-2025-04-16'],
      features: {},
      pricing: { input: 1.1, cachedInput: 0.275, output: 4.4 },
    });
    const replay = await ReplaySession.load(store, 'task_20251127_093000');
    expect(replay.dialogs.map((dialog) => dialog.id)).toEqual(['3f1c0c5e9a2b4d7f8e6a1b2c3d4e5f60', '9a8b7c6d5e4f30211f0e0d0c0b0a0908']);
    const [root, fork] = replay.dialogs;
    expect(fork?.parentId).toBe(root?.id);
    expect(root?.children.map((child) => child.id)).toEqual([fork?.id]);
    expect(root?.messages.map((entry) => [entry.index, entry.message.role, entry.message.creator])).toEqual([
      [0, 'system', 'system'],
      [1, 'user', 'user'],
      [2, 'assistant', 'vanilla'],
    ]);
    const reply = root?.messages[2]?.message;
    expect(reply?.content).toBe('<answer>About 12 million.</answer>');
    expect(reply?.usage).toEqual({ inputTokens: 12560, cachedInputTokens: 1024, outputTokens: 400, reasoningTokens: 128 });
    expect(reply?.model).toBe('o4-mini-2025-04-16');
    expect(reply?.attempts.map((attempt) => [attempt.kind, attempt.error, attempt.message?.content])).toEqual([
      ['parse', 'Missing required tag: answer', 'About 12 million.'],
    ]);
    expect((reply?.extra.upstream as { model_args?: unknown } | undefined)?.model_args).toEqual({
      temperature: 1,
      max_completion_tokens: 20000,
    });
    // 12,560 × $1.10 + 1,024 × $0.275 + 400 × $4.40 per 1M.
    expect(replay.cost.known).toBe(true);
    expect(replay.cost.totalUsd).toBeCloseTo((12560 * 1.1 + 1024 * 0.275 + 400 * 4.4) / 1e6, 9);
    expect(replay.frontend).toEqual([
      { type: 'write', text: 'Working on: population gap' },
      { type: 'markdown', text: '## Result\nAbout 12 million.' },
      { type: 'code', code: 'print(37.4 - 2.1)' },
      { type: 'write', text: 'balloons', upstreamType: 'balloons' },
    ]);
    // Activities interleave in the order upstream's timestamps give.
    expect(replay.activities.map((activity) => activity.kind)).toEqual([
      'frontend',
      'dialog',
      'message',
      'message',
      'message',
      'dialog',
      'message',
      'frontend',
      'frontend',
      'frontend',
    ]);
    const transcript = renderTranscript(replay);
    expect(transcript).toContain('How many more people live in Tokyo than in Paris?');
    expect(transcript).toContain('And Tokyo alone?');
    await store.close();
  });

  it('log_options.base picks one system when log_dir holds several; without it the error names them', async () => {
    const logDir = tempDir();
    pythonSession(logDir);
    new UpstreamWriter(logDir, 'other', 'x').frontend('hi', 'write');
    expect(() => new LocalFileLogStore({ directory: logDir })).toThrow(
      /"default_default", "other_default"|"other_default", "default_default"/,
    );
    expect(() => new LocalFileLogStore({ directory: logDir, base: '../elsewhere' })).toThrow(
      'log_options.base "../elsewhere" is not a folder name',
    );
    expect(() => new LocalFileLogStore({ directory: logDir, base: 7 as unknown as string })).toThrow('log_options.base 7');
    const store = new LocalFileLogStore({ directory: logDir, base: 'other_default' });
    expect((await store.sessions()).map((info) => info.session)).toEqual(['x']);
    await store.close();
  });
});

describe('localfile: what we write, upstream reads', () => {
  it('an agent call lands as upstream files (dialog ids, per-dialog message folders, value/metadata) and replays exactly', async () => {
    const logDir = tempDir();
    const store: LogStore = new LocalFileLogStore({ directory: logDir, base: 'default_default' });
    const system = new Prompt({ path: 'demo/system', prompt: 'You answer briefly.' });
    const invoker = createScriptedInvoker([{ content: 'Rome.' }]);
    const agent = new Agent({ name: 'vanilla', systemPrompt: system, model: 'gpt-4o-mini', invoker, log: store, session: 'ts-run' });
    const dialog = agent.initDialog({});
    dialog.sendMessage('Capital of Italy?');
    await agent.call(dialog);
    store.write('frontend', 'ts-run', { type: 'markdown', text: '**Rome.**' });
    await store.close();

    const base = join(logDir, 'default_default');
    const dialogFiles = readdirSync(join(base, 'dialogs', 'ts-run'));
    expect(dialogFiles.length).toBeGreaterThan(0);
    const dialogRecord = JSON.parse(readFileSync(join(base, 'dialogs', 'ts-run', dialogFiles[0] as string), 'utf8'));
    expect(Object.keys(dialogRecord).sort()).toEqual(['metadata', 'timestamp', 'value']);
    expect(dialogRecord.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(dialogFiles[0]).toBe(`${dialogRecord.timestamp}.json`);
    const messageFolder = join(base, 'messages', 'ts-run', dialogRecord.value);
    const messages = readdirSync(messageFolder)
      .sort()
      .map((file) => JSON.parse(readFileSync(join(messageFolder, file), 'utf8')));
    expect(messages.map((record) => [record.metadata.role, record.value])).toEqual([
      ['system', 'You answer briefly.'],
      ['user', 'Capital of Italy?'],
      ['assistant', 'Rome.'],
    ]);
    expect(messages[2].metadata.extra.dialog_id).toBe(dialogRecord.value);
    const frontend = readdirSync(join(base, 'frontend', 'ts-run')).map((file) =>
      JSON.parse(readFileSync(join(base, 'frontend', 'ts-run', file), 'utf8')),
    );
    expect(frontend.map((record) => [record.value, record.metadata.type])).toEqual([['**Rome.**', 'markdown']]);

    const reopened = new LocalFileLogStore({ directory: logDir });
    const replay = await ReplaySession.load(reopened, 'ts-run');
    expect(replay.dialogs[0]?.messages.map((entry) => entry.message.content)).toEqual([
      'You answer briefly.',
      'Capital of Italy?',
      'Rome.',
    ]);
    expect(replay.frontend).toEqual([{ type: 'markdown', text: '**Rome.**' }]);
    await reopened.close();
  });
});
