import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  AbortError,
  type BackoffOptions,
  backoffDelay,
  ConfigError,
  type Cost,
  costOf,
  sleep as defaultSleep,
  type FailedAttempt,
  FunctionCall,
  InvalidArgumentError,
  type JsonObject,
  LllmError,
  type LogCollection,
  type LogStore,
  Message,
  type MessageInit,
  NotFoundError,
  ProviderError,
  type ProviderErrorKind,
  parseRetryAfter,
  type RateLimitBudget,
  raceAbort,
  redactSecrets,
  redactString,
  sumCosts,
  throwIfAborted,
  toAbortError,
  type Usage,
} from '@lllm/core';
import { SandboxError } from '../errors.js';
import { type ComputerAction, describeAction, parseComputerAction } from './actions.js';
import type { ActionResult, BlockedRequest, Computer, Screenshot } from './browser.js';
import { writeCheckpointFile } from './checkpoint-file.js';

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

/** The tokens and price of one model response (failed responses that were billed included). */
export interface ComputerUseStepCost {
  /** The step (1-based) the response was for. */
  readonly step: number;
  readonly responseId: string;
  /** The model that answered, as the response names it (the agent's model when it does not); it prices the usage. */
  readonly model: string;
  /** As the Responses API reported it; `inputTokens` excludes cached tokens. Absent when the response had none. */
  readonly usage: Usage | undefined;
  /** `costOf(model, usage)`: `known: false` when the model has no card with pricing. */
  readonly cost: Cost;
}

