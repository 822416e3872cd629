// The brand @lllm/core's `LllmError.isInstance()` checks: create-lllm stays free of core (and of zod)
// so `pnpm create lllm` installs in seconds, yet `lllm create` reports its errors as LLLM errors.
const LLLM_ERROR_BRAND = Symbol.for('lllm.error');

/** What kind of mistake stopped the scaffolder. `usage` is a wrong invocation (exit code 2). */
export type CreateLllmErrorKind = 'usage' | 'name' | 'template' | 'exists' | 'folder' | 'install';

/**
 * A user mistake the scaffolder refuses: a bad project name, an unknown template, an existing
 * folder, a folder that cannot be created, a failed install. `LllmError.isInstance(error)` from `@lllm/core` is true for it.
 */
export class CreateLllmError extends Error {
  readonly [LLLM_ERROR_BRAND] = true;
  /** Which check failed. */
  readonly kind: CreateLllmErrorKind;

  constructor(kind: CreateLllmErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CreateLllmError';
    this.kind = kind;
  }

  /** True for a `CreateLllmError` from any installed copy of create-lllm. */
  static isInstance(value: unknown): value is CreateLllmError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[LLLM_ERROR_BRAND] === true &&
      (value as { name?: unknown }).name === 'CreateLllmError'
    );
  }
}
