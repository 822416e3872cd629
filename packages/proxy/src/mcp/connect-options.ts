// What connecting to an MCP server takes (transport, headers, timeouts, tool selection), and the
// checks that turn bad options into one ConfigError listing every problem.
import { existsSync, statSync } from 'node:fs';
import { registerSecret } from '@lllm/core';
import { ProxyError } from '../errors.js';
import type { McpImplementation } from './types.js';

/** A header value: the text itself, or read from an environment variable when connecting. */
export type McpHeaderValue =
  | string
  | {
      /** The environment variable holding the value, e.g. `GITHUB_TOKEN`. */
      readonly env: string;
      /** Text before the value, e.g. `Bearer ` for an `Authorization` header. */
      readonly prefix?: string;
    };

/** Run the server as a child process and speak MCP over its stdin/stdout. */
export interface McpStdioTransportOptions {
  readonly type: 'stdio';
  /** The program, e.g. `npx` or `process.execPath`; looked up on PATH unless absolute. */
  readonly command: string;
  /** Its arguments. */
  readonly args?: readonly string[];
  /**
   * Extra environment variables. The child gets only these plus a safe default set from this
   * process (`HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM`, `USER`), so secrets are passed on purpose.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child (default: this process's). */
  readonly cwd?: string;
  /** Receives every line the server writes to stderr (by default it is kept, not printed). */
  readonly onStderr?: (line: string) => void;
}

/** Connect to a server over Streamable HTTP. */
export interface McpHttpTransportOptions {
  readonly type: 'http';
  /** The MCP endpoint, e.g. `http://127.0.0.1:3001/mcp`. */
  readonly url: string | URL;
  /** Headers for every request (e.g. `Authorization`); their values never appear in error messages. */
  readonly headers?: Readonly<Record<string, McpHeaderValue>>;
  /** A `fetch` to use instead of the global one (tests, proxies, custom agents). */
  readonly fetch?: typeof fetch;
}

/** How to reach an MCP server. */
export type McpTransportOptions = McpStdioTransportOptions | McpHttpTransportOptions;

/** How to connect to an MCP server. */
export interface McpConnectOptions {
  /**
   * A short name (`^[a-z0-9][a-z0-9_-]*$`): the prefix of its agent tools (`<name>_<tool>`), the path
   * of its proxy, and the name in error messages.
   */
  readonly name: string;
  /** How to reach the server. */
  readonly transport: McpTransportOptions;
  /** Aborting while connecting closes the transport (the child is killed) and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
  /** How long to wait for any one answer, the handshake included (default 60,000 ms). */
  readonly timeoutMs?: number;
  /** How this client introduces itself (default `{ name: 'lllm', version: '0.1.0' }`). */
  readonly clientInfo?: McpImplementation;
}

/** Which tools to offer and how to name them. */
export interface McpToolSelection {
  /** Only these tools (server names); a name the server does not have is a `ConfigError`. */
  readonly include?: readonly string[];
  /** Leave these tools out (server names). */
  readonly exclude?: readonly string[];
}

/** Options of `McpConnection.asTools()`. */
export interface McpAsToolsOptions extends McpToolSelection {
  /** Tool names are `<prefix>_<tool>`; defaults to the connection name, `''` for no prefix. */
  readonly prefix?: string;
}

/** Options of `McpConnection.asProxy()`. */
export interface McpAsProxyOptions extends McpToolSelection {
  /** The proxy path (default: the connection name). */
  readonly path?: string;
  /** A human name (default: the server's title or name). */
  readonly name?: string;
  /** What the server offers (default: a line naming the server; its `instructions` can be long). */
  readonly description?: string;
}

/** Options of `McpConnection.callTool()`. */
export interface McpCallOptions {
  /** Aborting cancels the request (the server is told) and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
  /** Overrides the connection's `timeoutMs` for this call. */
  readonly timeoutMs?: number;
}

/** Options of `McpConnection.listTools()`. */
export interface McpListOptions {
  /** Aborting rejects with `AbortError`. */
  readonly signal?: AbortSignal;
}

const NAME = /^[a-z0-9][a-z0-9_-]*$/;

/** Every problem in `options`, each prefixed with its key path (empty when they are fine). */
export function checkOptions(options: McpConnectOptions): string[] {
  const problems: string[] = [];
  if (typeof options?.name !== 'string' || !NAME.test(options.name)) {
    problems.push(
      `name: ${JSON.stringify(options?.name)} must be lower-case letters, digits, "-" or "_", starting with a letter or digit (e.g. "github")`,
    );
  }
  const transport = options?.transport as McpTransportOptions | undefined;
  if (!transport || (transport.type !== 'stdio' && transport.type !== 'http')) {
    problems.push(
      `transport.type: must be "stdio" (a command to run) or "http" (a Streamable HTTP URL), got ${JSON.stringify((transport as { type?: unknown } | undefined)?.type)}`,
    );
  } else if (transport.type === 'stdio') {
    if (typeof transport.command !== 'string' || !transport.command.trim())
      problems.push('transport.command: the program to run is required, e.g. "npx"');
    if (transport.args !== undefined && (!Array.isArray(transport.args) || transport.args.some((arg) => typeof arg !== 'string'))) {
      problems.push('transport.args: must be a list of strings');
    }
    for (const [key, value] of Object.entries(transport.env ?? {})) {
      if (typeof value !== 'string') problems.push(`transport.env.${key}: must be a string, got ${typeof value}`);
    }
    if (transport.cwd !== undefined && !(existsSync(transport.cwd) && statSync(transport.cwd).isDirectory())) {
      problems.push(`transport.cwd: ${JSON.stringify(transport.cwd)} is not a directory`);
    }
  } else {
    let url: URL | undefined;
    try {
      url = new URL(String(transport.url));
    } catch {
      problems.push(`transport.url: ${JSON.stringify(String(transport.url))} is not a URL (e.g. "http://127.0.0.1:3001/mcp")`);
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
      problems.push(`transport.url: must be http(s), got ${JSON.stringify(url.protocol)}`);
    for (const [key, value] of Object.entries(transport.headers ?? {})) {
      if (typeof value === 'object' && value !== null) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.env ?? ''))
          problems.push(`transport.headers.${key}.env: ${JSON.stringify(value.env)} is not an environment variable name`);
      } else if (typeof value !== 'string') {
        problems.push(`transport.headers.${key}: must be a string or { env: "VARIABLE" }`);
      }
    }
  }
  if (options?.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    problems.push(`timeoutMs: must be a positive number of milliseconds, got ${JSON.stringify(options.timeoutMs)}`);
  }
  return problems;
}

/** The headers to send: `{ env }` values read from the environment (and registered as secrets). */
export function resolveHeaders(name: string, headers: Readonly<Record<string, McpHeaderValue>>): Record<string, string> {
  const resolved: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      resolved[key] = value;
      continue;
    }
    const fromEnv = process.env[value.env];
    if (!fromEnv) {
      missing.push(value.env);
      continue;
    }
    registerSecret(fromEnv);
    resolved[key] = `${value.prefix ?? ''}${fromEnv}`;
  }
  if (missing.length > 0) {
    throw new ProxyError(
      `MCP server "${name}" needs the environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} for its headers; set ${missing.length > 1 ? 'them' : 'it'} and connect again.`,
      {
        kind: 'missing_key',
      },
    );
  }
  return resolved;
}
