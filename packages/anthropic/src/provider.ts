import Anthropic from '@anthropic-ai/sdk';
import { ConfigError, type Invoker, registerSecret } from '@lllm/core';
import { readsLinkedSignal, sharedFetch } from '@lllm/http';
import { createMessagesInvoker, linkedSignalClients, type MessagesInvokerOptions } from './messages-invoker.js';
import { registerAnthropicModelCards } from './model-cards.js';

/** How to reach Anthropic. */
export interface AnthropicProviderOptions {
  /** Default: `$ANTHROPIC_API_KEY`, read at the first request. */
  readonly apiKey?: string;
  /** Default: `$ANTHROPIC_BASE_URL`, else Anthropic's. */
  readonly baseURL?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The SDK client's `fetch`. Default: `sharedFetch()` from `@lllm/http`, a fetch on undici's request
   * API that costs less CPU per request than Node's global `fetch` (pass `globalThis.fetch` to use that).
   */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms. */
  readonly timeout?: number;
}

/** Makes Messages API invokers sharing one client. */
export interface AnthropicProvider {
  messages(options?: MessagesInvokerOptions): Invoker;
  client(): Anthropic;
}

/**
 * Create an Anthropic provider. Nothing is read until the first request: a missing key is a
 * `ConfigError` naming `ANTHROPIC_API_KEY`. The SDK's retries are off; the state machine owns them.
 */
export function createAnthropic(options: AnthropicProviderOptions = {}): AnthropicProvider {
  registerAnthropicModelCards();
  let client: Anthropic | undefined;
  const getClient = (): Anthropic => {
    if (client) return client;
    const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
    if (!apiKey) throw new ConfigError('No API key for Anthropic: set ANTHROPIC_API_KEY, or pass apiKey to createAnthropic().');
    registerSecret(apiKey);
    const fetch = options.fetch ?? sharedFetch();
    client = new Anthropic({
      apiKey,
      baseURL: options.baseURL ?? process.env.ANTHROPIC_BASE_URL ?? null,
      maxRetries: 0,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.headers ? { defaultHeaders: { ...options.headers } } : {}),
      fetch,
    });
    if (readsLinkedSignal(fetch)) linkedSignalClients.add(client);
    return client;
  };
  return { messages: (invokerOptions) => createMessagesInvoker(getClient, invokerOptions), client: getClient };
}

let defaultProvider: AnthropicProvider | undefined;

/** The default provider (`ANTHROPIC_API_KEY`), created on first use. */
export function anthropic(): AnthropicProvider {
  defaultProvider ??= createAnthropic();
  return defaultProvider;
}
