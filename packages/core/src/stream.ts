import type { LogSession } from './log-store.js';
import { redactString } from './redact.js';
import { StreamRedactor } from './redact-stream.js';
import { escapeControlCharacters } from './terminal-text.js';

/** Untrusted text as printed: secrets redacted, control characters shown as escapes. */
const shown = (text: string): string => escapeControlCharacters(redactString(text));

/** A frontend event: what a `Stream` shows and what lands in the session's `frontend` log. */
export type StreamEvent =
  | { readonly type: 'write'; readonly text: string }
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'markdown'; readonly text: string }
  | { readonly type: 'code'; readonly code: string; readonly language?: string }
  | { readonly type: 'spinner-start'; readonly id: number; readonly label: string }
  | { readonly type: 'spinner-stop'; readonly id: number; readonly label: string; readonly outcome: 'success' | 'failure' | 'cancelled' }
  | { readonly type: 'progress'; readonly id: number; readonly label: string; readonly current: number; readonly total: number }
  | { readonly type: 'divider'; readonly title?: string }
  | { readonly type: 'expander'; readonly title: string; readonly body: string }
  | { readonly type: 'error'; readonly message: string };

/** A running spinner. */
export interface SpinnerHandle {
  /** Change the label while it spins. */
  update(label: string): void;
  /** Stop it; `outcome` is shown (✓ / ✗). */
  stop(outcome?: 'success' | 'failure' | 'cancelled', label?: string): void;
}

/** A progress bar. */
export interface ProgressHandle {
  /** Move forward by `step` (default 1). */
  advance(step?: number): void;
  /** Jump to a value. */
  set(current: number): void;
  /** Complete it. */
  done(): void;
}

/**
 * The frontend of an agent run. Every method both shows something (or not, when silent) and logs
 * the event to the session's `frontend` collection.
 */
export interface Stream {
  /** Plain text. */
  write(text: string): void;
  /**
   * A piece of a streaming model reply. What is shown and logged is redacted across pieces: the end of
   * the text is held back while it could still be part of a secret, until `textEnd()` or the next event.
   */
  textDelta(text: string): void;
  /** The streaming reply ended (or broke off): show and log what `textDelta` held back. */
  textEnd?(): void;
  /** Markdown text. */
  markdown(text: string): void;
  /** A code block. */
  code(code: string, language?: string): void;
  /** Start a spinner. */
  spinner(label: string): SpinnerHandle;
  /** Start a progress bar over `total` steps. */
  progress(label: string, total: number): ProgressHandle;
  /** A horizontal rule, optionally titled. */
  divider(title?: string): void;
  /** A collapsible section (shown collapsed in a terminal: its title and first line). */
  expander(title: string, body: string): void;
  /** An error. */
  error(error: unknown): void;
  /** Every event emitted so far, in order, as it was given (text deltas in their pieces, not redacted). */
  readonly events: readonly StreamEvent[];
}

/** Where a console stream writes: anything with `write(string)` and optionally `isTTY`. */
export interface StreamOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ConsoleStreamOptions {
  /** Default: `process.stdout`. */
  readonly output?: StreamOutput;
  /** Show nothing; events are still recorded and logged. */
  readonly silent?: boolean;
  /** Log events to this session's `frontend` collection. */
  readonly log?: LogSession;
  /** Use ANSI colours (default: when the output is a TTY and `NO_COLOR` is unset). */
  readonly color?: boolean;
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A `Stream` for terminals: colours and animated spinners on a TTY, plain lines otherwise. Control
 * characters in what it shows (model text, labels, errors) are printed as visible escapes, never
 * obeyed; the `frontend` log keeps the text as it was, secrets aside. Streamed text is redacted across
 * pieces (a `StreamRedactor`): it is shown and logged as `text-delta` events as it is released.
 */
export class ConsoleStream implements Stream {
  readonly #output: StreamOutput | undefined;
  readonly #silent: boolean;
  readonly #log: LogSession | undefined;
  readonly #color: boolean;
  readonly #events: StreamEvent[] = [];
  readonly #heldText = new StreamRedactor();
  #nextId = 1;
  #midLine = false;

  constructor(options: ConsoleStreamOptions = {}) {
    this.#silent = options.silent ?? false;
    this.#output = options.output ?? (typeof process === 'undefined' ? undefined : process.stdout);
    this.#log = options.log;
    this.#color = options.color ?? (Boolean(this.#output?.isTTY) && !process.env.NO_COLOR);
  }

  get events(): readonly StreamEvent[] {
    return this.#events;
  }

  #emit(event: StreamEvent): void {
    this.textEnd();
    this.#events.push(event);
    this.#log?.store.write('frontend', this.#log.session, { ...event });
  }

