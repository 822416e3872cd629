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
import type OpenAI from 'openai';
import { toFile } from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { type ChatInvokerOptions, fromChatCompletion, toChatRequest } from './chat-invoker.js';
import { toProviderError } from './errors.js';

/** Options of `openaiBatchSubmitter`. */
export interface OpenAIBatchOptions extends ChatInvokerOptions {
  /** The live invoker this submitter stands in for (default openai-chat; set it when that invoker was given another `name`). */
  readonly invokerName?: string;
  /** How often to poll the batch, in ms (default 10,000). */
  readonly pollIntervalMs?: number;
  /** The longest wait for a job, in ms (default 25 hours: the 24-hour completion window and some slack). */
  readonly maxWaitMs?: number;
  /** Metadata attached to each job. */
  readonly metadata?: Readonly<Record<string, string>>;
}

const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);
/** The Batch API's documented limit of requests per job. */
const MAX_REQUESTS = 50_000;

/**
 * Send Chat Completions requests through the OpenAI Batch API: the requests as a JSONL file
 * (`purpose: batch`), one job on `/v1/chat/completions` with a 24-hour window, polled until it ends;
 * the output and error files are read back and each line becomes its request's result or `ProviderError`.
 * `client` is an `openai` client, or a provider's `client()` resolver.
 */
export function openaiBatchSubmitter(client: OpenAI | ((model?: string) => OpenAI), options: OpenAIBatchOptions = {}): BatchSubmitter {
  const name = options.name ?? 'openai-batch';
  const clientFor = typeof client === 'function' ? client : () => client;
  return {
    name,
    invokerName: options.invokerName ?? 'openai-chat',
    maxRequests: MAX_REQUESTS,
    async run(requests: readonly InvokeRequest[], signal: AbortSignal): Promise<(InvokeResult | ProviderError)[]> {
      if (requests.length === 0) return [];
      const api = clientFor(requests[0]?.model);
      const lines = requests.map((request, index) =>
        JSON.stringify({
          custom_id: `request-${index}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: toChatRequest(request, options),
        }),
      );
      let batchId: string | undefined;
      try {
        const file = await api.files.create(
          { file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'lllm-batch.jsonl'), purpose: 'batch' },
          { signal },
        );
        const created = await api.batches.create(
          {
            input_file_id: file.id,
            endpoint: '/v1/chat/completions',
            completion_window: '24h',
            ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
          },
          // Not abortable: a job created while its response is discarded would run (and bill) unseen.
          // Once its id is known, an abort cancels it.
        );
        batchId = created.id;
        const id = created.id;
        const batch = await pollUntil(
          async () => {
            const current = await api.batches.retrieve(id, { signal });
            return TERMINAL.has(current.status) ? current : undefined;
          },
          {
            intervalMs: options.pollIntervalMs ?? 10_000,
            maxWaitMs: options.maxWaitMs ?? 25 * 3_600_000,
            signal,
            what: `batch ${id}`,
            provider: name,
          },
        );
        const entries = new Map<string, unknown>();
        for (const fileId of [batch.output_file_id, batch.error_file_id]) {
          if (!fileId) continue;
          const text = await (await api.files.content(fileId, { signal })).text();
          for (const line of text.split('\n')) {
            if (line.trim() === '') continue;
            const record = JSON.parse(line) as { custom_id?: string };
            if (typeof record.custom_id === 'string') entries.set(record.custom_id, record);
          }
        }
        return requests.map((_, index) => resultOf(entries.get(`request-${index}`), batch, name));
      } catch (error) {
        if (signal.aborted) {
          // Stop paying for a job nobody waits for.
          if (batchId) await api.batches.cancel(batchId).catch(() => undefined);
          throw new AbortError(`The ${name} job was aborted${batchId ? ` (batch ${batchId} cancelled)` : ''}.`, { cause: error });
        }
        throw toProviderError(error, name);
      }
    },
  };
}

function resultOf(entry: unknown, batch: OpenAI.Batches.Batch, provider: string): InvokeResult | ProviderError {
  if (entry === undefined) {
    const kind: ProviderErrorKind = batch.status === 'completed' ? 'invalid_response' : 'server';
    return new ProviderError(
      `${provider}: batch ${batch.id} ended "${batch.status}" without a result for this request${batch.errors?.data?.length ? `: ${batch.errors.data.map((error) => error.message).join('; ')}` : ''}.`,
      { kind, provider, isRetryable: true },
    );
  }
  const record = entry as {
    response?: { status_code?: number; request_id?: string; body?: unknown } | null;
    error?: { code?: string; message?: string } | null;
  };
  const status = record.response?.status_code;
  if (record.response && status !== undefined && status >= 200 && status < 300) {
    try {
      // Priced at the card's batch rate: the Batch API bills input and output at half price.
      const result = atBatchRate(fromChatCompletion(record.response.body as ChatCompletion, provider));
      return {
        ...result,
        extra: { ...(result.extra ?? {}), providerBatch: { id: batch.id, requestId: record.response.request_id ?? null } },
      };
    } catch (error) {
      return ProviderError.isInstance(error)
        ? error
        : new ProviderError(`${provider}: unreadable result in batch ${batch.id}: ${String(error)}`, {
            kind: 'invalid_response',
            provider,
          });
    }
  }
  const body = record.response?.body as { error?: { message?: string; type?: string } } | undefined;
  const message = body?.error?.message ?? record.error?.message ?? 'no detail';
  const kind: ProviderErrorKind =
    status === 429
      ? 'rate_limit'
      : status !== undefined && status >= 500
        ? 'server'
        : status === 401 || status === 403
          ? 'authentication'
          : 'client';
  return new ProviderError(`${provider}: the request failed in batch ${batch.id}${status ? ` with HTTP ${status}` : ''}: ${message}`, {
    kind,
    ...(status === undefined ? {} : { statusCode: status }),
    ...(record.response?.request_id ? { requestId: record.response.request_id } : {}),
    provider,
    body: redactSecrets(body ?? record.error ?? null),
  });
}
