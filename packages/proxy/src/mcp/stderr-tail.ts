/**
 * Keeps the last lines a child process wrote to stderr, for error messages. Each line is redacted
 * before it is cut to length, so a cut never leaves half a secret that redaction no longer recognises.
 */
export class StderrTail {
  readonly #lines: string[] = [];
  readonly #maxLines: number;
  readonly #maxLineLength: number;
  readonly #redact: (line: string) => string;
  #partial = '';

  constructor(maxLines = 20, maxLineLength = 400, redact: (line: string) => string = (line) => line) {
    this.#maxLines = maxLines;
    this.#maxLineLength = maxLineLength;
    this.#redact = redact;
  }

  #cut(line: string): string {
    const redacted = this.#redact(line);
    return redacted.length > this.#maxLineLength ? `${redacted.slice(0, this.#maxLineLength)}…` : redacted;
  }

  /** Add a chunk of output; complete lines are kept (redacted), a trailing partial line waits for its end. */
  push(chunk: string): string[] {
    const text = this.#partial + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > this.#maxLineLength * 4) {
      parts.push(this.#partial);
      this.#partial = '';
    }
    const complete = parts.map((line) => this.#cut(line));
    for (const line of complete) {
      if (!line.trim()) continue;
      this.#lines.push(line);
      if (this.#lines.length > this.#maxLines) this.#lines.shift();
    }
    return complete;
  }

  /** The kept lines, the unfinished last line included. */
  lines(): string[] {
    const partial = this.#partial.trim() ? [this.#cut(this.#partial)] : [];
    return [...this.#lines, ...partial].slice(-this.#maxLines);
  }
}
