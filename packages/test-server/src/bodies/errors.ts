// Error responses in each API's documented shape, with the headers clients read (`x-request-id` /
// `request-id`, `retry-after`, rate-limit counters). Written by this project: no recorded payload is copied here.
import type { ScriptedResponse } from '../wire-server.js';

/** An OpenAI (or OpenAI-compatible) error: `{ error: { message, type, param, code } }`. */
export interface OpenAIErrorSpec {
  readonly status: number;
  readonly message: string;
  readonly type?: string;
  readonly code?: string | number | null;
  readonly param?: string | null;
  /** Sent as `x-request-id`. */
  readonly requestId?: string;
  /** Sent as `retry-after` (seconds). */
  readonly retryAfter?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Fields beside `error` (OpenAI-compatible servers add some, e.g. `user_id`). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

/** A scripted OpenAI error response. */
export function openaiError(spec: OpenAIErrorSpec): ScriptedResponse {
  return {
    status: spec.status,
    headers: {
      'openai-version': '2020-10-01',
      'openai-processing-ms': '12',
      ...(spec.requestId ? { 'x-request-id': spec.requestId } : {}),
      ...(spec.retryAfter ? { 'retry-after': spec.retryAfter } : {}),
      ...(spec.headers ?? {}),
    },
    json: {
      error: {
        message: spec.message,
        type: spec.type ?? OPENAI_TYPES[spec.status] ?? 'invalid_request_error',
        param: spec.param ?? null,
        code: spec.code ?? null,
      },
      ...(spec.extra ?? {}),
    },
  };
}

/** An Anthropic error: `{ type: 'error', error: { type, message }, request_id }`. */
export interface AnthropicErrorSpec {
  readonly status: number;
  readonly type: string;
  readonly message: string;
  /** In the body (`request_id`) and the `request-id` header. */
  readonly requestId?: string;
  /** Sent as `retry-after` (seconds). */
  readonly retryAfter?: string;
  /** Keep the request id out of the body (header only), as on older responses. */
  readonly requestIdInHeaderOnly?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A scripted Anthropic error response. */
export function anthropicError(spec: AnthropicErrorSpec): ScriptedResponse {
  return {
    status: spec.status,
    headers: {
      ...(spec.requestId ? { 'request-id': spec.requestId } : {}),
      ...(spec.retryAfter ? { 'retry-after': spec.retryAfter } : {}),
      ...(spec.headers ?? {}),
    },
    json: {
      type: 'error',
      error: { type: spec.type, message: spec.message },
      ...(spec.requestId && !spec.requestIdInHeaderOnly ? { request_id: spec.requestId } : {}),
    },
  };
}

/** The `anthropic-ratelimit-*` headers of a response, with `remaining` left of `limit` until `reset`. */
export function anthropicRateLimitHeaders(limits: {
  requests: number;
  requestsRemaining: number;
  tokens: number;
  tokensRemaining: number;
  reset: string;
}): Record<string, string> {
  return {
    'anthropic-ratelimit-requests-limit': String(limits.requests),
    'anthropic-ratelimit-requests-remaining': String(limits.requestsRemaining),
    'anthropic-ratelimit-requests-reset': limits.reset,
    'anthropic-ratelimit-tokens-limit': String(limits.tokens),
    'anthropic-ratelimit-tokens-remaining': String(limits.tokensRemaining),
    'anthropic-ratelimit-tokens-reset': limits.reset,
  };
}
