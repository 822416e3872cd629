import type { FailedAttempt } from './message.js';

const LLLM_ERROR_BRAND = Symbol.for('lllm.error');

/**
 * The base of every error LLLM throws. `LllmError.isInstance(value)` survives two installed
 * copies of `@lllm/core` because the check uses a `Symbol.for` brand, not `instanceof`.
 */
export class LllmError extends Error {
  readonly [LLLM_ERROR_BRAND] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LllmError';
  }

  static isInstance(value: unknown): value is LllmError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[LLLM_ERROR_BRAND] === true;
  }
}

function brandCheck<T>(name: string) {
  return (value: unknown): value is T => LllmError.isInstance(value) && value.name === name;
}

/** A reply could not be parsed: every problem found is listed in `problems`. */
export class ParseError extends LllmError {
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[], options?: { cause?: unknown }) {
    const list = typeof problems === 'string' ? [problems] : [...problems];
    super(list.length === 1 ? (list[0] ?? 'Parse error') : list.map((problem) => `- ${problem}`).join('\n'), options);
    this.name = 'ParseError';
    this.problems = list;
  }

  static override isInstance = brandCheck<ParseError>('ParseError');
}

/** A template could not be rendered (missing arguments, bad placeholders). */
export class TemplateError extends LllmError {
  readonly promptPath: string;
  readonly missing: readonly string[];

  constructor(message: string, fields: { promptPath: string; missing?: readonly string[] }) {
    super(message);
    this.name = 'TemplateError';
    this.promptPath = fields.promptPath;
    this.missing = fields.missing ?? [];
  }

  static override isInstance = brandCheck<TemplateError>('TemplateError');
}

/** What went wrong with a provider request, as the state machine needs to know it. */
export type ProviderErrorKind =
  | 'rate_limit'
  | 'server'
  | 'connection'
  | 'timeout'
  | 'client'
  | 'authentication'
  | 'refusal'
  | 'invalid_response';

/**
 * A provider (model API) request failed. Providers map every SDK error to this class so the
 * state machine can decide: `rate_limit` waits, retryable faults use the recall budget, others
 * fail at once.
 */
export class ProviderError extends LllmError {
  readonly kind: ProviderErrorKind;
  readonly statusCode: number | undefined;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;
  readonly provider: string | undefined;
  /** The provider's error body (redacted of secrets), when there was one. */
  readonly body: unknown;

  constructor(
    message: string,
    fields: {
      kind: ProviderErrorKind;
      statusCode?: number | undefined;
      isRetryable?: boolean | undefined;
      retryAfterMs?: number | undefined;
      requestId?: string | undefined;
      provider?: string | undefined;
      body?: unknown;
      cause?: unknown;
    },
  ) {
    super(message, { cause: fields.cause });
    this.name = 'ProviderError';
    this.kind = fields.kind;
    this.statusCode = fields.statusCode;
    this.isRetryable = fields.isRetryable ?? defaultRetryable(fields.kind);
    this.retryAfterMs = fields.retryAfterMs;
    this.requestId = fields.requestId;
    this.provider = fields.provider;
    this.body = fields.body;
  }

  static override isInstance = brandCheck<ProviderError>('ProviderError');
}

function defaultRetryable(kind: ProviderErrorKind): boolean {
  // A malformed reply (wrong field types, cut-off JSON) is transient: the next one is usually fine.
  return kind === 'rate_limit' || kind === 'server' || kind === 'connection' || kind === 'timeout' || kind === 'invalid_response';
}

/** Why an agent call gave up. */
export type AgentCallErrorKind = 'parse' | 'interrupt_limit' | 'provider' | 'tool';

/**
 * An agent call ended without a parsed result. Carries every failed attempt and the dialog as it
 * stood (the real dialog, without pruned branches), so nothing is lost.
 */
export class AgentCallError extends LllmError {
  readonly kind: AgentCallErrorKind;
  readonly attempts: readonly FailedAttempt[];
  /** The dialog so far (typed loosely here to avoid a cycle; it is a `Dialog`). */
  readonly dialog: unknown;

  constructor(message: string, fields: { kind: AgentCallErrorKind; attempts: readonly FailedAttempt[]; dialog: unknown; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.name = 'AgentCallError';
    this.kind = fields.kind;
    this.attempts = fields.attempts;
    this.dialog = fields.dialog;
  }

  static override isInstance = brandCheck<AgentCallError>('AgentCallError');
}

/** The caller aborted through an `AbortSignal`. */
export class AbortError extends LllmError {
  constructor(message = 'The operation was aborted.', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }

  static override isInstance = brandCheck<AbortError>('AbortError');
}

/** Configuration is wrong: every problem is listed, each prefixed with its key path. */
export class ConfigError extends LllmError {
  readonly problems: readonly string[];
  readonly file: string | undefined;

  constructor(message: string, fields: { problems?: readonly string[]; file?: string | undefined; cause?: unknown } = {}) {
    super(message, { cause: fields.cause });
    this.name = 'ConfigError';
    this.problems = fields.problems ?? [];
    this.file = fields.file;
  }

  static override isInstance = brandCheck<ConfigError>('ConfigError');
}

/** Something looked up by name (a prompt, a model card, a log backend) is not registered. */
export class NotFoundError extends LllmError {
  readonly what: string;
  readonly key: string;
  readonly suggestions: readonly string[];

  constructor(message: string, fields: { what: string; key: string; suggestions?: readonly string[] }) {
    super(message);
    this.name = 'NotFoundError';
    this.what = fields.what;
    this.key = fields.key;
    this.suggestions = fields.suggestions ?? [];
  }

  static override isInstance = brandCheck<NotFoundError>('NotFoundError');
}

/** Input given to an LLLM API is invalid (for example image bytes of an unknown format). */
export class InvalidArgumentError extends LllmError {
  readonly argument: string;

  constructor(message: string, fields: { argument: string; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.name = 'InvalidArgumentError';
    this.argument = fields.argument;
  }

  static override isInstance = brandCheck<InvalidArgumentError>('InvalidArgumentError');
}

/** Throw an `AbortError` if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw toAbortError(signal.reason);
}

/** Normalise any abort reason into an `AbortError`. */
export function toAbortError(reason: unknown): AbortError {
  if (AbortError.isInstance(reason)) return reason;
  const detail = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return new AbortError(detail ? `The operation was aborted: ${detail}` : 'The operation was aborted.', { cause: reason });
}
