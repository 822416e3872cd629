import { LllmError } from '@lllm/core';

/**
 * A distributed batch cannot be queued, run or read: a bad Redis URL, an unreachable Redis, a batch
 * id that no queue knows, a bad option. A user's problem to fix (the message names the value and
 * how); the CLI reports it in one line.
 */
export class QueueError extends LllmError {
  /** The option or value concerned (`url`, `batchId`, `tactic`, `concurrency`, …). */
  readonly argument: string;

  constructor(message: string, fields: { argument: string; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.name = 'QueueError';
    this.argument = fields.argument;
  }

  static override isInstance(value: unknown): value is QueueError {
    return LllmError.isInstance(value) && value.name === 'QueueError';
  }
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