  /** Show and log streamed text that redaction released (already redacted). */
  #showText(text: string): void {
    if (text.length === 0) return;
    this.#log?.store.write('frontend', this.#log.session, { type: 'text-delta', text });
    if (this.#silent || !this.#output) return;
    this.#output.write(escapeControlCharacters(text));
    this.#midLine = !text.endsWith('\n');
  }

  #print(text: string): void {
    if (this.#silent || !this.#output) return;
    if (this.#midLine) {
      this.#output.write('\n');
      this.#midLine = false;
    }
    this.#output.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  #paint(code: number, text: string): string {
    return this.#color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  write(text: string): void {
    this.#emit({ type: 'write', text });
    this.#print(shown(text));
  }

  textDelta(text: string): void {
    this.#events.push({ type: 'text-delta', text });
    this.#showText(this.#heldText.push(text));
  }

  textEnd(): void {
    if (this.#heldText.held > 0) this.#showText(this.#heldText.flush());
  }

  markdown(text: string): void {
    this.#emit({ type: 'markdown', text });
    this.#print(shown(text).replace(/^(#{1,6}) (.*)$/gm, (_, hashes: string, title: string) => this.#paint(1, `${hashes} ${title}`)));
  }

  code(code: string, language?: string): void {
    this.#emit(language === undefined ? { type: 'code', code } : { type: 'code', code, language });
    this.#print(`${this.#paint(2, `\`\`\`${shown(language ?? '')}`)}\n${shown(code)}\n${this.#paint(2, '```')}`);
  }

  spinner(label: string): SpinnerHandle {
    const id = this.#nextId++;
    let current = label;
    let stopped = false;
    this.#emit({ type: 'spinner-start', id, label });
    const animate = !this.#silent && Boolean(this.#output?.isTTY);
    let frame = 0;
    const timer = animate
      ? setInterval(() => {
          frame = (frame + 1) % SPINNER_FRAMES.length;
          this.#output?.write(`\r${this.#paint(36, SPINNER_FRAMES[frame] ?? '')} ${shown(current)}\u001b[K`);
        }, 80)
      : undefined;
    timer?.unref?.();
    if (animate) {
      this.#output?.write(`${this.#paint(36, SPINNER_FRAMES[0] ?? '')} ${shown(current)}`);
      this.#midLine = true;
    } else this.#print(`… ${shown(label)}`);
    return {
      update: (next) => {
        current = next;
      },
      stop: (outcome = 'success', finalLabel) => {
        if (stopped) return;
        stopped = true;
        if (timer) clearInterval(timer);
        const text = finalLabel ?? current;
        this.#emit({ type: 'spinner-stop', id, label: text, outcome });
        const mark = outcome === 'success' ? this.#paint(32, '✓') : outcome === 'failure' ? this.#paint(31, '✗') : '-';
        if (animate) {
          this.#output?.write(`\r${mark} ${shown(text)}\u001b[K\n`);
          this.#midLine = false;
        } else this.#print(`${mark} ${shown(text)}`);
      },
    };
  }

  progress(label: string, total: number): ProgressHandle {
    const id = this.#nextId++;
    let current = 0;
    const show = () => {
      this.#emit({ type: 'progress', id, label, current, total });
      const width = 20;
      const filled = total > 0 ? Math.round((current / total) * width) : width;
      this.#print(`${shown(label)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${current}/${total}`);
    };
    show();
    return {
      advance: (step = 1) => {
        current = Math.min(total, current + step);
        show();
      },
      set: (value) => {
        current = Math.max(0, Math.min(total, value));
        show();
      },
      done: () => {
        current = total;
        show();
      },
    };
  }

  divider(title?: string): void {
    this.#emit(title === undefined ? { type: 'divider' } : { type: 'divider', title });
    this.#print(this.#paint(2, title ? `── ${shown(title)} ${'─'.repeat(Math.max(3, 60 - title.length))}` : '─'.repeat(64)));
  }

  expander(title: string, body: string): void {
    this.#emit({ type: 'expander', title, body });
    const lines = body.split('\n');
    const more = lines.length > 1 ? this.#paint(2, ` (+${lines.length - 1} lines)`) : '';
    this.#print(`▸ ${shown(title)}: ${shown(lines[0] ?? '')}${more}`);
  }

  error(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#emit({ type: 'error', message });
    this.#print(this.#paint(31, `✗ ${shown(message)}`));
  }
}

/** A stream that shows nothing and records events (tests, libraries). */
export function createSilentStream(log?: LogSession): ConsoleStream {
  return new ConsoleStream(log ? { silent: true, log } : { silent: true });
}
