import { logCallError, logProviderAttempt } from './attempt-log.js';
import type { ContextManager } from './context/context-manager.js';
import { Dialog, type SendMessageOptions } from './dialog.js';
import { AbortError, AgentCallError, InvalidArgumentError, LllmError, ProviderError, throwIfAborted, toAbortError } from './errors.js';
import type { InvokeRequest, InvokeResult, Invoker } from './invoker.js';
import type { LogStore } from './log-store.js';
import { type FailedAttempt, type FunctionCall, Message } from './message.js';
import { type Cost, sumCosts } from './model-card.js';
import type { PromptLike, ToolLike } from './prompt-like.js';
import { RequestDeadline, type RequestLimits } from './request-deadline.js';
import { type BackoffOptions, backoffDelay, sleep as defaultSleep, raceAbort } from './retry.js';
import type { Stream } from './stream.js';
import { safeName } from './strings.js';
import { checkToolCalls, formatToolResult } from './tool-calls.js';

/** Limits on waiting for rate limits (HTTP 429) during one agent call. */
export interface RateLimitBudget {
  /** How many 429s to wait out (default 8). */
  readonly maxWaits?: number;
  /** The most time to spend waiting in total (default 300,000 ms). */
  readonly maxTotalWaitMs?: number;
}

/** How an agent is built. */
export interface AgentOptions {
  /** The agent's name; it is the `creator` of its replies. */
  readonly name: string;
  /** The system prompt `initDialog` renders. */
  readonly systemPrompt: PromptLike;
  /** The model name sent to the invoker. */
  readonly model: string;
  readonly invoker: Invoker;
  /** Provider arguments for every call (`temperature`, `max_completion_tokens`, …). */
  readonly modelArgs?: Readonly<Record<string, unknown>>;
  /** Parse failures (and bad tool calls) answered per reply before giving up (default 3). */
  readonly maxExceptionRetry?: number;
  /** Tool rounds before the "answer now" prompt (default 5). `0` means no limit, bounded by `interruptHardCap`. */
  readonly maxInterruptTimes?: number;
  /** The bound on tool rounds when `maxInterruptTimes` is 0 (default 100). */
  readonly interruptHardCap?: number;
  /** Retries of one model request after a transient fault: 5xx, connection, timeout (default 3). */
  readonly maxLlmRecall?: number;
  readonly rateLimit?: RateLimitBudget;
  readonly backoff?: BackoffOptions;
  /**
   * The longest wait for a reply, per request, in ms (default 120,000; `0`: no limit): the whole reply
   * when not streaming, the first stream event when streaming. Passing it is a `timeout` fault, retried
   * on the recall budget.
   */
  readonly timeoutMs?: number;
  /** The longest silence between two events of a streamed reply, in ms (default 60,000; `0`: no limit). A `timeout` fault. */
  readonly streamIdleTimeoutMs?: number;
  /** Where dialogs from `initDialog` are logged. */
  readonly log?: LogStore;
  /** Default log session for `initDialog` (default: the agent name and a timestamp). */
  readonly session?: string;
  /** Frontend events; with `streamReplies` model text is streamed here. */
  readonly stream?: Stream;
  /** Ask the invoker to stream and forward text deltas to `stream`. */
  readonly streamReplies?: boolean;
  /** Run the tool calls of one reply concurrently (results are still appended in call order). Default false. */
  readonly parallelToolCalls?: boolean;
  /** Tools every call offers besides the top prompt's (skills' `activate_skill`, the API interpreter); none after "answer now". */
  readonly tools?: readonly ToolLike[];
  /** Keeps each request within the model's context window (the dialog itself is never trimmed); trims are logged. */
  readonly contextManager?: ContextManager;
  /** Injected for tests: waiting. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: randomness of backoff jitter. */
  readonly random?: () => number;
}

/** Options of one agent call. */
export interface AgentCallOptions {
  /** Model arguments for this call, over the agent's `modelArgs`. */
  readonly args?: Readonly<Record<string, unknown>>;
  /** Passed to the top prompt's parser. */
  readonly parserArgs?: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
}

