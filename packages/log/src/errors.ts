import { LllmError } from '@lllm/core';

/**
 * A log cannot be opened, read or written: a file that is not an LLLM log (or is corrupt), a folder
 * that cannot be created, a row of the wrong shape, a failed write. A user's problem to fix (the
 * message names the file and how), not a bug: the CLI reports it in one line.
 */
export class LogStoreError extends LllmError {
  /** The file or folder concerned. */
  readonly path: string;

  constructor(message: string, fields: { path: string; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.name = 'LogStoreError';
    this.path = fields.path;
  }

  static override isInstance(value: unknown): value is LogStoreError {
    return LllmError.isInstance(value) && value.name === 'LogStoreError';
  }
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `code` of a Node or SQLite error, when it has one. */
export function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}
