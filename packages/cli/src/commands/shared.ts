// Helpers the commands share once they have loaded LLLM (never loaded by --help / --version).
import { AbortError, type LogStore, redactString } from '@lllm/core';
import { escapeControlCharacters } from '@lllm/core/utils';
import { SIGNAL_EXIT } from '../io.js';

/** Text that comes from data (a log, a model, a file, an error): secrets redacted, control characters shown as escapes. */
export const shown = (text: string): string => escapeControlCharacters(redactString(text));

/** An error's message, shown. */
export const messageOf = (error: unknown): string => shown(error instanceof Error ? error.message : String(error));

/** Close the log; the failure, if any, instead of a throw (a paid result must still be shown). */
export async function closeLog(log: LogStore): Promise<unknown> {
  try {
    await log.close();
    return undefined;
  } catch (error) {
    return error ?? new Error('unknown failure');
  }
}

/**
 * While `work` runs, SIGINT and SIGTERM abort it through `controller` and reject at once with the
 * signal's name, so the caller can save the log and exit 130/143 even if the work ignores the abort.
 * A second signal exits immediately (the log stores' own hook still saves their queued entries).
 */
export async function cancellable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onSignal = (signal) => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT[signal] ?? 1);
      const error = new AbortError(`Cancelled by ${signal}.`);
      controller.abort(error);
      reject(Object.assign(error, { signal }));
    };
  });
  const handler = (signal: NodeJS.Signals) => onSignal?.(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await Promise.race([work(controller.signal), cancelled]);
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}

/** The signal a {@link cancellable} rejection carries. */
export function signalOf(error: unknown): NodeJS.Signals | undefined {
  const signal = typeof error === 'object' && error !== null && 'signal' in error ? error.signal : undefined;
  return signal === 'SIGINT' || signal === 'SIGTERM' ? signal : undefined;
}
