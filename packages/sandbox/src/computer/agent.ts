import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ConfigError,
  InvalidArgumentError,
  LllmError,
  NotFoundError,
  ProviderError,
  type ProviderErrorKind,
  parseRetryAfter,
  redactString,
  throwIfAborted,
  toAbortError,
} from '@lllm/core';
import { SandboxError } from '../errors.js';
import { writeFileAtomic } from '../jupyter/notebook.js';
import { type ComputerAction, describeAction, parseComputerAction } from './actions.js';
import type { ActionResult, BlockedRequest, Computer, Screenshot } from './browser.js';

/**
 * The part of an OpenAI client the loop uses: `responses.create(body, { signal })`. Pass an `openai`
 * `OpenAI` instance (or any client with a compatible method, e.g. one pointed at a local server).
 */
export interface ResponsesClient {
  readonly responses: {
    // `never` parameters accept any client's exact parameter types; the loop builds wire-format bodies.
    create(body: never, options?: never): PromiseLike<unknown>;
  };
}

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

/** The outcome of `run()` / `resume()`. */
export interface ComputerUseResult {
  readonly sessionId: string;
  readonly status: ComputerUseStatus;
  /** The model's last text (its answer when completed). */
  readonly finalText: string | undefined;
  /** Model responses received over the whole session. */
  readonly steps: number;
  readonly actions: readonly ActionRecord[];
  /** The unacknowledged checks when `status` is `safety_stop`. */
  readonly pendingSafetyChecks: readonly PendingSafetyCheck[];
  readonly lastResponseId: string | undefined;
  readonly url: string;
  /** The checkpoint file, when checkpointing is on. */
  readonly checkpointPath: string | undefined;
}

/** Options for a `ComputerUseAgent`. */
export interface ComputerUseAgentOptions {
  readonly client: ResponsesClient;
  readonly computer: Computer;
  /** Default `computer-use-preview`. */
  readonly model?: string;
  /** `computer_use_preview` (display size and environment sent) or the GA `computer` tool. Default `computer_use_preview`. */
  readonly tool?: 'computer_use_preview' | 'computer';
  /** System-level instructions. */
  readonly instructions?: string;
  /** Model responses allowed per `run()`/`resume()`. Default 30. */
  readonly maxSteps?: number;
  /** Decides on pending safety checks. Default: stop (nothing is acknowledged without a decision). */
  readonly onSafetyCheck?: (
    checks: readonly PendingSafetyCheck[],
    context: SafetyCheckContext,
  ) => SafetyCheckDecision | boolean | Promise<SafetyCheckDecision | boolean>;
  /** Where sessions are checkpointed (`<dir>/<sessionId>.json`) after every step. Required for `resume()`. */
  readonly checkpointDir?: string;
  /**
   * `previous_response_id` (default): the server keeps the conversation. `input`: the whole history
   * is sent each time (for `store: false` / zero data retention).
   */
  readonly conversation?: 'previous_response_id' | 'input';
  /** Extra request fields (`reasoning`, `temperature`, `store`, `include`, …). */
  readonly requestOptions?: Readonly<Record<string, unknown>>;
  /** Called after each executed action. */
  readonly onAction?: (record: ActionRecord) => void;
}

interface PendingCall {
  callId: string;
  actions: unknown[];
  checks: PendingSafetyCheck[];
  acknowledged: PendingSafetyCheck[];
  state: 'new' | 'started' | 'done';
}

interface Checkpoint {
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
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function dataUrl(screenshot: Screenshot): string {
  return `data:image/png;base64,${screenshot.png.toString('base64')}`;
}

function toProviderError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return toAbortError(signal.reason);
  if (LllmError.isInstance(error)) return error;
  const fields = record(error);
  const name = error instanceof Error ? error.name : '';
  if (name === 'APIUserAbortError' || name === 'AbortError') return toAbortError(error);
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  let kind: ProviderErrorKind | undefined;
  if (status === 429) kind = 'rate_limit';
  else if (status === 401 || status === 403) kind = 'authentication';
  else if (status !== undefined && status >= 500) kind = 'server';
  else if (status !== undefined) kind = 'client';
  else if (/Timeout/.test(name)) kind = 'timeout';
  else if (/Connection/.test(name)) kind = 'connection';
  if (!kind) return error;
  const headers = fields.headers as { get(name: string): string | null } | undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(redactString(`Responses API request failed${status ? ` (HTTP ${status})` : ''}: ${message}`), {
    kind,
    statusCode: status,
    retryAfterMs: headers && typeof headers.get === 'function' ? parseRetryAfter(headers) : undefined,
    requestId: typeof fields.requestID === 'string' ? fields.requestID : undefined,
    provider: 'openai',
    body: fields.error,
    cause: error,
  });
}

