import { knownSecrets, redactSecrets, redactString, toAbortError } from '@lllm/core';
import { ProxyError } from '../errors.js';

// JSON-RPC / MCP error codes the SDK uses (ErrorCode in @modelcontextprotocol/sdk/types.js).
const CONNECTION_CLOSED = -32000;
const REQUEST_TIMEOUT = -32001;

/** What error mapping needs to know about a connection. */
export interface ErrorScope {
  /** The connection name. */
  readonly server: string;
  /** `command args` or the URL, for messages. */
  readonly target: string;
  readonly transport: 'stdio' | 'http';
  /** Values that must never appear in a message (header and secret env values). */
  readonly secrets: readonly string[];
  /** The last stderr lines of a stdio server. */
  readonly stderr: () => readonly string[];
  /** The last error the transport reported, if any. */
  readonly lastTransportError: () => unknown;
}

/** What was being done when the error happened. */
export interface ErrorSituation {
  /** E.g. `the MCP handshake` or `tools/call "echo"`. */
  readonly operation: string;
  /** Whether this is the first connection (messages then say how to fix the command or URL). */
  readonly connecting: boolean;
  readonly timeoutMs: number;
  /** The caller's signal: when it fired, the error is an `AbortError`. */
  readonly signal?: AbortSignal | undefined;
  /** Fires when `close()` was called. */
  readonly closing?: AbortSignal | undefined;
  /** `proxy/category/endpoint` for `ProxyError.path`. */
  readonly path?: string | undefined;
}

/** Redact a message with the scope's secrets and the known ones. */
export function redactFor(scope: Pick<ErrorScope, 'secrets'>, text: string): string {
  return redactString(
    text,
    [...scope.secrets, ...knownSecrets()].sort((a, b) => b.length - a.length),
  );
}

function stderrSummary(scope: ErrorScope): string {
  const lines = scope.stderr();
  if (lines.length === 0) return '';
  return `\nIts last stderr lines:\n${lines.map((line) => `  | ${line}`).join('\n')}`;
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The system error code (`ECONNREFUSED`, `ENOENT`, …) of an error or its causes. */
function systemCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = errorCode(current);
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isMcpError(error: unknown): error is Error & { code: number; data?: unknown } {
  return error instanceof Error && error.name === 'McpError' && typeof errorCode(error) === 'number';
}

function isHttpStatusError(error: unknown): error is Error & { code: number } {
  return error instanceof Error && error.message.startsWith('Streamable HTTP error') && typeof errorCode(error) === 'number';
}

/** Strip the SDK's `MCP error -32602: ` prefix: the server's own words are what the reader needs. */
export function serverText(error: Error): string {
  return error.message.replace(/^MCP error -?\d+: /, '');
}

/**
 * Turn whatever the SDK or the transport threw into an `AbortError` (the caller aborted) or a
 * `ProxyError` whose message names the server, what failed and the fix; secrets are redacted.
 */
export function toMcpError(error: unknown, scope: ErrorScope, situation: ErrorSituation): Error {
  if (situation.signal?.aborted) return toAbortError(situation.signal.reason);
  if (ProxyError.isInstance(error)) return error;
  const server = `MCP server "${scope.server}"`;
  const build = (message: string, fields: Partial<ConstructorParameters<typeof ProxyError>[1]> = {}) =>
    new ProxyError(redactFor(scope, message), { kind: 'mcp', path: situation.path, ...fields, cause: error });

  if (situation.closing?.aborted) {
    return build(
      `${server}: the connection was closed while waiting for ${situation.operation}. Connect again with connectMcp() to continue.`,
    );
  }
  const code = systemCode(error);
  if (scope.transport === 'stdio' && situation.connecting && (code === 'ENOENT' || code === 'EACCES')) {
    return build(
      code === 'ENOENT'
        ? `${server} could not be started: the command ${scope.target} was not found. Install it, or give its absolute path in transport.command (the child searches this process's PATH).`
        : `${server} could not be started: ${scope.target} is not executable (EACCES). Check the file's permissions or run it through its interpreter (e.g. command: process.execPath, args: [script]).`,
    );
  }
  if (isMcpError(error) && error.code === REQUEST_TIMEOUT) {
    return build(
      `${server} did not answer ${situation.operation} within ${situation.timeoutMs} ms. ${
        situation.connecting ? 'Check that it speaks MCP on this transport, or raise timeoutMs.' : 'Raise timeoutMs if the tool is slow.'
      }`,
      { kind: 'timeout', isRetryable: true },
    );
  }
  if (isMcpError(error) && error.code === CONNECTION_CLOSED && /connection closed/i.test(error.message)) {
    const lastError = scope.lastTransportError();
    const transportDetail = lastError ? ` (${messageOf(lastError)})` : '';
    const fix = situation.connecting
      ? scope.transport === 'stdio'
        ? '\nRun the command in a terminal to see why it stops; check transport.args, transport.env and transport.cwd.'
        : '\nCheck the URL and that the server is running.'
      : '\nConnect again with connectMcp().';
    return build(
      `${server} (${scope.target}) ${situation.connecting ? 'closed the connection before the MCP handshake finished' : `closed the connection during ${situation.operation}`}${transportDetail}.${stderrSummary(scope)}${fix}`,
      { isRetryable: scope.transport === 'http' },
    );
  }
  if (
    scope.transport === 'http' &&
    (code === 'ECONNREFUSED' ||
      code === 'ENOTFOUND' ||
      code === 'ECONNRESET' ||
      code === 'EHOSTUNREACH' ||
      messageOf(error) === 'fetch failed')
  ) {
    const detail = code ?? messageOf((error as { cause?: unknown }).cause ?? error);
    return build(
      `${server} at ${scope.target} could not be reached (${detail}) during ${situation.operation}. Check that the server is running and that transport.url is right.`,
      { isRetryable: true },
    );
  }
  if (isHttpStatusError(error)) {
    const status = error.code;
    const fix =
      status === 401 || status === 403
        ? 'Check that transport.headers carry valid credentials.'
        : status === 404 || status === 405
          ? 'Check transport.url: Streamable HTTP servers usually answer at a path such as /mcp.'
          : status >= 500
            ? 'The server failed; try again later or look at its logs.'
            : 'Check transport.url and transport.headers.';
    return build(
      `${server} at ${scope.target} answered HTTP ${status} to ${situation.operation}: ${error.message.replace(/^Streamable HTTP error: /, '')}. ${fix}`,
      {
        statusCode: status > 0 ? status : undefined,
        isRetryable: status === 429 || status >= 500,
      },
    );
  }
  if (isMcpError(error)) {
    return build(`${server} rejected ${situation.operation}: ${serverText(error)}`, {
      body: error.data === undefined ? undefined : redactSecrets(error.data, [...scope.secrets, ...knownSecrets()]),
    });
  }
  return build(`${server} failed during ${situation.operation}: ${messageOf(error)}${situation.connecting ? stderrSummary(scope) : ''}`);
}

/** The error for a call on a connection that is already closed (by `close()` or because the server went away). */
export function closedError(scope: ErrorScope, operation: string, byServer: boolean): ProxyError {
  const why = byServer ? `the server closed the connection${stderrSummary(scope)}\n` : 'close() was called. ';
  return new ProxyError(redactFor(scope, `MCP server "${scope.server}" cannot run ${operation}: ${why}Connect again with connectMcp().`), {
    kind: 'mcp',
  });
}
