import { ConfigError, NotFoundError, type ToolLike, toAbortError } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import type { ProxyDefinition } from '../define.js';
import { connectMcp } from './connect.js';
import type { McpAsToolsOptions, McpConnectOptions } from './connect-options.js';
import type { McpConnection } from './connection.js';

/** Options of `connectMcpServers()`. */
export interface McpServersOptions {
  /** Aborting while connecting closes every connection made so far and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
}

/** Several MCP connections opened together and closed together. */
export class McpServers implements AsyncDisposable {
  /** The connections, in the order of the configurations. */
  readonly connections: readonly McpConnection[];

  /** @internal Use `connectMcpServers()`. */
  constructor(connections: readonly McpConnection[]) {
    this.connections = Object.freeze([...connections]);
  }

  /** The connection with this name; an unknown name throws a `NotFoundError` listing close names. */
  get(name: string): McpConnection {
    const found = this.connections.find((connection) => connection.name === name);
    if (found) return found;
    const names = this.connections.map((connection) => connection.name);
    const suggestions = closestMatches(name, names);
    throw new NotFoundError(
      `No MCP server named "${name}".${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''} Connected: ${names.join(', ') || 'none'}.`,
      { what: 'MCP server', key: name, suggestions },
    );
  }

  /** Every server's tools as agent tools, each named `<server>_<tool>` (per-server options by name). */
  asTools(options: Readonly<Record<string, McpAsToolsOptions>> = {}): ToolLike[] {
    return this.connections.flatMap((connection) => connection.asTools(options[connection.name] ?? {}));
  }

  /** Every server as a proxy definition, for the proxy catalog. */
  asProxies(): ProxyDefinition[] {
    return this.connections.map((connection) => connection.asProxy());
  }

  /** Close every connection (in parallel); safe to call more than once. */
  async close(): Promise<void> {
    await Promise.allSettled(this.connections.map((connection) => connection.close()));
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connect to several MCP servers in parallel. If any fails (or `signal` aborts), the ones already
 * connected are closed and the first failure is thrown, so no process is left running. Duplicate
 * names are a `ConfigError` before anything starts.
 */
export async function connectMcpServers(configs: readonly McpConnectOptions[], options: McpServersOptions = {}): Promise<McpServers> {
  const seen = new Set<string>();
  const problems: string[] = [];
  configs.forEach((config, index) => {
    if (seen.has(config.name)) problems.push(`[${index}].name: "${config.name}" is used twice; every MCP server needs its own name`);
    seen.add(config.name);
  });
  if (problems.length > 0)
    throw new ConfigError(`MCP servers are not configured correctly:\n${problems.map((p) => `- ${p}`).join('\n')}`, { problems });

  // One controller stops the others as soon as one fails.
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const results = await Promise.allSettled(
      configs.map(async (config) => {
        const signal = config.signal ? AbortSignal.any([config.signal, controller.signal]) : controller.signal;
        try {
          return await connectMcp({ ...config, signal });
        } catch (error) {
          controller.abort(error);
          throw error;
        }
      }),
    );
    const connections = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (connections.length === configs.length) return new McpServers(connections);
    await Promise.allSettled(connections.map((connection) => connection.close()));
    if (options.signal?.aborted) throw toAbortError(options.signal.reason);
    // The first real failure, not the aborts it caused in the others.
    throw controller.signal.reason;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