function outputText(items: readonly unknown[]): string {
  const texts: string[] = [];
  for (const item of items) {
    const raw = record(item);
    if (raw.type !== 'message' || !Array.isArray(raw.content)) continue;
    for (const part of raw.content) {
      const content = record(part);
      if (content.type === 'output_text' && typeof content.text === 'string') texts.push(content.text);
      if (content.type === 'refusal' && typeof content.refusal === 'string') texts.push(content.refusal);
    }
  }
  return texts.join('\n');
}

function parseChecks(value: unknown): PendingSafetyCheck[] {
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

/**
 * The computer-use loop over the OpenAI Responses API: the task and a screenshot go to the model,
 * each `computer_call`'s actions run on the `Computer`, the screen goes back as a
 * `computer_call_output`, pending safety checks go to a callback, and every step is checkpointed so
 * a session can be resumed. Bounded by `maxSteps` model responses per call.
 */
export class ComputerUseAgent {
  private readonly options: ComputerUseAgentOptions;
  private readonly model: string;
  private readonly tool: 'computer_use_preview' | 'computer';
  private readonly maxSteps: number;
  private readonly conversation: 'previous_response_id' | 'input';

  constructor(options: ComputerUseAgentOptions) {
    this.options = options;
    this.model = options.model ?? 'computer-use-preview';
    this.tool = options.tool ?? 'computer_use_preview';
    this.maxSteps = options.maxSteps ?? 30;
    this.conversation = options.conversation ?? 'previous_response_id';
    if (!Number.isInteger(this.maxSteps) || this.maxSteps < 1) {
      throw new InvalidArgumentError(`maxSteps must be a whole number of at least 1, got ${options.maxSteps}.`, { argument: 'maxSteps' });
    }
  }

  /** Start a session on `task`. */
  async run(task: string, options: { readonly sessionId?: string; readonly signal?: AbortSignal } = {}): Promise<ComputerUseResult> {
    if (typeof task !== 'string' || task.trim() === '') {
      throw new InvalidArgumentError('A computer-use task must be a non-empty string.', { argument: 'task' });
    }
    const id = options.sessionId ?? randomUUID();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) {
      throw new InvalidArgumentError(`Session id "${id}" may only hold letters, digits, ".", "_" and "-".`, { argument: 'sessionId' });
    }
    const path = this.checkpointPath(id);
    if (path && existsSync(path)) {
      throw new InvalidArgumentError(
        `Computer-use session "${id}" already has a checkpoint (${path}); call resume("${id}") or pick another id.`,
        {
          argument: 'sessionId',
        },
      );
    }
    const now = new Date().toISOString();
    const state: Checkpoint = {
      version: 1,
      id,
      task,
      model: this.model,
      tool: this.tool,
      conversation: this.conversation,
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
      url: this.options.computer.currentUrl(),
    };
    return this.loop(state, options.signal);
  }

  /**
   * Go on with a checkpointed session: the browser is brought back to the saved URL, calls whose
   * actions had not started run now, calls interrupted midway are answered with a fresh screenshot
   * (never re-run), and a `safety_stop` asks the callback again. Completed sessions return as saved.
   */
  async resume(sessionId: string, options: { readonly signal?: AbortSignal } = {}): Promise<ComputerUseResult> {
    const path = this.checkpointPath(sessionId);
    if (!path) {
      throw new ConfigError('resume() needs checkpointDir: the agent was created without one, so nothing was saved.', {
        problems: ['checkpointDir: missing'],
      });
    }
    if (!existsSync(path))
      throw new NotFoundError(`No computer-use checkpoint "${sessionId}" in ${this.options.checkpointDir}.`, {
        what: 'checkpoint',
        key: sessionId,
      });
    const state = await this.readCheckpoint(path);
    if (state.status === 'completed' || state.status === 'ended') return this.result(state);
    state.status = 'running';
    state.pendingSafetyChecks = [];
    const computer = this.options.computer;
    if (state.url && state.url !== computer.currentUrl() && state.url !== 'about:blank' && computer.goto) {
      try {
        await computer.goto(state.url);
      } catch (error) {
        state.notes.push(`The session was resumed but the saved page ${state.url} could not be reopened: ${(error as Error).message}`);
      }
    }
    return this.loop(state, options.signal);
  }

  /** Read a checkpoint without running anything. */
  async checkpoint(sessionId: string): Promise<ComputerUseResult | undefined> {
    const path = this.checkpointPath(sessionId);
    if (!path || !existsSync(path)) return undefined;
    return this.result(await this.readCheckpoint(path));
  }

  private checkpointPath(id: string): string | undefined {
    return this.options.checkpointDir ? join(resolve(this.options.checkpointDir), `${id}.json`) : undefined;
  }

  private async readCheckpoint(path: string): Promise<Checkpoint> {
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
    if (problems.length > 0) {
      throw new SandboxError(`Checkpoint ${path} is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`, { kind: 'corrupt' });
    }
    const state = value as unknown as Checkpoint;
    if (state.model !== this.model || state.tool !== this.tool || state.conversation !== this.conversation) {
      throw new ConfigError(
        `Checkpoint "${state.id}" was made with model ${state.model}, tool ${state.tool} and conversation ${state.conversation}; create the agent with the same settings to resume it.`,
        { problems: ['model/tool/conversation: differ from the checkpoint'], file: path },
      );
    }
    return state;
  }

  private async save(state: Checkpoint): Promise<void> {
    state.updatedAt = new Date().toISOString();
    state.url = this.options.computer.currentUrl();
    const path = this.checkpointPath(state.id);
    if (!path) return;
    await mkdir(resolve(this.options.checkpointDir ?? '.'), { recursive: true });
    await writeFileAtomic(path, `${JSON.stringify(state)}\n`);
  }

  private result(state: Checkpoint): ComputerUseResult {
    return {
      sessionId: state.id,
      status: state.status,
      finalText: state.finalText ?? undefined,
      steps: state.steps,
      actions: [...state.actions],
      pendingSafetyChecks: [...state.pendingSafetyChecks],
      lastResponseId: state.previousResponseId ?? undefined,
      url: state.url,
      checkpointPath: this.checkpointPath(state.id),
    };
  }

  private toolSpec(): Record<string, unknown> {
    const computer = this.options.computer;
    return this.tool === 'computer'
      ? { type: 'computer' }
      : {
          type: 'computer_use_preview',
          display_width: computer.display.width,
          display_height: computer.display.height,
          environment: computer.environment,
        };
  }

  private async loop(state: Checkpoint, signal: AbortSignal | undefined): Promise<ComputerUseResult> {
    const computer = this.options.computer;
    let used = 0;
    for (;;) {
      throwIfAborted(signal);
      let input: unknown[];
      if (state.pendingCalls.length > 0) {
        const acted = await this.act(state, signal);
        if (acted.stop) return this.result(state);
        const screenshot = acted.screenshot ?? (await computer.screenshot());
        input = state.pendingCalls.map((call) => ({
          type: 'computer_call_output',
          call_id: call.callId,
          output: { type: 'computer_screenshot', image_url: dataUrl(screenshot) },
          ...(call.acknowledged.length > 0 ? { acknowledged_safety_checks: call.acknowledged } : {}),
        }));
        if (screenshot.stale)
          state.notes.push(`The screenshot could not be refreshed (${screenshot.error ?? 'unknown error'}); this is the last good one.`);
      } else if (!state.initialSent) {
        const screenshot = await computer.screenshot();
        input = [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: state.task },
              { type: 'input_image', image_url: dataUrl(screenshot), detail: 'auto' },
            ],
          },
        ];
      } else {
        state.status = 'completed';
        await this.save(state);
        return this.result(state);
      }
      if (state.notes.length > 0) {
        input.push({ role: 'user', content: [{ type: 'input_text', text: state.notes.join('\n') }] });
      }
      if (used >= this.maxSteps) {
        state.status = 'max_steps';
        await this.save(state);
        return this.result(state);
      }

      const body: Record<string, unknown> = {
        model: this.model,
        tools: [this.toolSpec()],
        input: this.conversation === 'input' ? [...state.history, ...input] : input,
        ...(this.tool === 'computer_use_preview' ? { truncation: 'auto' } : {}),
        ...(this.options.instructions ? { instructions: this.options.instructions } : {}),
        ...(this.conversation === 'previous_response_id' && state.previousResponseId
          ? { previous_response_id: state.previousResponseId }
          : {}),
        ...(this.options.requestOptions ?? {}),
      };
      await this.save(state);
      let response: Record<string, unknown>;
      try {
        const create = this.options.client.responses.create as (body: unknown, options?: unknown) => PromiseLike<unknown>;
        response = record(await create.call(this.options.client.responses, body, signal ? { signal } : undefined));
      } catch (error) {
        throw toProviderError(error, signal);
      }
      if (typeof response.id !== 'string' || !Array.isArray(response.output)) {
        throw new ProviderError('The Responses API answered without an id and an output list.', {
          kind: 'invalid_response',
          provider: 'openai',
          body: response,
        });
      }
      used++;
      state.steps++;
      const output = response.output as unknown[];
      if (this.conversation === 'input') state.history.push(...input, ...output);
      state.previousResponseId = response.id;
      state.initialSent = true;
      state.notes = [];
      const text = outputText(output);
      if (text) state.finalText = text;
      state.pendingCalls = output
        .map(record)
        .filter((item) => item.type === 'computer_call' && typeof item.call_id === 'string')
        .map((item) => ({
          callId: item.call_id as string,
          actions: Array.isArray(item.actions) && item.actions.length > 0 ? item.actions : item.action !== undefined ? [item.action] : [],
          checks: parseChecks(item.pending_safety_checks),
          acknowledged: [],
          state: 'new' as const,
        }));
      if (response.status === 'failed' || response.status === 'incomplete') {
        const reason = record(response.incomplete_details).reason ?? record(response.error).message ?? response.status;
        if (state.pendingCalls.length === 0) {
          throw new ProviderError(`The Responses API returned a ${String(response.status)} response: ${String(reason)}.`, {
            kind: 'invalid_response',
            provider: 'openai',
            body: response,
          });
        }
      }
      if (state.pendingCalls.length === 0) {
        state.status = 'completed';
        await this.save(state);
        return this.result(state);
      }
      await this.save(state);
    }
  }

  /** Run the pending calls' actions. */
  private async act(state: Checkpoint, signal: AbortSignal | undefined): Promise<{ stop: boolean; screenshot: Screenshot | undefined }> {
    const computer = this.options.computer;
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
        const decision = this.options.onSafetyCheck
          ? await this.options.onSafetyCheck(call.checks, {
              sessionId: state.id,
              callId: call.callId,
              actions: call.actions,
              url: computer.currentUrl(),
              step: state.steps,
            })
          : 'stop';
        if (decision === false || decision === 'stop') {
          state.status = 'safety_stop';
          state.pendingSafetyChecks = call.checks;
          await this.save(state);
          return { stop: true, screenshot };
        }
        call.acknowledged = call.checks;
      }
      call.state = 'started';
      await this.save(state);
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
        this.options.onAction?.(actionRecord);
        if (failure !== undefined) {
          state.notes.push(`Action "${actionRecord.description}" failed: ${failure}`);
          screenshot = undefined;
          break;
        }
        if (result) {
          screenshot = result.screenshot;
          for (const blocked of result.blocked.filter((item) => item.navigation)) {
            state.notes.push(
              `Navigation to ${blocked.url} was blocked: that site is not allowed in this session. The browser stayed on ${result.url}.`,
            );
          }
          const resources = result.blocked.filter((item) => !item.navigation);
          if (resources.length > 0) {
            const examples = resources.slice(0, 3).map((item) => item.url);
            state.notes.push(
              `${resources.length} request${resources.length === 1 ? '' : 's'} to origins outside the allowlist ${resources.length === 1 ? 'was' : 'were'} blocked (${examples.join(', ')}${resources.length > 3 ? ', …' : ''}); parts of the page may be missing.`,
            );
          }
          if (result.ended) {
            call.state = 'done';
            state.status = 'ended';
            await this.save(state);
            return { stop: true, screenshot };
          }
        }
      }
      call.state = 'done';
      await this.save(state);
    }
    return { stop: false, screenshot };
  }
}
