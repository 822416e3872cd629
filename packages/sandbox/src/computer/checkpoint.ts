import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '@lllm/core';
import { SandboxError } from '../errors.js';
import type { ActionRecord, PendingCall } from './action-runner.js';
import { writeCheckpointFile } from './checkpoint-file.js';
import { type ComputerUseStepCost, record } from './responses-reply.js';
import type { ComputerUseAttempt } from './responses-request.js';
import type { PendingSafetyCheck } from './safety-checks.js';

/** How a computer-use run stands. */
export type ComputerUseStatus =
  /** The model answered without asking for more actions. */
  | 'completed'
  /** The step budget ran out; `resume()` goes on with a fresh budget. */
  | 'max_steps'
  /** A safety check was not acknowledged; `resume()` asks again. */
  | 'safety_stop'
  /** The session ended (Ctrl+W or the last page closed). */
  | 'ended'
  /** Still going (only seen in checkpoints of interrupted runs). */
  | 'running';

/** The settings a checkpoint is bound to: resuming with others would send a different conversation. */
export interface CheckpointSettings {
  readonly model: string;
  readonly tool: 'computer_use_preview' | 'computer';
  readonly conversation: 'previous_response_id' | 'input';
}

/** Everything a computer-use session needs to go on (written after every step, secrets redacted). */
export interface Checkpoint {
  version: 1;
  id: string;
  task: string;
  model: string;
  tool: 'computer_use_preview' | 'computer';
  conversation: 'previous_response_id' | 'input';
  createdAt: string;
  updatedAt: string;
  status: ComputerUseStatus;
  steps: number;
  previousResponseId: string | null;
  initialSent: boolean;
  history: unknown[];
  pendingCalls: PendingCall[];
  notes: string[];
  actions: ActionRecord[];
  finalText: string | null;
  pendingSafetyChecks: PendingSafetyCheck[];
  url: string;
  /** Added after version 1 shipped: missing in older checkpoints, read as empty. */
  stepCosts: ComputerUseStepCost[];
  attempts: ComputerUseAttempt[];
  /** The logged dialog of this session, and how many messages it holds. */
  logDialogId: string;
  logIndex: number;
}

/** A fresh session's state. */
export function newCheckpoint(id: string, task: string, settings: CheckpointSettings, url: string): Checkpoint {
  const now = new Date().toISOString();
  return {
    version: 1,
    id,
    task,
    ...settings,
    createdAt: now,
    updatedAt: now,
    status: 'running',
    steps: 0,
    previousResponseId: null,
    initialSent: false,
    history: [],
    pendingCalls: [],
    notes: [],
    actions: [],
    finalText: null,
    pendingSafetyChecks: [],
    url,
    stepCosts: [],
    attempts: [],
    logDialogId: randomUUID(),
    logIndex: 0,
  };
}

/** `<directory>/<id>.json`, or undefined when checkpointing is off. */
export function checkpointPath(directory: string | undefined, id: string): string | undefined {
  return directory ? join(resolve(directory), `${id}.json`) : undefined;
}

/** Write the checkpoint privately (0600 in a 0700 folder), when checkpointing is on. */
export async function saveCheckpoint(directory: string | undefined, state: Checkpoint): Promise<void> {
  const path = checkpointPath(directory, state.id);
  if (!directory || !path) return;
  await writeCheckpointFile(resolve(directory), path, state);
}

/** Read and check a checkpoint file; it must have been made with `settings`. */
export async function readCheckpoint(path: string, settings: CheckpointSettings): Promise<Checkpoint> {
  let value: Record<string, unknown>;
  try {
    value = record(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    throw new SandboxError(`Checkpoint ${path} is unreadable: ${(error as Error).message}`, { kind: 'corrupt', cause: error });
  }
  const problems: string[] = [];
  if (value.version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(value.version)}`);
  for (const key of ['id', 'task', 'model', 'tool', 'conversation', 'status', 'url'] as const) {
    if (typeof value[key] !== 'string') problems.push(`${key}: expected a string`);
  }
  for (const key of ['history', 'pendingCalls', 'notes', 'actions', 'pendingSafetyChecks'] as const) {
    if (!Array.isArray(value[key])) problems.push(`${key}: expected a list`);
  }
  if (typeof value.steps !== 'number') problems.push('steps: expected a number');
  for (const key of ['stepCosts', 'attempts'] as const) {
    if (value[key] !== undefined && !Array.isArray(value[key])) problems.push(`${key}: expected a list`);
  }
  if (problems.length > 0) {
    throw new SandboxError(`Checkpoint ${path} is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`, { kind: 'corrupt' });
  }
  const state = value as unknown as Checkpoint;
  state.stepCosts ??= [];
  state.attempts ??= [];
  if (typeof state.logDialogId !== 'string') state.logDialogId = randomUUID();
  if (typeof state.logIndex !== 'number') state.logIndex = 0;
  if (state.model !== settings.model || state.tool !== settings.tool || state.conversation !== settings.conversation) {
    throw new ConfigError(
      `Checkpoint "${state.id}" was made with model ${state.model}, tool ${state.tool} and conversation ${state.conversation}; create the agent with the same settings to resume it.`,
      { problems: ['model/tool/conversation: differ from the checkpoint'], file: path },
    );
  }
  return state;
}
