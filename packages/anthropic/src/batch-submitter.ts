import type Anthropic from '@anthropic-ai/sdk';
import {
  AbortError,
  type BatchSubmitter,
  type InvokeRequest,
  type InvokeResult,
  ProviderError,
  type ProviderErrorKind,
  redactSecrets,
} from '@lllm/core';
import { atBatchRate, pollUntil } from '@lllm/core/utils';
import { fromAnthropicMessage, type MessagesInvokerOptions, toAnthropicError, toAnthropicRequest } from './messages-invoker.js';

/** Options of `anthropicBatchSubmitter`. */
export interface AnthropicBatchOptions extends MessagesInvokerOptions {
  /** The live invoker this submitter stands in for (default anthropic; set it when that invoker was given another `name`). */
  readonly invokerName?: string;
  /** How often to poll the batch, in ms (default 10,000). */
  readonly pollIntervalMs?: number;
  /** The longest wait for a job, in ms (default 25 hours: the 24-hour expiry and some slack). */
  readonly maxWaitMs?: number;
}

/** The Message Batches API's documented limit of requests per batch. */
const MAX_REQUESTS = 100_000;

interface BatchesApi {
  create(body: { requests: { custom_id: string; params: Record<string, unknown> }[] }): Promise<{ id: string }>;
  retrieve(id: string, options: { signal: AbortSignal }): Promise<{ id: string; processing_status: string }>;
  results(
    id: string,
    params: Record<string, never>,
    options: { signal: AbortSignal },
  ): Promise<AsyncIterable<{ custom_id: string; result: unknown }>>;
  cancel(id: string): Promise<unknown>;
}

/**
 * Send Messages API requests through Anthropic Message Batches: one batch of `{ custom_id, params }`,
 * polled until `processing_status` is `ended`, then the results (JSONL) read back: each `succeeded`
 * message becomes its request's result, `errored` / `canceled` / `expired` a `ProviderError`.
 * `client` is an `@anthropic-ai/sdk` client, or a provider's `client()` resolver.
 */
export function anthropicBatchSubmitter(client: Anthropic | (() => Anthropic), options: AnthropicBatchOptions = {}): BatchSubmitter {
  const name = options.name ?? 'anthropic-batch';
  const clientFor = typeof client === 'function' ? client : () => client;
  return {
    name,
    invokerName: options.invokerName ?? 'anthropic',
    maxRequests: MAX_REQUESTS,
    async run(requests: readonly InvokeRequest[], signal: AbortSignal): Promise<(InvokeResult | ProviderError)[]> {
      if (requests.length === 0) return [];
      // The request bodies are built provider-neutrally; the SDK's typed overloads are bypassed.
      const batches = clientFor().messages.batches as unknown as BatchesApi;
      let batchId: string | undefined;
      try {
        // Not abortable: a batch created while its response is discarded would run (and bill) unseen.
        // Once its id is known, an abort cancels it.
        const created = await batches.create({
          requests: requests.map((request, index) => ({ custom_id: `request-${index}`, params: toAnthropicRequest(request, options) })),
        });
        batchId = created.id;
        const id = created.id;
        await pollUntil(
          async () => {
            const current = await batches.retrieve(id, { signal });
            return current.processing_status === 'ended' ? current : undefined;
          },
          {
            intervalMs: options.pollIntervalMs ?? 10_000,
            maxWaitMs: options.maxWaitMs ?? 25 * 3_600_000,
            signal,
            what: `message batch ${id}`,
            provider: name,
          },
        );
        const entries = new Map<string, unknown>();
        for await (const entry of await batches.results(id, {}, { signal })) entries.set(entry.custom_id, entry.result);
        return requests.map((request, index) => resultOf(entries.get(`request-${index}`), request, id, name));
      } catch (error) {
        if (signal.aborted) {
          if (batchId) await batches.cancel(batchId).catch(() => undefined);
          throw new AbortError(`The ${name} job was aborted${batchId ? ` (message batch ${batchId} cancelled)` : ''}.`, { cause: error });
        }
        throw toAnthropicError(error, name);
      }
    },
  };
}

function resultOf(entry: unknown, request: InvokeRequest, batchId: string, provider: string): InvokeResult | ProviderError {
  const result = entry as
    | { type?: string; message?: Record<string, unknown>; error?: { error?: { type?: string; message?: string } } }
    | undefined;
  if (result?.type === 'succeeded' && result.message) {
    try {
      // Priced at the card's batch rate: Message Batches bill every token kind at half price.
      const reply = atBatchRate(fromAnthropicMessage(result.message, request, provider));
      return { ...reply, extra: { ...(reply.extra ?? {}), providerBatch: { id: batchId } } };
    } catch (error) {
      return ProviderError.isInstance(error)
        ? error
        : new ProviderError(`${provider}: unreadable result in message batch ${batchId}: ${String(error)}`, {
            kind: 'invalid_response',
            provider,
          });
    }
  }
  if (result?.type === 'errored') {
    const type = result.error?.error?.type;
    const kind: ProviderErrorKind =
      type === 'rate_limit_error'
        ? 'rate_limit'
        : type === 'api_error' || type === 'overloaded_error'
          ? 'server'
          : type === 'authentication_error'
            ? 'authentication'
            : 'client';
    return new ProviderError(
      `${provider}: the request failed in message batch ${batchId}${type ? ` (${type})` : ''}: ${result.error?.error?.message ?? 'no detail'}`,
      {
        kind,
        provider,
        body: redactSecrets(result.error ?? null),
      },
    );
  }
  // canceled, expired, or missing: the request never ran; it may be sent again.
  return new ProviderError(`${provider}: message batch ${batchId} has no result for this request (${result?.type ?? 'missing'}).`, {
    kind: 'server',
    provider,
    isRetryable: true,
  });
}
