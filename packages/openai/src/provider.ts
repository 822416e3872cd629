import { ConfigError, findModelCard, InvalidArgumentError, type Invoker, type ModelCard, registerSecret } from '@lllm/core';
import { readsLinkedSignal, sharedFetch } from '@lllm/http';
import OpenAI from 'openai';
import { type ChatInvokerOptions, createChatInvoker, linkedSignalClients } from './chat-invoker.js';
import { registerOpenAIModelCards } from './model-cards.js';
import { createResponsesInvoker, type ResponsesInvokerOptions } from './responses-invoker.js';

/** How to reach OpenAI (or an OpenAI-compatible endpoint). */
export interface OpenAIProviderOptions {
  /** Default: `$OPENAI_API_KEY`, read when the first request is made. */
  readonly apiKey?: string;
  /** Default: `$OPENAI_BASE_URL`, else OpenAI's. Set it for any OpenAI-compatible server. */
  readonly baseURL?: string;
  readonly organization?: string;
  readonly project?: string;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The SDK client's `fetch`. Default: `sharedFetch()` from `@lllm/http`, a fetch on undici's request
   * API that costs less CPU per request than Node's global `fetch` (pass `globalThis.fetch` to use that).
   */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in ms (default 600,000, the SDK's). */
  readonly timeout?: number;
  /** Ignore model cards' `baseURL` (send every model to this provider's endpoint). */
  readonly ignoreCardBaseURL?: boolean;
}

/**
 * Send one invoker's requests to another OpenAI-compatible endpoint, keeping the rest of the
 * provider's configuration (headers, `fetch`, timeout, organization, project).
 */
export interface OpenAIEndpointOptions {
  /**
   * The endpoint for every request of this invoker, e.g. `http://localhost:8080/v1`. It wins over
   * the provider's `baseURL` and over model cards' `baseURL`.
   */
  readonly baseURL?: string;
  /** The key for `baseURL` (only with `baseURL`). Default: the provider's key (`apiKey`, else `$OPENAI_API_KEY`). */
  readonly apiKey?: string;
}

/** Makes invokers that share one configuration and its clients. */
export interface OpenAIProvider {
  /** A Chat Completions invoker (`baseURL` sends its requests to another endpoint). */
  chat(options?: ChatInvokerOptions & OpenAIEndpointOptions): Invoker;
  /** A Responses API invoker (`baseURL` sends its requests to another endpoint). */
  responses(options?: ResponsesInvokerOptions & OpenAIEndpointOptions): Invoker;
  /** The `openai` client used for `model` (models whose card names another endpoint get their own client). */
  client(model?: string): OpenAI;
}

/**
 * Create an OpenAI provider. Nothing is read or connected until the first request: a missing key
 * is a `ConfigError` naming the variable to set. The SDK's own retries are off (`maxRetries: 0`):
 * the agent-call state machine owns the retry policy.
 */
export function createOpenAI(options: OpenAIProviderOptions = {}): OpenAIProvider {
  registerOpenAIModelCards();
  const clients = new Map<string, OpenAI>();

  const createClient = (baseURL: string | undefined, apiKey: string): OpenAI => {
    registerSecret(apiKey);
    const fetch = options.fetch ?? sharedFetch();
    const client = new OpenAI({
      apiKey,
      baseURL: baseURL ?? null,
      organization: options.organization ?? null,
      project: options.project ?? null,
      maxRetries: 0,
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
      ...(options.headers ? { defaultHeaders: { ...options.headers } } : {}),
      fetch,
    });
    if (readsLinkedSignal(fetch)) linkedSignalClients.add(client);
    return client;
  };

  // The client every request resolves to, found once: the environment is read at the first request
  // (reading process.env on every request was a measurable part of an exchange's CPU).
  let providerClient: OpenAI | undefined;
  const cardClients = new WeakMap<ModelCard, OpenAI>();

  const clientFor = (model?: string): OpenAI => {
    const card = options.ignoreCardBaseURL ? undefined : findModelCard(model);
    const cardEndpoint = card?.baseURL !== undefined && options.baseURL === undefined ? card : undefined;
    const known = cardEndpoint ? cardClients.get(cardEndpoint) : providerClient;
    if (known) return known;
    const client = newClientFor(model, cardEndpoint);
    if (cardEndpoint) cardClients.set(cardEndpoint, client);
    else providerClient = client;
    return client;
  };

  const newClientFor = (model: string | undefined, cardEndpoint: ModelCard | undefined): OpenAI => {
    const baseURL = cardEndpoint?.baseURL ?? options.baseURL ?? process.env.OPENAI_BASE_URL ?? undefined;
    const keyEnv = cardEndpoint?.apiKeyEnv ?? 'OPENAI_API_KEY';
    const apiKey = cardEndpoint ? process.env[keyEnv] : (options.apiKey ?? process.env.OPENAI_API_KEY);
    const cacheKey = `${baseURL ?? 'default'}\u0000${keyEnv}`;
    const existing = clients.get(cacheKey);
    if (existing) return existing;
    if (!apiKey) {
      throw new ConfigError(
        `No API key for ${cardEndpoint ? `"${model}" at ${baseURL}` : 'OpenAI'}: set ${keyEnv}${cardEndpoint ? '' : ', or pass apiKey to createOpenAI()'}${
          baseURL || cardEndpoint ? '' : ' (for a local OpenAI-compatible server, also set OPENAI_BASE_URL; any non-empty key works)'
        }.`,
      );
    }
    const client = createClient(baseURL, apiKey);
    clients.set(cacheKey, client);
    return client;
  };

  /** The client resolver of one invoker: the provider's, or one client for the invoker's own endpoint. */
  const resolverFor = (endpoint: OpenAIEndpointOptions | undefined): ((model: string) => OpenAI) => {
    const baseURL = endpoint?.baseURL;
    if (baseURL === undefined) {
      if (endpoint?.apiKey !== undefined) {
        throw new InvalidArgumentError(
          'An invoker was given apiKey without baseURL: apiKey is the key for its own endpoint. Pass baseURL too, or pass apiKey to createOpenAI().',
          { argument: 'apiKey' },
        );
      }
      return clientFor;
    }
    let client: OpenAI | undefined;
    return () => {
      if (client) return client;
      const apiKey = endpoint?.apiKey ?? options.apiKey ?? process.env.OPENAI_API_KEY;
      if (!apiKey) {
        throw new ConfigError(
          `No API key for ${baseURL}: pass apiKey with baseURL, or to createOpenAI(), or set OPENAI_API_KEY (a local OpenAI-compatible server accepts any non-empty key).`,
        );
      }
      client = createClient(baseURL, apiKey);
      return client;
    };
  };

  return {
    chat: (invokerOptions) => createChatInvoker(resolverFor(invokerOptions), invokerOptions),
    responses: (invokerOptions) => createResponsesInvoker(resolverFor(invokerOptions), invokerOptions),
    client: clientFor,
  };
}

let defaultProvider: OpenAIProvider | undefined;

/** The default provider: `OPENAI_API_KEY` / `OPENAI_BASE_URL` from the environment, created on first use. */
export function openai(): OpenAIProvider {
  defaultProvider ??= createOpenAI();
  return defaultProvider;
}
