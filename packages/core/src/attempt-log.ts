import type { Dialog } from './dialog.js';
import { AbortError, AgentCallError, LllmError, ProviderError } from './errors.js';
import { type FailedAttempt, type FailedAttemptJSON, Message } from './message.js';

/**
 * The `event` of the record a failed agent call writes to its dialog's log session (collection
 * `messages`, beside the messages; it has no `message` field). Replays list these as call errors.
 */
export const AGENT_CALL_ERROR_EVENT = 'agent-call-error';

/** Why an agent call ended without a result, as logged: an `AgentCallError` kind, `aborted`, or `error` (anything else). */
export type LoggedCallErrorKind = AgentCallError['kind'] | 'aborted' | 'error';

/** The record a failed agent call logs (the `data` of its log entry). */
export interface AgentCallErrorRecord {
  readonly event: typeof AGENT_CALL_ERROR_EVENT;
  /** The dialog the call was made on. */
  readonly dialogId: string;
  readonly agent: string;
  /** The prompt on top of the dialog when the call ended. */
  readonly promptPath: string | null;
  readonly kind: LoggedCallErrorKind;
  /** The error's name (`AgentCallError`, `AbortError`, …). */
  readonly name: string;
  /** The error message. (Not `message`: in the `messages` collection that field holds a logged message.) */
  readonly error: string;
  /** Every failed attempt of the call, without the reply bodies (those are logged as pruned messages). */
  readonly attempts: readonly FailedAttemptJSON[];
  /** The provider error that ended the call, when one did. */
  readonly providerError?: {
    readonly kind: string;
    readonly statusCode?: number;
    readonly requestId?: string;
    readonly invoker?: string;
  };
}

/**
 * Log a failed provider request on `branch` (a pruned exception fork of the dialog the request was
 * made from): an empty assistant reply carrying the failure, so every request of an agent call — a
 * reply or a fault — is one logged message, and replays count and show them all.
 */
export function logProviderAttempt(
  branch: Dialog,
  failure: FailedAttempt,
  fields: { readonly agent: string; readonly model: string; readonly promptPath: string; readonly body: unknown },
): void {
  branch.append(
    new Message({
      role: 'assistant',
      content: '',
      creator: fields.agent,
      model: fields.model,
      promptPath: fields.promptPath,
      finishReason: 'error',
      attempts: [failure],
      // The provider's payload, when a reply came but was unusable (malformed, refused): the log keeps what was billed.
      ...(fields.body === undefined ? {} : { raw: fields.body }),
    }),
  );
}

function attemptSummary(attempt: FailedAttempt): FailedAttemptJSON {
  return {
    kind: attempt.kind,
    error: attempt.error,
    at: attempt.at,
    ...(attempt.statusCode === undefined ? {} : { statusCode: attempt.statusCode }),
    ...(attempt.provider ? { provider: { ...attempt.provider } } : {}),
  };
}

/** The log record of an error that ended an agent call on `dialog`. */
export function callErrorRecord(dialog: Dialog, agent: string, error: unknown): AgentCallErrorRecord {
  const agentError = AgentCallError.isInstance(error) ? error : undefined;
  const cause = agentError?.cause;
  const provider = ProviderError.isInstance(cause) ? cause : undefined;
  return {
    event: AGENT_CALL_ERROR_EVENT,
    dialogId: dialog.id,
    agent,
    promptPath: dialog.topPrompt?.path ?? null,
    kind: agentError ? agentError.kind : AbortError.isInstance(error) ? 'aborted' : 'error',
    name: LllmError.isInstance(error) || error instanceof Error ? error.name : 'Error',
    error: error instanceof Error ? error.message : String(error),
    attempts: (agentError?.attempts ?? []).map(attemptSummary),
    ...(provider
      ? {
          providerError: {
            kind: provider.kind,
            ...(provider.statusCode === undefined ? {} : { statusCode: provider.statusCode }),
            ...(provider.requestId === undefined ? {} : { requestId: provider.requestId }),
            ...(provider.provider === undefined ? {} : { invoker: provider.provider }),
          },
        }
      : {}),
  };
}

/** Write the error that ended an agent call to the dialog's log session (nothing without one). */
export function logCallError(dialog: Dialog, agent: string, error: unknown): void {
  const log = dialog.log;
  if (!log) return;
  log.store.write('messages', log.session, callErrorRecord(dialog, agent, error) as unknown as Record<string, unknown>);
}
