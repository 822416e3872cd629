import { createHash } from 'node:crypto';
import type { KernelMessage } from '@jupyterlab/services';
import { knownSecrets, redactSecrets, redactString } from '@lllm/core';
import type { CellOutput, MimeBundle } from './notebook.js';

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * Builds a cell's nbformat outputs from IOPub messages the way Jupyter front-ends do: consecutive
 * stream messages merge, `clear_output(wait=True)` clears at the next output, `update_display_data`
 * replaces the output with the same display id, and stream text past `maxChars` is cut once.
 */
export class OutputCollector {
  private readonly items: CellOutput[] = [];
  private readonly displayIds = new Map<string, number[]>();
  private clearPending = false;
  private streamChars = 0;
  private truncated = false;
  /** The execution count announced by `execute_input` or `execute_result`. */
  executionCount: number | null = null;

  constructor(private readonly maxChars = 500_000) {}

  get outputs(): readonly CellOutput[] {
    return this.items;
  }

  /** Add an output that did not come from the kernel (e.g. a notice that the kernel died). */
  push(output: CellOutput): void {
    this.flushClear();
    this.items.push(output);
  }

  handle(message: KernelMessage.IIOPubMessage): void {
    const content = record(message.content);
    switch (message.header.msg_type) {
      case 'execute_input':
        if (typeof content.execution_count === 'number') this.executionCount = content.execution_count;
        return;
      case 'stream':
        this.stream(content.name === 'stderr' ? 'stderr' : 'stdout', String(content.text ?? ''));
        return;
      case 'execute_result': {
        const count = typeof content.execution_count === 'number' ? content.execution_count : this.executionCount;
        this.executionCount = count;
        this.push({
          output_type: 'execute_result',
          execution_count: count,
          data: record(content.data),
          metadata: record(content.metadata),
        });
        return;
      }
      case 'display_data': {
        this.push({ output_type: 'display_data', data: record(content.data), metadata: record(content.metadata) });
        const displayId = record(content.transient).display_id;
        if (typeof displayId === 'string') {
          const indexes = this.displayIds.get(displayId) ?? [];
          indexes.push(this.items.length - 1);
          this.displayIds.set(displayId, indexes);
        }
        return;
      }
      case 'update_display_data': {
        const displayId = record(content.transient).display_id;
        if (typeof displayId !== 'string') return;
        for (const index of this.displayIds.get(displayId) ?? []) {
          const existing = this.items[index];
          if (existing && (existing.output_type === 'display_data' || existing.output_type === 'execute_result')) {
            this.items[index] = { ...existing, data: record(content.data) as MimeBundle, metadata: record(content.metadata) };
          }
        }
        return;
      }
      case 'error':
        this.push({
          output_type: 'error',
          ename: String(content.ename ?? ''),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        });
        return;
      case 'clear_output':
        if (content.wait === true) this.clearPending = true;
        else this.clear();
        return;
      default:
        return;
    }
  }

  private clear(): void {
    this.items.length = 0;
    this.displayIds.clear();
    this.clearPending = false;
    this.streamChars = 0;
    this.truncated = false;
  }

  private flushClear(): void {
    if (this.clearPending) this.clear();
  }

  private stream(name: 'stdout' | 'stderr', text: string): void {
    this.flushClear();
    if (this.truncated) return;
    let piece = text;
    const cut = this.streamChars + piece.length > this.maxChars;
    if (cut) piece = piece.slice(0, Math.max(0, this.maxChars - this.streamChars));
    this.streamChars += piece.length;
    const last = this.items[this.items.length - 1];
    const merge = last && last.output_type === 'stream' && last.name === name;
    let merged = merge ? last.text + piece : piece;
    if (cut) {
      // Redaction runs on whole texts later; a secret cut in half here would no longer be recognised.
      merged = `${withoutTrailingSecretPrefix(merged)}\n[LLLM: output truncated after ${this.maxChars} characters]\n`;
      this.truncated = true;
    }
    if (merge) this.items[this.items.length - 1] = { ...last, text: merged };
    else this.items.push({ output_type: 'stream', name, text: merged });
  }
}

/** `text` without a trailing start (4 characters or more) of a known secret. */
function withoutTrailingSecretPrefix(text: string): string {
  let result = text;
  for (const secret of knownSecrets()) {
    for (let length = Math.min(secret.length - 1, result.length); length >= 4; length--) {
      if (result.endsWith(secret.slice(0, length))) {
        result = result.slice(0, result.length - length);
        break;
      }
    }
  }
  return result;
}

/** MIME types whose values are text (the rest, such as `image/png`, are base64 data and left alone). */
function isTextMime(mime: string): boolean {
  return mime.startsWith('text/') || /[/+](?:json|xml)$/.test(mime) || mime === 'application/javascript' || mime === 'application/x-latex';
}

/** Redact one string; text hidden from the patterns by terminal colour codes loses its colours. */
function redactText(text: string, secrets: readonly string[]): string {
  const redacted = redactString(text, secrets);
  if (!redacted.includes('\u001b')) return redacted;
  const plain = stripAnsi(redacted);
  const plainRedacted = redactString(plain, secrets);
  return plainRedacted === plain ? redacted : plainRedacted;
}

function redactBundle(data: MimeBundle, secrets: readonly string[]): MimeBundle {
  let changed = false;
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(data)) {
    let next = value;
    if (isTextMime(mime)) {
      if (typeof value === 'string') next = redactText(value, secrets);
      else if (value !== null && typeof value === 'object') {
        next = redactSecrets(value, secrets);
        if (JSON.stringify(next) === JSON.stringify(value)) next = value;
      }
    }
    if (next !== value) changed = true;
    out[mime] = next;
  }
  return changed ? out : data;
}