/** A model request that failed: retried after `waitMs`, or the one that ended the run. */
export interface ComputerUseAttempt {
  /** The step (1-based) the request was for. */
  readonly step: number;
  readonly kind: ProviderErrorKind;
  readonly statusCode: number | undefined;
  /** The error message (secrets redacted). */
  readonly error: string;
  readonly isRetryable: boolean;
  /** The wait before the next attempt; absent when the loop gave up. */
  readonly waitMs: number | undefined;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** Where a computer-use session is logged. */
export interface ComputerUseLog {
  readonly store: LogStore;
  /** The log session. Default: the computer-use session id. */
  readonly session?: string;
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
  /** Per-request timeout in ms; a timeout is a transient fault. Default: none (the client's own). */
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
  /** Added after version 1 shipped: missing in older checkpoints, read as empty. */
  stepCosts: ComputerUseStepCost[];
  attempts: ComputerUseAttempt[];
  /** The logged dialog of this session, and how many messages it holds. */
  logDialogId: string;
  logIndex: number;
}

/** The rate-limit budget spent during one `run()`/`resume()`. */
interface RunBudget {
  rateLimitWaits: number;
  rateLimitWaitedMs: number;
}

/** The pruned branch the failed attempts of one request are logged on. */
interface FailureBranch {
  id: string | undefined;
  forkIndex: number;
  count: number;
}

const DEFAULTS = { maxLlmRecall: 3, maxWaits: 8, maxTotalWaitMs: 300_000 } as const;

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function dataUrl(screenshot: Screenshot): string {
  return `data:image/png;base64,${screenshot.png.toString('base64')}`;
}

/**
 * Map what the client threw to a `ProviderError`, the way `@lllm/openai` maps the `openai` SDK's
 * errors (by shape, so any compatible client works): 429 is a rate limit unless the quota is gone,
 * 5xx/408/409 are server faults, connection and timeout errors are transient, a response that could
 * not be read is a transient `invalid_response`, other 4xx fail at once.
 */
function toProviderError(error: unknown): ProviderError {
  if (ProviderError.isInstance(error)) return error;
  if (LllmError.isInstance(error) && error.name !== 'AbortError') {
    return new ProviderError(error.message, { kind: 'client', isRetryable: false, provider: 'openai', cause: error });
  }
  const fields = record(error);
  // The openai SDK's errors keep `name` "Error"; their class names tell them apart.
  const name = error instanceof Error ? `${error.name} ${error.constructor.name}` : '';
  const message = error instanceof Error ? error.message : String(error);
  const status = typeof fields.status === 'number' ? fields.status : undefined;
  const body = record(fields.error);
  const quota = [fields.code, fields.type, body.code, body.type].includes('insufficient_quota');
  let kind: ProviderErrorKind;
  if (status === 429) kind = quota ? 'client' : 'rate_limit';
  else if (status === 401 || status === 403) kind = 'authentication';
  else if (status !== undefined && (status >= 500 || status === 408 || status === 409)) kind = 'server';
  else if (status !== undefined) kind = 'client';
  else if (/Timeout/.test(name)) kind = 'timeout';
  // The client gave up by itself (our signals are checked before this): like a dropped connection.
  else if (/Connection|AbortError/.test(name) || AbortError.isInstance(error)) kind = 'connection';
  else kind = 'invalid_response';
  const headers = fields.headers as { get(name: string): string | null } | undefined;
  const hint = quota ? ' The account has no quota left: add credit or use another key; retrying will not help.' : '';
  const label = status ? ` (HTTP ${status})` : kind === 'invalid_response' ? ' (the response could not be read)' : '';
  return new ProviderError(redactString(`Responses API request failed${label}: ${message}${hint}`), {
    kind,
    statusCode: status,
    isRetryable: kind === 'rate_limit' || kind === 'server' || kind === 'timeout' || kind === 'connection' || kind === 'invalid_response',
    retryAfterMs: headers && typeof headers.get === 'function' ? parseRetryAfter(headers) : undefined,
    requestId: typeof fields.requestID === 'string' ? fields.requestID : undefined,
    provider: 'openai',
    body: fields.error === undefined ? undefined : redactSecrets(fields.error),
    cause: error,
  });
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Responses `usage` → core usage (input excludes cached tokens), as the openai Responses invoker maps it. */
function responseUsage(value: unknown): Usage | undefined {
  const usage = record(value);
  const input = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const cached = count(record(usage.input_tokens_details).cached_tokens) ?? 0;
  const reasoning = count(record(usage.output_tokens_details).reasoning_tokens) ?? 0;
  return {
    inputTokens: input - cached,
    outputTokens: output,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

function totalUsage(steps: readonly ComputerUseStepCost[]): ComputerUseResult['usage'] {
  const total = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
  for (const { usage } of steps) {
    if (!usage) continue;
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    total.cachedInputTokens += usage.cachedInputTokens ?? 0;
    total.reasoningTokens += usage.reasoningTokens ?? 0;
  }
  return total;
}

function pngSize(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < 24 || head.readUInt32BE(0) !== 0x89504e47 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** What stands in a log for a screenshot: `[screenshot 800×600, 51234 bytes]`. */
function screenshotLabel(screenshot: Screenshot): string {
  const size = pngSize(screenshot.png);
  const label = size
    ? `[screenshot ${size.width}×${size.height}, ${screenshot.png.length} bytes]`
    : `[image, ${screenshot.png.length} bytes]`;
  return screenshot.stale ? `${label} (stale)` : label;
}

const DATA_URL = /^data:([\w.+/-]+);base64,/;

/** A copy of `value` with every base64 data URL replaced by a short label: logs never hold megabytes of images. */
function withoutImages(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = DATA_URL.exec(value);
    if (!match) return value;
    const data = value.slice(match[0].length);
    const bytes = Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
    const size = pngSize(Buffer.from(data.slice(0, 32), 'base64'));
    return size ? `[screenshot ${size.width}×${size.height}, ${bytes} bytes]` : `[image ${match[1]}, ${bytes} bytes]`;
  }
  if (Array.isArray(value)) return value.map(withoutImages);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutImages(item)]));
  }
  return value;
}