/** What an agent call returns. */
export interface AgentCallResult<T = unknown> {
  /** The accepted final reply (also the dialog's tail). */
  readonly message: Message;
  /** `message.parsed`, typed. */
  readonly parsed: T;
  /** The dialog the call appended to (the same object that was passed in). */
  readonly dialog: Dialog;
  /** Every tool call made, with its result, in order. */
  readonly calls: readonly FunctionCall[];
  /** Every failed attempt of this call (each is also on the reply it preceded). */
  readonly attempts: readonly FailedAttempt[];
  /** The exact cost of this call: accepted replies and failed attempts. */
  readonly cost: Cost;
}

interface CallState {
  readonly signal: AbortSignal | undefined;
  /** The signal tools get: the caller's, or one made for this call. */
  toolSignal?: AbortSignal;
  readonly modelArgs: Readonly<Record<string, unknown>>;
  readonly parserArgs: Readonly<Record<string, unknown>> | undefined;
  readonly calls: FunctionCall[];
  /** `FunctionCall.key` of every call made, to answer repeats without re-running them. */
  readonly callKeys: Set<string>;
  readonly attempts: FailedAttempt[];
  readonly costs: Cost[];
  rateLimitWaits: number;
  rateLimitWaitedMs: number;
  /** Set once the "answer now" prompt is sent: the agent's own tools are no longer offered. */
  finalPromptSent?: boolean;
}

interface AcceptedReply {
  readonly message: Message;
  readonly attempts: FailedAttempt[];
}

const DEFAULTS = {
  maxExceptionRetry: 3,
  maxInterruptTimes: 5,
  interruptHardCap: 100,
  maxLlmRecall: 3,
  maxWaits: 8,
  maxTotalWaitMs: 300_000,
  // Chat replies take seconds; 120 s fits a non-streamed reply of several thousand tokens, and four
  // attempts of a stalled provider end in minutes rather than the 20 of undici's 300 s default.
  timeoutMs: 120_000,
  // A live stream sends something every few seconds; a minute of silence is a stall.
  streamIdleTimeoutMs: 60_000,
} as const;

/**
 * An agent: a system prompt, a model and an invoker, driven by the agent-call state machine.
 * `call()` takes a dialog topped by a task prompt to a parsed reply or a typed `AgentCallError`.
 */
export class Agent {
  readonly name: string;
  readonly systemPrompt: PromptLike;
  readonly model: string;
  readonly invoker: Invoker;
  readonly modelArgs: Readonly<Record<string, unknown>>;
  readonly maxExceptionRetry: number;
  readonly maxInterruptTimes: number;
  readonly interruptHardCap: number;
  readonly maxLlmRecall: number;
  /** Per-request time limits (ms, `0` for none). */
  readonly limits: RequestLimits;
  readonly log: LogStore | undefined;
  readonly stream: Stream | undefined;
  readonly #options: AgentOptions;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #withOwnTools = new WeakMap<readonly ToolLike[], readonly ToolLike[]>();

  constructor(options: AgentOptions) {
    this.#options = options;
    this.name = options.name;
    this.systemPrompt = options.systemPrompt;
    this.model = options.model;
    this.invoker = options.invoker;
    this.modelArgs = Object.freeze({ ...(options.modelArgs ?? {}) });
    this.maxExceptionRetry = nonNegative('maxExceptionRetry', options.maxExceptionRetry ?? DEFAULTS.maxExceptionRetry);
    this.maxInterruptTimes = nonNegative('maxInterruptTimes', options.maxInterruptTimes ?? DEFAULTS.maxInterruptTimes);
    this.interruptHardCap = Math.max(1, options.interruptHardCap ?? DEFAULTS.interruptHardCap);
    this.maxLlmRecall = nonNegative('maxLlmRecall', options.maxLlmRecall ?? DEFAULTS.maxLlmRecall);
    this.limits = Object.freeze({
      timeoutMs: nonNegative('timeoutMs', options.timeoutMs ?? DEFAULTS.timeoutMs),
      streamIdleTimeoutMs: nonNegative('streamIdleTimeoutMs', options.streamIdleTimeoutMs ?? DEFAULTS.streamIdleTimeoutMs),
    });
    this.log = options.log;
    this.stream = options.stream;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#random = options.random ?? Math.random;
  }

