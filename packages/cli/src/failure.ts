// How a command's failure becomes a message and an exit code.
import { LllmError } from '@lllm/core';
import { shown } from './commands/shared.js';
import type { Io } from './io.js';

/** A user's problem (an LllmError, the file system refusing) exits 1 with one line; anything else is a bug: 70. */
export function reportFailure(error: unknown, io: Io): number {
  if (LllmError.isInstance(error)) {
    io.stderr.write(`lllm: ${shown(error.message)}\n`);
    return 1;
  }
  // The file system or the network refused (a path in the way, no permission, a full disk, a busy
  // port): the user's environment, not a bug in lllm.
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (/^E[A-Z]+$/.test(code) && error instanceof Error && ('syscall' in error || 'path' in error)) {
    io.stderr.write(`lllm: ${shown(error.message)}. Check the path and its permissions, then try again.\n`);
    return 1;
  }
  io.stderr.write(`lllm: internal error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 70;
}
