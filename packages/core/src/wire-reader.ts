import { ProviderError } from './errors.js';
import { redactString } from './redact.js';

type JsonRecord = Record<string, unknown>;

/** A short, quoted rendering of a wrong value for an error message. */
function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  // A reply may echo anything, secrets included: the quoted value is redacted like every error message.
  const text = redactString(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * Checks the fields of a provider reply as it is read. A field of the wrong type is a typed
 * `invalid_response` `ProviderError` naming the field and quoting the value: transient (the state
 * machine retries it on the recall budget), never a silently wrong message or cost.
 */
export class WireReader {
  readonly provider: string;
  /** The whole reply, kept on the error for the log. */
  readonly body: unknown;

  constructor(provider: string, body: unknown) {
    this.provider = provider;
    this.body = body;
  }

  /** Throw the `invalid_response` error for `path`. */
  fail(path: string, expected: string, value: unknown): never {
    throw new ProviderError(
      `${this.provider}: malformed reply: ${path} should be ${expected}, got ${quote(value)}. The reply was not used; the request is retried as a transient fault (invalid_response).`,
      { kind: 'invalid_response', isRetryable: true, provider: this.provider, body: this.body },
    );
  }

  record(value: unknown, path: string): JsonRecord {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    return value as JsonRecord;
  }

  /** An array; `null`/absent is an empty one when `optional`. */
  array(value: unknown, path: string, optional = false): unknown[] {
    if (optional && (value === undefined || value === null)) return [];
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
    return value;
  }

  /** A string, or `undefined` when absent or `null`. */
  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    return this.string(value, path);
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'a finite number', value);
    return value;
  }

  /** A token count: a whole number >= 0. */
  count(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(path, 'a whole number >= 0', value);
    return value;
  }

  /** A token count, or `undefined` when absent or `null`. */
  optionalCount(value: unknown, path: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    return this.count(value, path);
  }
}
