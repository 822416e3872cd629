// A session as the Python LLLM (f810ffb) writes it with `log_type: localfile`, file by file, following
// upstream's writer: lllm/log.py `LocalFileLog.write` (`<log_dir>/<name>_default/<collection>/<session>/
// <timestamp>.json` holding `{ timestamp, value, metadata }`, indent 4), lllm/llm.py `Dialog.__post_init__`
// (the dialog id into `dialogs/<session>`, messages into `messages/<session>/<dialog_id>`) and
// `Dialog.append`, lllm/models.py `Message.metadata_log` (asdict minus content, raw_response and
// function_calls; parsed, modality, role, _errors, _attempts), lllm/utils.py `StreamWrapper.log`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Python's `datetime.now().isoformat()` for a given local time: microseconds, left out when 0. */
function isoformat(date: Date, micro: number): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const base = `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
  return micro === 0 ? base : `${base}.${p(micro, 6)}`;
}

/** Upstream's `Message` dataclass fields as `asdict` lists them, minus what `metadata_log` pops. */
export interface PyMessage {
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
export class UpstreamWriter {
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

/** The session the tests replay: a system prompt, a question, a parsed reply with usage and a pruned attempt, a fork, frontend events. */
export function pythonSession(logDir: string): UpstreamWriter {
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