  /** A new dialog holding the rendered system prompt, logged to `sessionName` (or the agent's session). */
  initDialog(promptArgs?: Readonly<Record<string, unknown>>, sessionName?: string): Dialog {
    // A session name is only made when there is a log to name.
    const log = this.log
      ? { store: this.log, session: sessionName ?? this.#options.session ?? `${safeName(this.name, 'agent')}-${Date.now()}` }
      : undefined;
    const dialog = new Dialog({ log, topPrompt: this.systemPrompt });
    dialog.append(
      new Message({ role: 'system', content: this.systemPrompt.render(promptArgs), creator: 'system', promptPath: this.systemPrompt.path }),
    );
    return dialog;
  }

  /** Send a prompt or text on `dialog` (as `Dialog.sendMessage`, with `creator` defaulting to `user`). */
  sendMessage(
    dialog: Dialog,
    prompt: PromptLike | string,
    args?: Readonly<Record<string, unknown>>,
    options: SendMessageOptions = {},
  ): Message {
    return dialog.sendMessage(prompt, args, { creator: 'user', ...options });
  }

  /**
   * Run the agent-call state machine on `dialog` (appending to it) until a reply parses with the
   * top prompt's parser and requests no tools. `parsed` takes the type of the dialog's top prompt
   * (`dialog.ask(prompt)` types the dialog by the prompt's `format` or parser).
   */
  call<T>(dialog: Dialog<T>, options?: AgentCallOptions): Promise<AgentCallResult<T>>;
  /** For a dialog whose top prompt is not typed: `T` is then a cast, not a check. */
  call<T>(dialog: Dialog, options?: AgentCallOptions): Promise<AgentCallResult<T>>;
  async call<T>(dialog: Dialog, options: AgentCallOptions = {}): Promise<AgentCallResult<T>> {
    throwIfAborted(options.signal);
    const state: CallState = {
      signal: options.signal,
      modelArgs: { ...this.modelArgs, ...(options.args ?? {}) },
      parserArgs: options.parserArgs,
      calls: [],
      callKeys: new Set(),
      attempts: [],
      costs: [],
      rateLimitWaits: 0,
      rateLimitWaitedMs: 0,
    };
    try {
      return await this.#run<T>(dialog, state);
    } catch (error) {
      // A failed call leaves its reason in the log next to its attempts: the log of a call is complete.
      logCallError(dialog, this.name, error);
      throw error;
    }
  }

  async #run<T>(dialog: Dialog, state: CallState): Promise<AgentCallResult<T>> {
    let interrupts = 0;
    let finalPromptSent = false;
    for (;;) {
      const prompt = dialog.topPrompt ?? this.systemPrompt;
      const reply = await this.#acceptedReply(dialog, prompt, state, finalPromptSent);
      dialog.append(reply.message);
      state.costs.push(reply.message.cost);
      if (reply.message.toolCalls.length === 0) {
        return {
          message: reply.message,
          parsed: reply.message.parsed as T,
          dialog,
          calls: state.calls,
          attempts: state.attempts,
          cost: sumCosts(state.costs),
        };
      }
      interrupts += 1;
      if (this.maxInterruptTimes === 0 && interrupts > this.interruptHardCap) {
        throw new AgentCallError(
          `Agent "${this.name}" made ${interrupts} rounds of tool calls without answering, past the hard cap of ${this.interruptHardCap} (maxInterruptTimes is 0, "no limit"). Raise interruptHardCap or set maxInterruptTimes to end with an "answer now" prompt.`,
          { kind: 'interrupt_limit', attempts: state.attempts, dialog },
        );
      }
      await this.#runTools(dialog, prompt, reply.message.toolCalls, state);
      if (this.maxInterruptTimes > 0 && interrupts >= this.maxInterruptTimes && !finalPromptSent) {
        dialog.sendMessage(prompt.finalHandler, {}, { role: 'user', creator: 'system' });
        finalPromptSent = true;
        state.finalPromptSent = true;
      }
    }
  }

