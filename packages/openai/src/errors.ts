import { AbortError, ProviderError, type ProviderErrorKind, redactSecrets, redactString } from '@lllm/core';
import { parseRetryAfter } from '@lllm/core/utils';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';

/**
 * Map anything the `openai` SDK throws to a core `ProviderError` (or `AbortError`), so the agent-call
 * state machine can tell rate limits and transient faults from the rest. The SDK's own retries are
 * off: the state machine owns the retry policy.
 */
export function toProviderError(error: unknown, provider: string): ProviderError | AbortError {
  if (error instanceof APIUserAbortError) return new AbortError('The request was aborted.', { cause: error });
  if (error instanceof APIConnectionTimeoutError) {
    return new ProviderError(`${provider}: the request timed out.`, { kind: 'timeout', provider, cause: error });
  }
  if (error instanceof APIConnectionError) {
    const detail = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ProviderError(`${provider}: could not complete the request (connection error${redactString(detail)}).`, {
      kind: 'connection',
      provider,
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const body = (error.error ?? undefined) as Record<string, unknown> | undefined;
    const code = error.code ?? (typeof body?.code === 'string' ? body.code : undefined);
    const type = error.type ?? (typeof body?.type === 'string' ? body.type : undefined);
    const quota = code === 'insufficient_quota' || type === 'insufficient_quota';
    const kind: ProviderErrorKind =
      status === 429
        ? quota
          ? 'client'
          : 'rate_limit'
        : status === 401 || status === 403
          ? 'authentication'
          : status >= 500 || status === 408 || status === 409
            ? 'server'
            : 'client';
    const requestId = error.requestID ?? error.headers?.get('x-request-id') ?? undefined;
    const detail = typeof body?.message === 'string' ? body.message : error.message;
    const label = [type, code].filter((part, index, all) => part && all.indexOf(part) === index).join('/');
    const hint = quota ? ' Your account has no quota left: add credit or use another key; retrying will not help.' : '';
    return new ProviderError(
      redactString(
        `${provider} returned HTTP ${status}${label ? ` (${label})` : ''}: ${detail}${hint}${requestId ? ` [request id ${requestId}]` : ''}`,
      ),
      {
        kind,
        statusCode: status,
        isRetryable: kind === 'rate_limit' || kind === 'server',
        retryAfterMs: parseRetryAfter(error.headers ?? undefined),
        requestId: requestId ?? undefined,
        provider,
        body: redactSecrets(body),
        cause: error,
      },
    );
  }
  if (ProviderError.isInstance(error) || AbortError.isInstance(error)) return error;
  // A body that is not valid JSON, a stream cut short: the response was corrupt, which is transient.
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(`${provider}: the response could not be read (${redactString(message)}).`, {
    kind: 'invalid_response',
    isRetryable: true,
    provider,
    cause: error,
  });
}
