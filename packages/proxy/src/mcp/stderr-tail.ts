/** Keeps the last lines a child process wrote to stderr, for error messages. */
export class StderrTail {
  readonly #lines: string[] = [];
  readonly #maxLines: number;
  readonly #maxLineLength: number;
  #partial = '';

  constructor(maxLines = 20, maxLineLength = 400) {
    this.#maxLines = maxLines;
    this.#maxLineLength = maxLineLength;
  }

  /** Add a chunk of output; complete lines are kept, a trailing partial line waits for its end. */
  push(chunk: string): string[] {
    const text = this.#partial + chunk;
    const parts = text.split(/\r?\n/);
    this.#partial = parts.pop() ?? '';
    if (this.#partial.length > this.#maxLineLength * 4) {
      parts.push(this.#partial);
      this.#partial = '';
    }
    const complete = parts.map((line) => (line.length > this.#maxLineLength ? `${line.slice(0, this.#maxLineLength)}…` : line));
    for (const line of complete) {
      if (!line.trim()) continue;
      this.#lines.push(line);
      if (this.#lines.length > this.#maxLines) this.#lines.shift();
    }
    return complete;
  }

  /** The kept lines, the unfinished last line included. */
  lines(): string[] {
    const partial = this.#partial.trim() ? [this.#partial.slice(0, this.#maxLineLength)] : [];
    return [...this.#lines, ...partial].slice(-this.#maxLines);
  }
}
