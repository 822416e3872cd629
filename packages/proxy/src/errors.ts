import { LllmError, redactSecrets, redactString } from '@lllm/core';

/** Why a proxy call failed. */
export type ProxyErrorKind =
  /** The parameters do not fit the endpoint (a missing, unknown or mistyped parameter). */
  | 'validation'
  /** No endpoint at that path (suggestions are attached). */
  | 'not_found'
  /** The proxy exists but is not activated in this runtime. */
  | 'not_activated'
  /** The API key's environment variable is not set. */
  | 'missing_key'
  /** The API answered with an HTTP error status. */
  | 'http'
  /** The API answered 2xx with an error body. */
  | 'api'
  /** The request took longer than the timeout. */
  | 'timeout'
  /** The API could not be reached. */
  | 'connection'
  /** The response was not JSON, or the post-call transform threw. */
  | 'response'
  /** An MCP server failed or reported a tool error. */
  | 'mcp';

/**
 * A proxy call failed. `message` names the endpoint, the value and the fix; it never contains an API
 * key or another secret: the message and the body are redacted here, whoever builds the error (URLs
 * are shown with the key replaced).
 */
export class ProxyError extends LllmError {
  readonly kind: ProxyErrorKind;
  /** The full endpoint path (`proxy/category/endpoint`), when known. */
  readonly path: string | undefined;
  readonly statusCode: number | undefined;
  /** Whether trying again later may succeed (timeouts, connection faults, 429 and 5xx). */
  readonly isRetryable: boolean;
  /** The API's error body (redacted), when there was one. */
  readonly body: unknown;
  /** Closest endpoint paths, for `not_found`. */
  readonly suggestions: readonly string[];

  constructor(
    message: string,
    fields: {
      kind: ProxyErrorKind;
      path?: string | undefined;
      statusCode?: number | undefined;
      isRetryable?: boolean;
      body?: unknown;
      suggestions?: readonly string[];
      cause?: unknown;
    },
  ) {
    super(redactString(message), { cause: fields.cause });
    this.name = 'ProxyError';
    this.kind = fields.kind;
    this.path = fields.path;
    this.statusCode = fields.statusCode;
    this.isRetryable =
      fields.isRetryable ??
      (fields.kind === 'timeout' ||
        fields.kind === 'connection' ||
        (fields.kind === 'http' && (fields.statusCode === 429 || (fields.statusCode ?? 0) >= 500)));
    this.body = fields.body === undefined ? undefined : redactSecrets(fields.body);
    this.suggestions = fields.suggestions ?? [];
  }

  static override isInstance(value: unknown): value is ProxyError {
    return LllmError.isInstance(value) && value.name === 'ProxyError';
  }
}