/**
 * One output with secrets replaced by `[REDACTED]` (core's `redactString`/`redactSecrets`: values
 * given to `registerSecret`, `*_API_KEY`/`*_TOKEN`/… values of this process's environment, and
 * key-shaped text): stream text, text MIME types of `execute_result`/`display_data` (`text/plain`,
 * `text/html`, `application/json`, …) and their metadata, and an error's name, value and traceback.
 * Returns `output` itself when nothing changed.
 */
export function redactOutput(output: CellOutput, secrets: readonly string[] = knownSecrets()): CellOutput {
  switch (output.output_type) {
    case 'stream': {
      const text = redactText(output.text, secrets);
      return text === output.text ? output : { ...output, text };
    }
    case 'execute_result':
    case 'display_data': {
      const data = redactBundle(output.data, secrets);
      const redactedMetadata = redactSecrets(output.metadata, secrets);
      const metadata = JSON.stringify(redactedMetadata) === JSON.stringify(output.metadata) ? output.metadata : redactedMetadata;
      return data === output.data && metadata === output.metadata ? output : { ...output, data, metadata };
    }
    case 'error': {
      const ename = redactText(output.ename, secrets);
      const evalue = redactText(output.evalue, secrets);
      const traceback = output.traceback.map((line) => redactText(line, secrets));
      const same = ename === output.ename && evalue === output.evalue && traceback.every((line, i) => line === output.traceback[i]);
      return same ? output : { ...output, ename, evalue, traceback };
    }
  }
}

/** `redactOutput` over a list; returns `outputs` itself when nothing changed. */
export function redactOutputs(outputs: readonly CellOutput[], secrets: readonly string[] = knownSecrets()): readonly CellOutput[] {
  const redacted = outputs.map((output) => redactOutput(output, secrets));
  return redacted.every((output, i) => output === outputs[i]) ? outputs : redacted;
}

/**
 * Redacts output lists with the secrets known now, remembering what it already redacted so unchanged
 * outputs are not scanned again; a newly registered secret makes it scan everything once more.
 */
export class OutputRedactor {
  #redacted = new WeakSet<readonly CellOutput[]>();
  #redactedWith = '';

  /** `outputs` redacted with the secrets known now. */
  redact(outputs: readonly CellOutput[]): readonly CellOutput[] {
    const secrets = knownSecrets();
    // A digest, not the list: the session object may be logged or inspected.
    const fingerprint = createHash('sha256').update(secrets.join('\0')).digest('hex');
    if (fingerprint !== this.#redactedWith) {
      this.#redacted = new WeakSet();
      this.#redactedWith = fingerprint;
    }
    if (this.#redacted.has(outputs)) return outputs;
    const redacted = redactOutputs(outputs, secrets);
    this.#redacted.add(redacted);
    return redacted;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Remove terminal colour codes (tracebacks are coloured). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Apply carriage returns the way a terminal would, so progress bars collapse to their last state. */
export function applyCarriageReturns(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (!line.includes('\r')) return line;
      const parts = line.split('\r').filter((part) => part.length > 0);
      return parts[parts.length - 1] ?? '';
    })
    .join('\n');
}

function kilobytes(value: unknown): string {
  const length = typeof value === 'string' ? value.length : JSON.stringify(value ?? null).length;
  // base64 inflates by 4/3
  return `${(length / 1024).toFixed(1)} KB`;
}

/** A plain-text view of a MIME bundle for a model: text/plain, else markdown/HTML/JSON, and a note for images. */
export function describeBundle(data: MimeBundle): string {
  const parts: string[] = [];
  const images = Object.keys(data).filter((mime) => mime.startsWith('image/'));
  if (typeof data['text/plain'] === 'string' && !(images.length > 0 && /^<.*object>$/.test(data['text/plain'].trim()))) {
    parts.push(data['text/plain']);
  } else if (typeof data['text/markdown'] === 'string') {
    parts.push(data['text/markdown']);
  } else if (typeof data['text/html'] === 'string') {
    parts.push(`[text/html] ${data['text/html']}`);
  } else if (data['application/json'] !== undefined) {
    parts.push(JSON.stringify(data['application/json']));
  }
  for (const mime of images) parts.push(`[${mime} image, ${kilobytes(data[mime])}]`);
  if (parts.length === 0) parts.push(`[${Object.keys(data).join(', ') || 'empty output'}]`);
  return parts.join('\n');
}

/** A plain-text rendering of outputs for a model (colours stripped, progress bars collapsed, secrets redacted). */
export function formatOutputs(outputs: readonly CellOutput[]): string {
  const text = outputs
    .map((output) => {
      switch (output.output_type) {
        case 'stream':
          return output.name === 'stderr' ? `[stderr]\n${applyCarriageReturns(output.text)}` : applyCarriageReturns(output.text);
        case 'execute_result':
          return `Out[${output.execution_count ?? ' '}]: ${describeBundle(output.data)}`;
        case 'display_data':
          return describeBundle(output.data);
        default:
          return stripAnsi(output.traceback.length > 0 ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`);
      }
    })
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  return redactString(text);
}

/** Keep the head and tail of a long text, saying how much was left out. */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor(maxChars * 0.6);
  const tail = maxChars - head;
  return `${text.slice(0, head)}\n[… ${text.length - maxChars} characters left out …]\n${text.slice(text.length - tail)}`;
}
