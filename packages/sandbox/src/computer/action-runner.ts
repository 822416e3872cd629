import { InvalidArgumentError, throwIfAborted } from '@lllm/core';
import { SandboxError } from '../errors.js';
import { type ComputerAction, describeAction, parseComputerAction } from './actions.js';
import type { ActionResult, BlockedRequest, Computer, Screenshot } from './browser.js';
import type { Checkpoint } from './checkpoint.js';
import { record } from './responses-reply.js';
import { acknowledges, type PendingSafetyCheck, parseChecks, type SafetyCheckCallback } from './safety-checks.js';
import type { SessionLog } from './session-log.js';

/** A `computer_call` the loop must answer, and how far its actions got. */
export interface PendingCall {
  callId: string;
  actions: unknown[];
  checks: PendingSafetyCheck[];
  acknowledged: PendingSafetyCheck[];
  state: 'new' | 'started' | 'done';
}

/** One action the loop executed. */
export interface ActionRecord {
  readonly step: number;
  readonly callId: string;
  readonly action: unknown;
  readonly description: string;
  readonly ok: boolean;
  readonly error: string | undefined;
  readonly url: string;
  readonly signal: string | undefined;
  readonly blocked: readonly BlockedRequest[];
  readonly staleScreenshot: boolean;
}

/** What running the pending calls needs from the agent. */
export interface ActionContext {
  readonly computer: Computer;
  readonly onSafetyCheck: SafetyCheckCallback | undefined;
  readonly onAction: ((record: ActionRecord) => void) | undefined;
  readonly log: SessionLog;
  save(state: Checkpoint): Promise<void>;
}

/** The `computer_call` items of a response output (a batched `actions` list, or a single `action`). */
export function computerCalls(output: readonly unknown[]): PendingCall[] {
  return output
    .map(record)
    .filter((item) => item.type === 'computer_call' && typeof item.call_id === 'string')
    .map((item) => ({
      callId: item.call_id as string,
      actions: Array.isArray(item.actions) && item.actions.length > 0 ? item.actions : item.action !== undefined ? [item.action] : [],
      checks: parseChecks(item.pending_safety_checks),
      acknowledged: [],
      state: 'new' as const,
    }));
}

/** What the model is told about requests the allowlist blocked during an action. */
function blockedNotes(result: ActionResult): string[] {
  const notes = result.blocked
    .filter((item) => item.navigation)
    .map(
      (blocked) =>
        `Navigation to ${blocked.url} was blocked: that site is not allowed in this session. The browser stayed on ${result.url}.`,
    );
  const resources = result.blocked.filter((item) => !item.navigation);
  if (resources.length > 0) {
    const examples = resources.slice(0, 3).map((item) => item.url);
    notes.push(
      `${resources.length} request${resources.length === 1 ? '' : 's'} to origins outside the allowlist ${resources.length === 1 ? 'was' : 'were'} blocked (${examples.join(', ')}${resources.length > 3 ? ', …' : ''}); parts of the page may be missing.`,
    );
  }
  return notes;
}

/**
 * Run the pending calls' actions, checkpointing before and after each call: a call interrupted midway
 * in an earlier run is never repeated, unacknowledged safety checks go to the callback first, a failed
 * action ends its call with a note for the model. `stop` when the run must end (safety stop, session ended).
 */
export async function runPendingCalls(
  state: Checkpoint,
  context: ActionContext,
  signal: AbortSignal | undefined,
): Promise<{ stop: boolean; screenshot: Screenshot | undefined }> {
  const { computer } = context;
  let screenshot: Screenshot | undefined;
  for (const call of state.pendingCalls) {
    if (call.state === 'done') continue;
    if (call.state === 'started') {
      // Interrupted midway in an earlier run: never repeat actions that may have happened.
      state.notes.push(
        `The session was interrupted while performing call ${call.callId}; some of its actions may not have happened. The screenshot shows the current state.`,
      );
      call.state = 'done';
      screenshot = undefined;
      continue;
    }
    if (call.checks.length > 0 && call.acknowledged.length === 0) {
      const acknowledged = await acknowledges(context.onSafetyCheck, call.checks, {
        sessionId: state.id,
        callId: call.callId,
        actions: call.actions,
        url: computer.currentUrl(),
        step: state.steps,
      });
      if (!acknowledged) {
        state.status = 'safety_stop';
        state.pendingSafetyChecks = call.checks;
        await context.save(state);
        return { stop: true, screenshot };
      }
      call.acknowledged = call.checks;
    }
    call.state = 'started';
    await context.save(state);
    for (const raw of call.actions) {
      throwIfAborted(signal);
      let result: ActionResult | undefined;
      let failure: string | undefined;
      let action: ComputerAction | undefined;
      try {
        action = parseComputerAction(raw);
        result = await computer.execute(action);
      } catch (error) {
        if (!InvalidArgumentError.isInstance(error) && !(SandboxError.isInstance(error) && error.kind === 'browser')) throw error;
        failure = error.message;
      }
      const actionRecord: ActionRecord = {
        step: state.steps,
        callId: call.callId,
        action: raw,
        description: action ? describeAction(action) : `invalid action ${JSON.stringify(raw)}`,
        ok: failure === undefined,
        error: failure,
        url: computer.currentUrl(),
        signal: result?.signal,
        blocked: result?.blocked ?? [],
        staleScreenshot: result?.screenshot.stale ?? false,
      };
      state.actions.push(actionRecord);
      context.log.message(state, {
        role: 'tool',
        content: failure === undefined ? actionRecord.description : `${actionRecord.description}: failed: ${failure}`,
        creator: 'computer',
        toolCallId: call.callId,
        extra: { action: actionRecord as unknown as Record<string, unknown> },
      });
      context.onAction?.(actionRecord);
      if (failure !== undefined) {
        state.notes.push(`Action "${actionRecord.description}" failed: ${failure}`);
        screenshot = undefined;
        break;
      }
      if (result) {
        screenshot = result.screenshot;
        state.notes.push(...blockedNotes(result));
        if (result.notice) state.notes.push(result.notice);
        if (result.ended) {
          call.state = 'done';
          state.status = 'ended';
          await context.save(state);
          return { stop: true, screenshot };
        }
      }
    }
    call.state = 'done';
    await context.save(state);
  }
  return { stop: false, screenshot };
}