/** Why a response that arrived cannot be used, or undefined when it can. */
function responseProblem(response: Record<string, unknown>): ProviderError | undefined {
  if (typeof response.id !== 'string' || !Array.isArray(response.output)) {
    return new ProviderError('The Responses API answered without an id and an output list.', {
      kind: 'invalid_response',
      provider: 'openai',
      body: redactSecrets(withoutImages(response)),
    });
  }
  const calls = response.output.map(record).some((item) => item.type === 'computer_call' && typeof item.call_id === 'string');
  if ((response.status === 'failed' || response.status === 'incomplete') && !calls) {
    const reason = record(response.incomplete_details).reason ?? record(response.error).message ?? response.status;
    return new ProviderError(`The Responses API returned a ${String(response.status)} response: ${String(reason)}.`, {
      kind: 'invalid_response',
      provider: 'openai',
      body: redactSecrets(withoutImages(response)),
    });
  }
  return undefined;
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
  private readonly maxLlmRecall: number;
  private readonly name: string;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(options: ComputerUseAgentOptions) {
    this.options = options;
    this.model = options.model ?? 'computer-use-preview';
    this.tool = options.tool ?? 'computer_use_preview';
    this.maxSteps = options.maxSteps ?? 30;
    this.conversation = options.conversation ?? 'previous_response_id';
    this.maxLlmRecall = options.maxLlmRecall ?? DEFAULTS.maxLlmRecall;
    this.name = options.name ?? 'computer-use';
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    if (!Number.isInteger(this.maxSteps) || this.maxSteps < 1) {
      throw new InvalidArgumentError(`maxSteps must be a whole number of at least 1, got ${options.maxSteps}.`, { argument: 'maxSteps' });
    }
    if (!Number.isInteger(this.maxLlmRecall) || this.maxLlmRecall < 0) {
      throw new InvalidArgumentError(`maxLlmRecall must be a whole number >= 0, got ${options.maxLlmRecall}.`, {
        argument: 'maxLlmRecall',
      });
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
      throw new InvalidArgumentError(`timeoutMs must be a positive number of milliseconds, got ${options.timeoutMs}.`, {
        argument: 'timeoutMs',
      });
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
      stepCosts: [],
      attempts: [],
      logDialogId: randomUUID(),
      logIndex: 0,
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
    await writeCheckpointFile(resolve(this.options.checkpointDir ?? '.'), path, state);
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
    this.logDialog(state);
    let used = 0;
    for (;;) {
      throwIfAborted(signal);
      let input: unknown[];
      // What the log gets instead of the input items: screenshots as a label, never base64.
      const logged: MessageInit[] = [];
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
      for (const message of logged) this.logMessage(state, message);
      await this.save(state);
      // Retries resend this same body; nothing below runs until a response is accepted, so a retried
      // request never duplicates history items or re-runs actions.
      const { response, failures } = await this.request(state, body, budget, signal);
      used++;
      state.steps++;
      const output = response.output as unknown[];
      const model = typeof response.model === 'string' && response.model ? response.model : this.model;
      const usage = responseUsage(response.usage);
      state.stepCosts.push({ step: state.steps, responseId: response.id as string, model, usage, cost: costOf(model, usage) });
      if (this.conversation === 'input') state.history.push(...input, ...output);
      state.previousResponseId = response.id as string;
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
      this.logMessage(state, {
        role: state.pendingCalls.length > 0 ? 'tool_call' : 'assistant',
        content: text,
        creator: this.name,
        model,
        ...(usage ? { usage } : {}),
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
   * Send one model request with the agent-call fault policy: a 429 waits (its `retry-after`, else
   * backoff) within the run's rate-limit budget; 5xx, connection and timeout faults are retried with
   * backoff up to `maxLlmRecall` times; anything else fails at once. Every failure is recorded in the
   * checkpoint and the log before the wait, so an exhausted budget leaves a complete, resumable record.
   */
  private async request(
    state: Checkpoint,
    body: Record<string, unknown>,
    budget: RunBudget,
    signal: AbortSignal | undefined,
  ): Promise<{ response: Record<string, unknown>; failures: FailedAttempt[] }> {
    const failures: FailedAttempt[] = [];
    const branch: FailureBranch = { id: undefined, forkIndex: state.logIndex, count: 0 };
    const create = this.options.client.responses.create as (body: unknown, options?: unknown) => PromiseLike<unknown>;
    for (let recall = 0; ; ) {
      throwIfAborted(signal);
      const timeout = this.options.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.options.timeoutMs);
      const signals = [signal, timeout].filter((item): item is AbortSignal => item !== undefined);
      const requestSignal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      let error: ProviderError;
      let billed: Record<string, unknown> | undefined;
      try {
        const pending = Promise.resolve(
          create.call(this.options.client.responses, body, requestSignal ? { signal: requestSignal } : undefined),
        );
        const response = record(await raceAbort(pending, requestSignal));
        const problem = responseProblem(response);
        if (!problem) return { response, failures };
        error = problem;
        billed = response;
      } catch (thrown) {
        if (signal?.aborted) throw toAbortError(signal.reason);
        error = this.asProviderError(thrown, timeout);
      }

      const step = state.steps + 1;
      // A response that arrived but cannot be used was still billed.
      const usage = billed ? responseUsage(billed.usage) : undefined;
      const model = typeof billed?.model === 'string' && billed.model ? billed.model : this.model;
      if (billed && usage) {
        state.stepCosts.push({ step, responseId: String(billed.id ?? ''), model, usage, cost: costOf(model, usage) });
      }
      let waitMs: number | undefined;
      let giveUp: ProviderError | undefined;
      if (!error.isRetryable) giveUp = error;
      else if (error.kind === 'rate_limit') {
        budget.rateLimitWaits += 1;
        const wait = error.retryAfterMs ?? backoffDelay(budget.rateLimitWaits, this.options.backoff, this.random);
        const maxWaits = this.options.rateLimit?.maxWaits ?? DEFAULTS.maxWaits;
        const maxTotal = this.options.rateLimit?.maxTotalWaitMs ?? DEFAULTS.maxTotalWaitMs;
        if (budget.rateLimitWaits > maxWaits || budget.rateLimitWaitedMs + wait > maxTotal) {
          giveUp = this.budgetError(
            state,
            error,
            `rate limited ${budget.rateLimitWaits} times; waiting ${wait} ms more would pass the rate-limit budget (${maxWaits} waits, ${maxTotal} ms in total). Lower the request rate or raise rateLimit.maxWaits / maxTotalWaitMs`,
          );
        } else {
          budget.rateLimitWaitedMs += wait;
          waitMs = wait;
        }
      } else {
        recall += 1;
        if (recall > this.maxLlmRecall) {
          giveUp = this.budgetError(
            state,
            error,
            `the request failed ${recall} times in a row (maxLlmRecall ${this.maxLlmRecall}). Last error: ${error.message}`,
          );
        } else waitMs = backoffDelay(recall, this.options.backoff, this.random);
      }

      const attempt: ComputerUseAttempt = {
        step,
        kind: error.kind,
        statusCode: error.statusCode,
        error: error.message,
        isRetryable: error.isRetryable,
        waitMs,
        at: Date.now(),
      };
      state.attempts.push(attempt);
      const failure: FailedAttempt = {
        kind: 'provider',
        error: error.message,
        at: attempt.at,
        ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
      };
      failures.push(failure);
      this.logFailure(state, branch, error, attempt, failure, billed && { model, usage, raw: withoutImages(billed) });
      await this.save(state);
      if (giveUp) throw giveUp;
      await raceAbort(this.sleep(waitMs ?? 0, signal), signal);
    }
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

  private asProviderError(thrown: unknown, timeout: AbortSignal | undefined): ProviderError {
    if (timeout?.aborted && !ProviderError.isInstance(thrown)) {
      return new ProviderError(`The Responses API request timed out after ${this.options.timeoutMs} ms.`, {
        kind: 'timeout',
        provider: 'openai',
        cause: thrown,
      });
    }
    return toProviderError(thrown);
  }

  private logSession(state: Checkpoint): string {
    return this.options.log?.session ?? state.id;
  }

  private writeLog(state: Checkpoint, collection: LogCollection, data: JsonObject): void {
    const log = this.options.log;
    if (!log) return;
    // Stores redact too, but a custom one may not: nothing secret leaves this loop.
    log.store.write(collection, this.logSession(state), redactSecrets(data));
  }

  /** The session's dialog record (written again on resume, identical, so a replay shows it once). */
  private logDialog(state: Checkpoint): void {
    this.writeLog(state, 'dialogs', {
      dialogId: state.logDialogId,
      parentDialogId: null,
      forkIndex: 0,
      branch: 'root',
      topPrompt: null,
      createdAt: Date.parse(state.createdAt),
      computerUseSession: state.id,
    });
  }

  private logMessage(state: Checkpoint, init: MessageInit): void {
    if (!this.options.log) return;
    const index = state.logIndex;
    state.logIndex += 1;
    this.writeLog(state, 'messages', {
      dialogId: state.logDialogId,
      index,
      pruned: false,
      message: new Message(init).toJSON() as unknown as JsonObject,
    });
  }

  /** A failed request, on a pruned branch forked where the request was made (as the agent call logs failed replies). */
  private logFailure(
    state: Checkpoint,
    branch: FailureBranch,
    error: ProviderError,
    attempt: ComputerUseAttempt,
    failure: FailedAttempt,
    response: { model: string; usage: Usage | undefined; raw: unknown } | undefined,
  ): void {
    if (!this.options.log) return;
    if (!branch.id) {
      branch.id = randomUUID();
      this.writeLog(state, 'dialogs', {
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
      creator: this.name,
      model: response?.model ?? this.model,
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
    this.writeLog(state, 'messages', {
      dialogId: branch.id,
      index: branch.forkIndex + branch.count,
      pruned: true,
      message: message.toJSON() as unknown as JsonObject,
    });
    branch.count += 1;
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
        this.logMessage(state, {
          role: 'tool',
          content: failure === undefined ? actionRecord.description : `${actionRecord.description}: failed: ${failure}`,
          creator: 'computer',
          toolCallId: call.callId,
          extra: { action: actionRecord as unknown as Record<string, unknown> },
        });
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
