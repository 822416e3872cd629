import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  ConfigError,
  type Cost,
  FunctionCall,
  InvalidArgumentError,
  type MessageInit,
  NotFoundError,
  ProviderError,
  type RateLimitBudget,
  sumCosts,
  throwIfAborted,
  type Usage,
} from '@lllm/core';
import { type BackoffOptions, sleep as defaultSleep } from '@lllm/core/utils';
import { type ActionRecord, computerCalls, runPendingCalls } from './action-runner.js';
import type { Computer } from './browser.js';
import { type Checkpoint, type ComputerUseStatus, checkpointPath, newCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type ComputerUseStepCost, outputText, stepCost, totalUsage } from './responses-reply.js';
import { type ComputerUseAttempt, type ResponsesClient, ResponsesRequester, type RunBudget } from './responses-request.js';
import type { PendingSafetyCheck, SafetyCheckContext, SafetyCheckDecision } from './safety-checks.js';
import { dataUrl, screenshotLabel, withoutImages } from './screenshot-data.js';
import { type ComputerUseLog, type FailureBranch, SessionLog } from './session-log.js';

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
  /** Tokens of every model response over the whole session (`inputTokens` excludes cached tokens). */
  readonly usage: Required<Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'reasoningTokens'>>;
  /** The exact price of every model response over the whole session; `known: false` if any model had no priced card. */
  readonly cost: Cost;
  /** Usage and price per model response, in order. */
  readonly stepCosts: readonly ComputerUseStepCost[];
  /** Every failed model request over the whole session, in order. */
  readonly attempts: readonly ComputerUseAttempt[];
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
  /** Retries of one model request after a transient fault: 5xx, connection, timeout (default 3). */
  readonly maxLlmRecall?: number;
  /** Limits on waiting out rate limits (HTTP 429) during one `run()`/`resume()` (default 8 waits, 300,000 ms in total). */
  readonly rateLimit?: RateLimitBudget;
  /** Backoff between retries of transient faults, and for a 429 without `retry-after`. */
  readonly backoff?: BackoffOptions;
  /**
   * The longest wait for a model reply, per request, in ms (default 120,000, as core's agent call; `0`:
   * no limit). Replies are not streamed, so it times the whole reply. Passing it is a `timeout` fault,
   * retried on the `maxLlmRecall` budget.
   */
  readonly timeoutMs?: number;
  /**
   * Where each model response (secrets redacted, screenshots replaced by a short placeholder), each
   * executed action and each failed request is written (`dialogs`/`messages` collections, the shape
   * `Dialog` writes, so `ReplaySession` shows the run and prices it).
   */
  readonly log?: ComputerUseLog;
  /** The creator of the model's replies in the log. Default `computer-use`. */
  readonly name?: string;
  /** Injected for tests: waiting. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: randomness of backoff jitter. */
  readonly random?: () => number;
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
  private readonly requester: ResponsesRequester;
  private readonly log: SessionLog;

  constructor(options: ComputerUseAgentOptions) {
    this.options = options;
    this.model = options.model ?? 'computer-use-preview';
    this.tool = options.tool ?? 'computer_use_preview';
    this.maxSteps = options.maxSteps ?? 30;
    this.conversation = options.conversation ?? 'previous_response_id';
    if (!Number.isInteger(this.maxSteps) || this.maxSteps < 1) {
      throw new InvalidArgumentError(`maxSteps must be a whole number of at least 1, got ${options.maxSteps}.`, { argument: 'maxSteps' });
    }
    this.requester = new ResponsesRequester({
      client: options.client,
      ...(options.maxLlmRecall === undefined ? {} : { maxLlmRecall: options.maxLlmRecall }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
    });
    this.log = new SessionLog(options.log, options.name ?? 'computer-use', this.model);
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
        { argument: 'sessionId' },
      );
    }
    const state = newCheckpoint(id, task, this.settings(), this.options.computer.currentUrl());
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
    const state = await readCheckpoint(path, this.settings());
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
    return this.result(await readCheckpoint(path, this.settings()));
  }

  private settings(): { model: string; tool: 'computer_use_preview' | 'computer'; conversation: 'previous_response_id' | 'input' } {
    return { model: this.model, tool: this.tool, conversation: this.conversation };
  }

  private checkpointPath(id: string): string | undefined {
    return checkpointPath(this.options.checkpointDir, id);
  }

  private async save(state: Checkpoint): Promise<void> {
    state.updatedAt = new Date().toISOString();
    state.url = this.options.computer.currentUrl();
    await saveCheckpoint(this.options.checkpointDir, state);
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
      usage: totalUsage(state.stepCosts),
      cost: sumCosts(state.stepCosts.map((step) => step.cost)),
      stepCosts: [...state.stepCosts],
      attempts: [...state.attempts],
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
    const budget: RunBudget = { rateLimitWaits: 0, rateLimitWaitedMs: 0 };
    this.log.dialog(state);
    let used = 0;
    for (;;) {
      throwIfAborted(signal);
      let input: unknown[];
      // What the log gets instead of the input items: screenshots as a label, never base64.
      const logged: MessageInit[] = [];
      if (state.pendingCalls.length > 0) {
        const acted = await runPendingCalls(
          state,
          {
            computer,
            onSafetyCheck: this.options.onSafetyCheck,
            onAction: this.options.onAction,
            log: this.log,
            save: (saved) => this.save(saved),
          },
          signal,
        );
        if (acted.stop) return this.result(state);
        const screenshot = acted.screenshot ?? (await computer.screenshot());
        input = state.pendingCalls.map((call) => ({
          type: 'computer_call_output',
          call_id: call.callId,
          output: { type: 'computer_screenshot', image_url: dataUrl(screenshot) },
          ...(call.acknowledged.length > 0 ? { acknowledged_safety_checks: call.acknowledged } : {}),
        }));
        for (const call of state.pendingCalls) {
          logged.push({
            role: 'tool',
            content: screenshotLabel(screenshot),
            creator: 'computer',
            toolCallId: call.callId,
            ...(call.acknowledged.length > 0 ? { extra: { acknowledgedSafetyChecks: call.acknowledged } } : {}),
          });
        }
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
        if (this.options.instructions) logged.push({ role: 'system', content: this.options.instructions, creator: 'system' });
        logged.push({ role: 'user', content: state.task, creator: 'user', extra: { screenshot: screenshotLabel(screenshot) } });
      } else {
        state.status = 'completed';
        await this.save(state);
        return this.result(state);
      }
      if (state.notes.length > 0) {
        input.push({ role: 'user', content: [{ type: 'input_text', text: state.notes.join('\n') }] });
        logged.push({ role: 'user', content: state.notes.join('\n'), creator: 'system' });
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
      for (const message of logged) this.log.message(state, message);
      await this.save(state);
      // Retries resend this same body; nothing below runs until a response is accepted, so a retried
      // request never duplicates history items or re-runs actions.
      const { response, failures } = await this.request(state, body, budget, signal);
      used++;
      state.steps++;
      const output = response.output as unknown[];
      const cost = stepCost(state.steps, response, this.model);
      state.stepCosts.push(cost);
      if (this.conversation === 'input') state.history.push(...input, ...output);
      state.previousResponseId = response.id as string;
      state.initialSent = true;
      state.notes = [];
      const text = outputText(output);
      if (text) state.finalText = text;
      state.pendingCalls = computerCalls(output);
      this.log.message(state, {
        role: state.pendingCalls.length > 0 ? 'tool_call' : 'assistant',
        content: text,
        creator: this.options.name ?? 'computer-use',
        model: cost.model,
        ...(cost.usage ? { usage: cost.usage } : {}),
        raw: withoutImages(response),
        attempts: failures,
        toolCalls: state.pendingCalls.map(
          (call) =>
            new FunctionCall({
              id: call.callId,
              name: 'computer',
              arguments: { actions: call.actions, ...(call.checks.length > 0 ? { pending_safety_checks: call.checks } : {}) },
            }),
        ),
        ...(typeof response.status === 'string' ? { finishReason: response.status } : {}),
        extra: { responseId: response.id, step: state.steps },
      });
      if (state.pendingCalls.length === 0) {
        state.status = 'completed';
        await this.save(state);
        return this.result(state);
      }
      await this.save(state);
    }
  }

  /**
   * One model request under the requester's fault policy. Every failure is recorded in the checkpoint
   * (a billed one priced) and on a pruned branch of the log before the wait, so an exhausted budget
   * leaves a complete, resumable record.
   */
  private request(state: Checkpoint, body: Record<string, unknown>, budget: RunBudget, signal: AbortSignal | undefined) {
    const branch: FailureBranch = { id: undefined, forkIndex: state.logIndex, count: 0 };
    const step = state.steps + 1;
    return this.requester.send(body, budget, signal, {
      step,
      onFailure: async ({ error, billed, attempt, failure }) => {
        // A response that arrived but cannot be used was still billed.
        const cost = billed ? stepCost(step, billed, this.model) : undefined;
        if (cost?.usage) state.stepCosts.push(cost);
        state.attempts.push(attempt);
        this.log.failure(
          state,
          branch,
          error,
          attempt,
          failure,
          billed && cost && { model: cost.model, usage: cost.usage, raw: withoutImages(billed) },
        );
        await this.save(state);
      },
      budgetError: (last, detail) => this.budgetError(state, last, detail),
    });
  }

  private budgetError(state: Checkpoint, last: ProviderError, detail: string): ProviderError {
    const resumable = this.checkpointPath(state.id) ? ` The checkpoint is kept: resume("${state.id}") goes on from here.` : '';
    return new ProviderError(`Computer-use session "${state.id}": ${detail}.${resumable}`, {
      kind: last.kind,
      statusCode: last.statusCode,
      isRetryable: last.isRetryable,
      retryAfterMs: last.retryAfterMs,
      requestId: last.requestId,
      provider: last.provider,
      body: last.body,
      cause: last,
    });
  }
}
