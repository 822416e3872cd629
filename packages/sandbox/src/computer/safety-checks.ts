import { record } from './responses-reply.js';

/** A safety check the API raised on a `computer_call`. */
export interface PendingSafetyCheck {
  readonly id: string;
  readonly code?: string | null;
  readonly message?: string | null;
}

/** What the safety-check callback decides. */
export type SafetyCheckDecision = 'acknowledge' | 'stop';

/** What the safety-check callback is told. */
export interface SafetyCheckContext {
  readonly sessionId: string;
  readonly callId: string;
  readonly actions: readonly unknown[];
  readonly url: string;
  readonly step: number;
}

/** Decides on pending safety checks (`true` acknowledges, `false` stops). */
export type SafetyCheckCallback = (
  checks: readonly PendingSafetyCheck[],
  context: SafetyCheckContext,
) => SafetyCheckDecision | boolean | Promise<SafetyCheckDecision | boolean>;

/** The `pending_safety_checks` of a `computer_call`, as sent (items without an id are dropped). */
export function parseChecks(value: unknown): PendingSafetyCheck[] {
  if (!Array.isArray(value)) return [];
  return value
    .map(record)
    .filter((check) => typeof check.id === 'string')
    .map((check) => ({
      id: check.id as string,
      code: typeof check.code === 'string' ? check.code : null,
      message: typeof check.message === 'string' ? check.message : null,
    }));
}

/** Whether the callback let the checks through; without a callback nothing is acknowledged. */
export async function acknowledges(
  callback: SafetyCheckCallback | undefined,
  checks: readonly PendingSafetyCheck[],
  context: SafetyCheckContext,
): Promise<boolean> {
  if (!callback) return false;
  const decision = await callback(checks, context);
  return decision !== false && decision !== 'stop';
}
