// `log_type: localfile` reads a session as the Python LLLM (f810ffb) writes it and writes files its
// reader understands. The Python-side folder is made by `writeAsUpstream` below, which follows
// upstream's writer step by step (lllm/log.py `LocalFileLog.write`, lllm/llm.py `Dialog.__post_init__`
// and `Dialog.append`, lllm/models.py `Message.metadata_log`, lllm/utils.py `StreamWrapper.log`).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, createLogStore, type LogStore, registerModelCard } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt } from '@lllm/prompts';
import { afterAll, describe, expect, it } from 'vitest';
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

/** Python's `datetime.now().isoformat()` for a given local time: microseconds, left out when 0. */
function isoformat(date: Date, micro: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
  return micro === 0 ? base : `${base}.${p(micro, 6)}`;
}

/** Upstream's `Message` dataclass fields as `asdict` lists them, minus what `metadata_log` pops. */
interface PyMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'tool_call';
  content: string;
  creator: string;
  modality?: 'text' | 'image' | 'function_call';
  logprobs?: unknown[];
  parsed?: Record<string, unknown>;
  model?: string | null;
  usage?: Record<string, unknown>;
  model_args?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  _errors?: string[];
  _attempts?: PyMessage[];
}

function metadataLog(message: PyMessage): Record<string, unknown> {
  return {
    role: message.role,
    creator: message.creator,
    modality: message.modality ?? 'text',
    logprobs: message.logprobs ?? [],
    parsed: message.parsed ?? {},
    model: message.model ?? null,
    usage: message.usage ?? {},
    model_args: message.model_args ?? {},
    extra: message.extra ?? {},
    _errors: message._errors ?? [],
    _attempts: (message._attempts ?? []).map((attempt) => ({ content: attempt.content, ...metadataLog(attempt) })),
  };
}

/** A Python system's session, written file by file as upstream's `LocalFileLog` does. */
class UpstreamWriter {
  #clock: Date;
  #micro = 250_000;
  constructor(
    readonly logDir: string,
    readonly systemName: string,
    readonly session: string,
  ) {
    this.#clock = new Date(2025, 10, 27, 9, 30, 0);
  }
  get baseDir(): string {
    return join(this.logDir, `${this.systemName}_default`);
  }
  /** `LocalFileLog.write(key=timestamp, value, metadata, collection, session_name)`. */
  #write(collection: string, sessionName: string, value: unknown, metadata: Record<string, unknown>): void {
    this.#micro += 137_001;
    if (this.#micro >= 1_000_000) {
      this.#clock = new Date(this.#clock.getTime() + 1000);
      this.#micro -= 1_000_000;
    }
    const key = isoformat(this.#clock, this.#micro);
    const folder = join(this.baseDir, collection, sessionName);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${key}.json`), JSON.stringify({ timestamp: key, value, metadata }, null, 4));
  }
  /** `Dialog.__post_init__`: a dialog id logged in `dialogs/<session>`, messages in `messages/<session>/<id>`. */
  dialog(id: string, parent: string | null = null): { append(message: PyMessage): void } {
    this.#write('dialogs', this.session, id, { parent_dialog: parent });
    return {
      append: (message: PyMessage) => {
        const withId = { ...message, extra: { ...(message.extra ?? {}), dialog_id: id } };
        this.#write('messages', `${this.session}/${id}`, message.content, metadataLog(withId));
      },
    };
  }
  /** `StreamWrapper.log(msg, type)`. */
  frontend(text: string, type: string): void {
    this.#write('frontend', this.session, text, { type });
  }
}

function pythonSession(logDir: string): UpstreamWriter {
  const writer = new UpstreamWriter(logDir, 'default', 'task_20251127_093000');
  writer.frontend('Working on: population gap', 'write');
  const root = writer.dialog('3f1c0c5e9a2b4d7f8e6a1b2c3d4e5f60');
  root.append({ role: 'system', content: 'You are a careful analyst.', creator: 'system' });
  root.append({ role: 'user', content: 'How many more people live in Tokyo than in Paris?', creator: 'user' });
  root.append({
    role: 'assistant',
    content: '<answer>About 12 million.</answer>',
    creator: 'vanilla',
    model: 'o4-mini-2025-04-16',
    parsed: { raw: '<answer>About 12 million.</answer>', xml_tags: { answer: ['About 12 million.'] }, md_tags: {}, signal_tags: {} },
    usage: {
      completion_tokens: 400,
      prompt_tokens: 13584,
      total_tokens: 13984,
      completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 128, rejected_prediction_tokens: 0 },
      prompt_tokens_details: { audio_tokens: 0, cached_tokens: 1024 },
    },
    model_args: { temperature: 1, max_completion_tokens: 20000 },
    _errors: ['Missing required tag: answer'],
    _attempts: [{ role: 'assistant', content: 'About 12 million.', creator: 'vanilla', model: 'o4-mini-2025-04-16' }],
  });
  const fork = writer.dialog('9a8b7c6d5e4f30211f0e0d0c0b0a0908', '3f1c0c5e9a2b4d7f8e6a1b2c3d4e5f60');
  fork.append({ role: 'user', content: 'And Tokyo alone?', creator: 'user' });
  writer.frontend('## Result\nAbout 12 million.', 'markdown');
  writer.frontend('print(37.4 - 2.1)', 'code');
  writer.frontend('balloons', 'balloons');
  return writer;
}

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
