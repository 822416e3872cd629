// What every command shares and nothing heavy: where output goes, usage mistakes, colours. Loaded by
// `lllm --help` / `--version`, so it imports no LLLM package.
import { styleText } from 'node:util';

/** Where a command writes: results on stdout, progress and status on stderr. */
export interface Io {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A mistake in how the command was called: exit code 2 with a usage hint. */
export class UsageError extends Error {}

/** `lllm run` finished and printed its result, but the log could not be written. */
export const EXIT_LOG_FAILED = 3;

/** The exit status of a process ended by a signal, as a shell reports it (128 + the signal number). */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** Write a line of results to stdout. */
export const line = (io: Io, text = ''): void => {
  io.stdout.write(`${text}\n`);
};

/** Write a line of status to stderr. */
export const note = (io: Io, text: string): void => {
  io.stderr.write(`${text}\n`);
};

/** Write a value as the one JSON document of a `--json` command, on stdout. */
export const printJson = (io: Io, value: unknown): void => {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

/**
 * Whether to colour what goes to `stream`: `NO_COLOR` (any non-empty value) turns colour off,
 * `FORCE_COLOR` turns it on (`0` / `false` off), otherwise colour only on a terminal.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

/** The styles the CLI uses. */
export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan' | 'magenta';

/** A painter for one stream: `node:util` `styleText` when colour is on, the text as it is when off. */
export function painter(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): (style: Style, text: string) => string {
  const on = colorEnabled(stream, env);
  return (style, text) => (on ? styleText(style, text, { validateStream: false }) : text);
}
