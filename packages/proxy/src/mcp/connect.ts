// `connectMcp`: start a stdio MCP server (or open a Streamable HTTP session), do the handshake and
// list its tools; every failure a typed error naming the server, with its last stderr lines.
import { ConfigError, isSecretKey, registerSecret, throwIfAborted, toAbortError } from '@lllm/core';
import { raceAbort } from '@lllm/core/utils';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { killQuietly, waitForExit } from './child-process.js';
import { checkOptions, type McpConnectOptions, resolveHeaders } from './connect-options.js';
import { McpConnection, requestSignal } from './connection.js';
import { type ErrorScope, redactFor, toMcpError } from './mcp-errors.js';
import { StderrTail } from './stderr-tail.js';
import type { McpImplementation } from './types.js';

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_CLIENT_INFO: McpImplementation = { name: 'lllm', version: '0.1.0' };
const SECRET_ENV_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL|COOKIE/i;

type SdkModules = {
  Client: typeof Client;
  StdioClientTransport: typeof StdioClientTransport;
  StreamableHTTPClientTransport: typeof StreamableHTTPClientTransport;
  AjvJsonSchemaValidator: typeof AjvJsonSchemaValidator;
};

let sdkModules: Promise<SdkModules> | undefined;

// The SDK is loaded on first use, so importing @lllm/proxy does not load it (nor ajv, express, …).
function loadSdk(): Promise<SdkModules> {
  sdkModules ??= Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    import('@modelcontextprotocol/sdk/validation/ajv'),
  ]).then(([client, stdio, http, ajv]) => ({
    Client: client.Client,
    StdioClientTransport: stdio.StdioClientTransport,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    AjvJsonSchemaValidator: ajv.AjvJsonSchemaValidator,
  }));
  return sdkModules;
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

/**
 * Connect to an MCP server: start the stdio process (or open the HTTP session), do the MCP
 * handshake and read its tool list. Failures are `ProxyError`s whose message names the server, what
 * went wrong (a stdio server's last stderr lines included) and the fix; bad options are a
 * `ConfigError` listing every problem; aborting `signal` ends the attempt with an `AbortError`.
 */
export async function connectMcp(options: McpConnectOptions): Promise<McpConnection> {
  const problems = checkOptions(options);
  if (problems.length > 0) {
    throw new ConfigError(
      `MCP server ${JSON.stringify(options?.name)} is not configured correctly:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      { problems },
    );
  }
  throwIfAborted(options.signal);
  const sdk = await loadSdk();
  throwIfAborted(options.signal);
  const { name, transport: spec } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let secrets: string[] = [];
  // Lines are redacted before they are kept, cut or handed to onStderr.
  const stderr = new StderrTail(20, 400, (line) => redactFor({ secrets }, line));
  let lastTransportError: unknown;
  let target: string;
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  let pid: number | undefined;
  if (spec.type === 'stdio') {
    const env = Object.entries(spec.env ?? {}).filter(([, value]) => typeof value === 'string' && value.length >= 8);
    secrets = env.filter(([key]) => SECRET_ENV_NAME.test(key) || isSecretKey(key)).map(([, value]) => value);
    // What the server is given under a secret name is a secret wherever LLLM writes (tool results in the log too).
    for (const [key, value] of env) if (isSecretKey(key)) registerSecret(value);
    target = redactFor({ secrets }, [spec.command, ...(spec.args ?? [])].map(quoteArg).join(' '));
    if (target.length > 240) target = `${target.slice(0, 239)}…`;
    const stdio = new sdk.StdioClientTransport({
      command: spec.command,
      args: [...(spec.args ?? [])],
      ...(spec.env ? { env: { ...spec.env } } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      stderr: 'pipe',
    });
    const decoder = new TextDecoder();
    stdio.stderr?.on('data', (chunk: Buffer | string) => {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      for (const line of stderr.push(text)) spec.onStderr?.(line);
    });
    const start = stdio.start.bind(stdio);
    stdio.start = async () => {
      await start();
      pid = stdio.pid ?? undefined;
    };
    transport = stdio;
  } else {
    const headers = resolveHeaders(name, spec.headers ?? {});
    secrets = Object.values(headers)
      .flatMap((value) => [value, value.replace(/^\S+\s+/, '')])
      .filter((value) => value.length >= 8);
    for (const [header, value] of Object.entries(headers)) {
      if (isSecretKey(header)) for (const secret of [value, value.replace(/^\S+\s+/, '')]) registerSecret(secret);
    }
    const url = new URL(String(spec.url));
    target = redactFor({ secrets }, url.href);
    transport = new sdk.StreamableHTTPClientTransport(url, {
      requestInit: { headers },
      ...(spec.fetch ? { fetch: spec.fetch } : {}),
    });
  }
  const state = { serverClosed: false, toolsStale: false };
  const closing = new AbortController();
  const client = new sdk.Client(
    { ...(options.clientInfo ?? DEFAULT_CLIENT_INFO) },
    {
      capabilities: {},
      listChanged: {
        tools: {
          autoRefresh: false,
          debounceMs: 0,
          onChanged: () => {
            state.toolsStale = true;
          },
        },
      },
    },
  );
  client.onerror = (error) => {
    lastTransportError = error;
  };
  client.onclose = () => {
    if (!closing.signal.aborted) state.serverClosed = true;
  };
  const scope: ErrorScope = {
    server: name,
    target,
    transport: spec.type,
    secrets,
    stderr: () => stderr.lines(),
    lastTransportError: () => lastTransportError,
  };
  let operation = 'the MCP handshake';
  try {
    await raceAbort(
      client.connect(transport, { signal: requestSignal(closing.signal, options.signal), timeout: timeoutMs }),
      options.signal,
    );
    const connection = new McpConnection({
      name,
      client,
      transport,
      kind: spec.type,
      scope,
      timeoutMs,
      pid,
      closing,
      validator: new sdk.AjvJsonSchemaValidator(),
      state,
    });
    if (client.getServerCapabilities()?.tools) {
      operation = 'tools/list';
      try {
        await connection.listTools({ ...(options.signal ? { signal: options.signal } : {}) });
      } catch (error) {
        await connection.close();
        throw error;
      }
    }
    return connection;
  } catch (error) {
    // Nothing was agreed with the server yet, so there is nothing to shut down gracefully.
    if (pid !== undefined) killQuietly(pid, 'SIGTERM');
    await client.close().catch(() => {});
    if (pid !== undefined && !(await waitForExit(pid, 3000))) killQuietly(pid, 'SIGKILL');
    if (options.signal?.aborted) throw toAbortError(options.signal.reason);
    // Let the last stderr chunks of a dying server arrive before summarising them.
    await new Promise((resolve) => setImmediate(resolve));
    throw toMcpError(error, scope, { operation, connecting: true, timeoutMs, signal: options.signal });
  }
}
