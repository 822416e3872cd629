import { LllmError } from '@lllm/core';

/** What went wrong inside a sandbox. */
export type SandboxErrorKind =
  /** The Jupyter server could not be started, or stopped answering. */
  | 'server'
  /** A kernel could not be started, reached or restarted. */
  | 'kernel'
  /** A session (notebook or browser) was used after it was shut down or ended. */
  | 'closed'
  /** A saved notebook, session file or checkpoint is unreadable. */
  | 'corrupt'
  /** The browser could not be launched or driven. */
  | 'browser';

/**
 * A sandbox (Jupyter server, kernel, notebook file, browser) failed. Bad input from the caller is an
 * `InvalidArgumentError` instead; an unknown session id is a `NotFoundError`.
 */
export class SandboxError extends LllmError {
  readonly kind: SandboxErrorKind;

  constructor(message: string, fields: { kind: SandboxErrorKind; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.name = 'SandboxError';
    this.kind = fields.kind;
  }

  static override isInstance(value: unknown): value is SandboxError {
    return LllmError.isInstance(value) && value.name === 'SandboxError';
  }
}
