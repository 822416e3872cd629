import { randomUUID } from 'node:crypto';
import {
  type FailedAttempt,
  type JsonObject,
  type LogCollection,
  type LogStore,
  Message,
  type MessageInit,
  type ProviderError,
  redactSecrets,
  type Usage,
} from '@lllm/core';
import type { Checkpoint } from './checkpoint.js';
import type { ComputerUseAttempt } from './responses-request.js';

/** Where a computer-use session is logged. */
export interface ComputerUseLog {
  readonly store: LogStore;
  /** The log session. Default: the computer-use session id. */
  readonly session?: string;
}

/** The pruned branch the failed attempts of one request are logged on. */
export interface FailureBranch {
  id: string | undefined;
  forkIndex: number;
  count: number;
}

/**
 * Writes a computer-use session in the shape `Dialog` writes (`dialogs`/`messages` collections), so
 * `ReplaySession` shows and prices it: one root dialog, failed requests on pruned forks. Nothing is
 * written without a log; everything written is redacted here too, as a custom store may not.
 */
export class SessionLog {
  readonly #log: ComputerUseLog | undefined;
  readonly #creator: string;
  readonly #model: string;

  constructor(log: ComputerUseLog | undefined, creator: string, model: string) {
    this.#log = log;
    this.#creator = creator;
    this.#model = model;
  }

  /** The session's dialog record (written again on resume, identical, so a replay shows it once). */
  dialog(state: Checkpoint): void {
    this.#write(state, 'dialogs', {
      dialogId: state.logDialogId,
      parentDialogId: null,
      forkIndex: 0,
      branch: 'root',
      topPrompt: null,
      createdAt: Date.parse(state.createdAt),
      computerUseSession: state.id,
    });
  }

  /** The next message of the session's dialog. */
  message(state: Checkpoint, init: MessageInit): void {
    if (!this.#log) return;
    const index = state.logIndex;
    state.logIndex += 1;
    this.#write(state, 'messages', {
      dialogId: state.logDialogId,
      index,
      pruned: false,
      message: new Message(init).toJSON() as unknown as JsonObject,
    });
  }

  /** A failed request, on a pruned branch forked where the request was made (as the agent call logs failed replies). */
  failure(
    state: Checkpoint,
    branch: FailureBranch,
    error: ProviderError,
    attempt: ComputerUseAttempt,
    failure: FailedAttempt,
    response: { model: string; usage: Usage | undefined; raw: unknown } | undefined,
  ): void {
    if (!this.#log) return;
    if (!branch.id) {
      branch.id = randomUUID();
      this.#write(state, 'dialogs', {
        dialogId: branch.id,
        parentDialogId: state.logDialogId,
        forkIndex: branch.forkIndex,
        branch: 'exception',
        topPrompt: null,
        createdAt: Date.now(),
      });
    }
    const message = new Message({
      role: 'assistant',
      content: '',
      creator: this.#creator,
      model: response?.model ?? this.#model,
      ...(response?.usage ? { usage: response.usage } : {}),
      ...(response ? { raw: response.raw } : {}),
      attempts: [failure],
      extra: {
        step: attempt.step,
        error: {
          kind: error.kind,
          ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
          isRetryable: error.isRetryable,
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
          message: error.message,
        },
        ...(attempt.waitMs === undefined ? {} : { waitMs: attempt.waitMs }),
      },
    });
    this.#write(state, 'messages', {
      dialogId: branch.id,
      index: branch.forkIndex + branch.count,
      pruned: true,
      message: message.toJSON() as unknown as JsonObject,
    });
    branch.count += 1;
  }

  #write(state: Checkpoint, collection: LogCollection, data: JsonObject): void {
    const log = this.#log;
    if (!log) return;
    log.store.write(collection, log.session ?? state.id, redactSecrets(data));
  }
}