  /** Invoke until a reply is acceptable, answering failures on a pruned exception fork. */
  async #acceptedReply(dialog: Dialog, prompt: PromptLike, state: CallState, finalPromptSent: boolean): Promise<AcceptedReply> {
    const attempts: FailedAttempt[] = [];
    let work = dialog;
    let current = prompt;
    for (let retry = 0; ; retry++) {
      const result = await this.#invoke(work, current, state, attempts);
      const checked = this.#check(result, current, state, finalPromptSent);
      if (checked.ok) {
        // The failures that preceded this reply travel with it: pruned from the dialog, never lost.
        return { message: attempts.length > 0 ? checked.message.with({ attempts }) : checked.message, attempts };
      }

      const failure: FailedAttempt = { kind: checked.kind, error: checked.error, message: checked.message, at: Date.now() };
      attempts.push(failure);
      state.attempts.push(failure);
      state.costs.push(checked.message.cost);
      // The failed reply goes on the working fork (logged as pruned) before any budget check, so
      // even the last one of an exhausted budget is in the log.
      if (work === dialog) work = dialog.fork({ branch: 'exception' });
      work.append(checked.message);
      if (retry >= this.maxExceptionRetry) {
        const limit = finalPromptSent && checked.kind === 'tool_call';
        throw new AgentCallError(
          limit
            ? `Agent "${this.name}" kept calling tools after the "answer now" prompt (${retry + 1} replies) on prompt "${prompt.path}". Last problem: ${checked.error}`
            : `Agent "${this.name}" could not get an acceptable reply to prompt "${prompt.path}" after ${retry + 1} attempts (maxExceptionRetry ${this.maxExceptionRetry}). Last problem: ${checked.error}`,
          { kind: limit ? 'interrupt_limit' : 'parse', attempts: state.attempts, dialog },
        );
      }
      const handler = current.exceptionHandler;
      if (checked.message.toolCalls.length > 0) {
        // Every tool call must be answered by a tool message, or providers reject the next request.
        for (const call of checked.message.toolCalls) {
          work.sendMessage(
            handler,
            {
              error_message:
                checked.callErrors.get(call.id) ?? 'Not run: another call in the same reply was invalid. Fix it and call again.',
            },
            { role: 'tool', creator: 'exception', toolCallId: call.id },
          );
        }
      } else {
        work.sendMessage(handler, { error_message: checked.error }, { role: 'user', creator: 'exception' });
      }
      current = handler;
    }
  }

  /** Decide whether a reply is acceptable: valid tool calls, or text that parses. */
  #check(
    result: InvokeResult,
    prompt: PromptLike,
    state: CallState,
    finalPromptSent: boolean,
  ):
    | { ok: true; message: Message }
    | { ok: false; kind: 'parse' | 'tool_call'; error: string; message: Message; callErrors: Map<string, string> } {
    // One init object per reply (absent fields left undefined, which Message treats as absent).
    const init = {
      role: 'assistant' as Message['role'],
      content: result.content,
      creator: this.name,
      promptPath: prompt.path,
      finishReason: result.finishReason,
      model: result.model ?? this.model,
      usage: result.usage || undefined,
      logprobs: result.logprobs || undefined,
      raw: result.raw,
      extra: result.extra || undefined,
      toolCalls: undefined as FunctionCall[] | undefined,
      parsed: undefined as unknown,
    };
    if (result.toolCalls.length > 0) {
      // After the "answer now" prompt no tool is accepted, whatever the prompt offers.
      const { calls, errors } = checkToolCalls(result.toolCalls, finalPromptSent ? [] : this.#toolsOf(prompt, state), finalPromptSent);
      init.role = 'tool_call';
      init.toolCalls = calls;
      const message = new Message(init);
      if (errors.size === 0) return { ok: true, message };
      return { ok: false, kind: 'tool_call', error: [...errors.values()].join('\n'), message, callErrors: errors };
    }
    try {
      init.parsed = prompt.parse(result.content, state.parserArgs);
      return { ok: true, message: new Message(init) };
    } catch (error) {
      if (AbortError.isInstance(error)) throw error;
      init.parsed = undefined;
      return {
        ok: false,
        kind: 'parse',
        error: error instanceof Error ? error.message : String(error),
        message: new Message(init),
        callErrors: new Map(),
      };
    }
  }

  /** The top prompt's tools and the agent's own (none of its own after "answer now"). */
  #toolsOf(prompt: PromptLike, state: CallState): readonly ToolLike[] {
    const own = this.#options.tools;
    if (own === undefined || own.length === 0 || state.finalPromptSent) return prompt.tools;
    // One frozen list per prompt tool list: providers cache a list's wire form by its identity.
    let tools = this.#withOwnTools.get(prompt.tools);
    if (!tools) {
      tools = Object.freeze([...prompt.tools, ...own]);
      this.#withOwnTools.set(prompt.tools, tools);
    }
    return tools;
  }

  /** The messages of `work` the context manager lets through; a trim is logged to the dialog's session. */
  async #fitContext(work: Dialog, signal: AbortSignal | undefined): Promise<readonly Message[]> {
    const fit = await (this.#options.contextManager as ContextManager).fit(work.messages, signal);
    if (fit.trim)
      work.log?.store.write('frontend', work.log.session, { type: 'context-trim', agent: this.name, dialog: work.id, ...fit.trim });
    return fit.messages;
  }

  /**
   * One model request with the transient-fault and rate-limit policy. Every failed request is logged
   * on a pruned branch of `work` before the next one (or the error) — a call's log holds all of them.
   */
  async #invoke(work: Dialog, prompt: PromptLike, state: CallState, attempts: FailedAttempt[]): Promise<InvokeResult> {
    const stream = this.#options.streamReplies ? this.stream : undefined;
    let deadline: RequestDeadline | undefined;
    const request: InvokeRequest = {
      model: this.model,
      messages: this.#options.contextManager ? await this.#fitContext(work, state.signal) : work.messages,
      tools: this.#toolsOf(prompt, state),
      format: prompt.format,
      hostedTools: prompt.hostedTools,
      modelArgs: state.modelArgs,
      promptPath: prompt.path,
      ...(stream
        ? {
            stream: true,
            onEvent: (event) => {
              if (event.type === 'text-delta') stream.textDelta(event.text);
            },
            onActivity: () => deadline?.activity(),
          }
        : {}),
    };
    // Failed requests are logged on their own pruned fork: never sent to the model again.
    let faults: Dialog | undefined;
    const errorDialog = work.branch === 'exception' ? (work.parent ?? work) : work;
    for (let recall = 0; ; ) {
      throwIfAborted(state.signal);
      deadline = new RequestDeadline(this.limits, state.signal);
      const started = Date.now();
      let error: ProviderError;
      try {
        return await deadline.race(Promise.resolve(deadline.start((signal) => this.invoker.invoke(request, signal))));
      } catch (thrown) {
        if (state.signal?.aborted) throw toAbortError(state.signal.reason);
        error = this.#asProviderError(thrown, deadline);
      } finally {
        deadline.clear();
        // The reply ended or broke off: show what the stream held back while it could be part of a secret.
        stream?.textEnd?.();
      }
      const durationMs = Date.now() - started;

      // Decide first, so the logged attempt says how long the state machine waited after it.
      let wait: number | undefined;
      let fatal: string | undefined;
      if (!error.isRetryable) {
        fatal = `Agent "${this.name}": the ${this.invoker.name} request failed and cannot be retried: ${error.message}`;
      } else if (error.kind === 'rate_limit') {
        state.rateLimitWaits += 1;
        const next = error.retryAfterMs ?? backoffDelay(state.rateLimitWaits, this.#options.backoff, this.#random);
        const maxWaits = this.#options.rateLimit?.maxWaits ?? DEFAULTS.maxWaits;
        const maxTotal = this.#options.rateLimit?.maxTotalWaitMs ?? DEFAULTS.maxTotalWaitMs;
        if (state.rateLimitWaits > maxWaits || state.rateLimitWaitedMs + next > maxTotal) {
          fatal = `Agent "${this.name}": rate limited ${state.rateLimitWaits} times by ${this.invoker.name}; waiting ${next} ms more would pass the rate-limit budget (${maxWaits} waits, ${maxTotal} ms in total). Lower the request rate or raise rateLimit.maxWaits / maxTotalWaitMs.`;
        } else {
          wait = next;
          state.rateLimitWaitedMs += next;
        }
      } else {
        recall += 1;
        if (recall > this.maxLlmRecall) {
          fatal = `Agent "${this.name}": the ${this.invoker.name} request failed ${recall} times in a row (maxLlmRecall ${this.maxLlmRecall}). Last error: ${error.message}`;
        } else wait = backoffDelay(recall, this.#options.backoff, this.#random);
      }

      const failure: FailedAttempt = {
        kind: 'provider',
        error: error.message,
        at: Date.now(),
        ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
        provider: {
          errorKind: error.kind,
          invoker: error.provider ?? this.invoker.name,
          durationMs,
          retryable: error.isRetryable,
          ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
          ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
          ...(wait === undefined ? {} : { waitMs: wait }),
        },
      };
      attempts.push(failure);
      state.attempts.push(failure);
      if (work.log) {
        faults ??= work.fork({ branch: 'exception' });
        logProviderAttempt(faults, failure, { agent: this.name, model: this.model, promptPath: prompt.path, body: error.body });
      }
      if (fatal !== undefined) {
        throw new AgentCallError(fatal, { kind: 'provider', attempts: state.attempts, dialog: errorDialog, cause: error });
      }
      await this.#sleep(wait ?? 0, state.signal);
    }
  }

  #asProviderError(thrown: unknown, deadline: RequestDeadline): ProviderError {
    if (deadline.reason) {
      const limit = deadline.limitMs;
      return new ProviderError(
        deadline.reason === 'request'
          ? `${this.invoker.name}: the request timed out after ${limit} ms without a reply (timeoutMs). A slow model may need more: raise timeout_ms in the agent's config or pass --timeout to lllm run.`
          : `${this.invoker.name}: the request timed out after ${limit} ms of silence in the streamed reply (streamIdleTimeoutMs). Raise stream_idle_timeout_ms in the agent's config if the model pauses longer.`,
        { kind: 'timeout', provider: this.invoker.name, cause: thrown },
      );
    }
    if (ProviderError.isInstance(thrown)) return thrown;
    if (LllmError.isInstance(thrown)) {
      return new ProviderError(thrown.message, { kind: 'client', isRetryable: false, provider: this.invoker.name, cause: thrown });
    }
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return new ProviderError(`Invoker "${this.invoker.name}" threw an unexpected error: ${message}`, {
      kind: 'client',
      isRetryable: false,
      provider: this.invoker.name,
      cause: thrown,
    });
  }

  /** Run the accepted tool calls and append their results through the interrupt handler. */
  async #runTools(dialog: Dialog, prompt: PromptLike, toolCalls: readonly FunctionCall[], state: CallState): Promise<void> {
    // A call identical to an earlier one (in this agent call, or earlier in this reply) is not re-run.
    const repeats = toolCalls.map(
      (call, index) => state.callKeys.has(call.key) || toolCalls.slice(0, index).some((other) => other.equals(call)),
    );
    const run = async (call: FunctionCall, index: number): Promise<FunctionCall> => {
      if (repeats[index]) {
        return call.withResult(
          `The function ${call.name} was already called with identical arguments ${JSON.stringify(call.arguments)}; its result is above. Do not call it again with the same arguments. If you need no other function, give your final answer.`,
        );
      }
      const tool = this.#toolsOf(prompt, state).find((candidate) => candidate.name === call.name);
      if (!tool?.linked) {
        throw new AgentCallError(
          `Tool "${call.name}" of prompt "${prompt.path}" has no implementation. Link one (e.g. tool({ name: "${call.name}", …, execute })) before calling the agent.`,
          { kind: 'tool', attempts: state.attempts, dialog },
        );
      }
      // Tools always get a signal. Without the caller's, one per agent call (made when a tool first
      // runs): a signal shared by every call would collect the listeners tools leave on it.
      state.toolSignal ??= state.signal ?? new AbortController().signal;
      const signal = state.toolSignal;
      try {
        const value = await raceAbort(
          Promise.resolve().then(() => tool.execute({ ...call.arguments }, { signal, callId: call.id, agentName: this.name })),
          state.signal,
        );
        return call.withResult(formatToolResult(tool, value));
      } catch (error) {
        if (state.signal?.aborted) throw toAbortError(state.signal.reason);
        const message = error instanceof Error ? error.message : String(error);
        return call.withResult(`Error: the function ${call.name} failed: ${message}`, message);
      }
    };
    const results: FunctionCall[] = [];
    if (this.#options.parallelToolCalls) results.push(...(await Promise.all(toolCalls.map(run))));
    else for (const [index, call] of toolCalls.entries()) results.push(await run(call, index));
    for (const result of results) {
      state.calls.push(result);
      state.callKeys.add(result.key);
      dialog.sendMessage(
        prompt.interruptHandler,
        { call_results: result.result ?? '' },
        { role: 'tool', creator: 'function', toolCallId: result.id, extra: { functionName: result.name } },
      );
    }
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`Agent option ${name} must be a whole number >= 0, got ${String(value)}.`, { argument: name });
  }
  return value;
}
