import type { KernelMessage } from '@jupyterlab/services';
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
    if (this.streamChars + piece.length > this.maxChars) {
      piece = `${piece.slice(0, Math.max(0, this.maxChars - this.streamChars))}\n[LLLM: output truncated after ${this.maxChars} characters]\n`;
      this.truncated = true;
    }
    this.streamChars += piece.length;
    const last = this.items[this.items.length - 1];
    if (last && last.output_type === 'stream' && last.name === name) {
      this.items[this.items.length - 1] = { ...last, text: last.text + piece };
    } else {
      this.items.push({ output_type: 'stream', name, text: piece });
    }
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

/** A plain-text rendering of outputs for a model (colours stripped, progress bars collapsed). */
export function formatOutputs(outputs: readonly CellOutput[]): string {
  return outputs
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
}

/** Keep the head and tail of a long text, saying how much was left out. */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor(maxChars * 0.6);
  const tail = maxChars - head;
  return `${text.slice(0, head)}\n[… ${text.length - maxChars} characters left out …]\n${text.slice(text.length - tail)}`;
}
