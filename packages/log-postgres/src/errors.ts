import { LllmError, redactString } from '@lllm/core';

/**
 * The PostgreSQL log cannot be reached, migrated, read or written: a server that refuses the
 * connection or the password, a schema another program owns, a failed insert. The message names the
 * server (never its password), what went wrong and what to change; the CLI reports it in one line.
 */
export class PostgresLogStoreError extends LllmError {
  /** The server and database, as `postgres://user@host:port/database` (no password). */
  readonly server: string;
  /** PostgreSQL's SQLSTATE or Node's error code, when there was one (`28P01`, `ECONNREFUSED`, …). */
  readonly code: string | undefined;

  constructor(message: string, fields: { server: string; code?: string | undefined; cause?: unknown }) {
    super(redactString(message), { cause: fields.cause });
    this.name = 'PostgresLogStoreError';
    this.server = fields.server;
    this.code = fields.code;
  }

  static override isInstance(value: unknown): value is PostgresLogStoreError {
    return LllmError.isInstance(value) && value.name === 'PostgresLogStoreError';
  }
}

/** The code of a PostgreSQL (SQLSTATE) or Node (`ECONNREFUSED`) error, when it has one. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/**
 * A failure as words a user can act on. The driver's own message is redacted: a password is never in
 * it, but a connection string someone pasted into a query could be.
 */
export function problemOf(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ECONNREFUSED') return 'the connection was refused (is the server running, on that host and port?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'the connection timed out';
  if (code === '28P01' || code === '28000') return `the server refused the login (${redactString(message)})`;
  if (code === '3D000') return `the database does not exist (${redactString(message)})`;
  if (code === '42501') return `permission denied (${redactString(message)})`;
  return redactString(code ? `${message} [${code}]` : message);
}

/** A stand-in for the driver's error as a `cause`: its code and redacted message, nothing else of it. */
export function causeOf(error: unknown): Error {
  const cause = new Error(problemOf(error));
  const code = codeOf(error);
  if (code) Object.assign(cause, { code });
  return cause;
}
