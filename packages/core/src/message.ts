import { type Cost, costOf } from './model-card.js';

/** Who a message is from, in provider-neutral terms. `tool_call` is an assistant turn that requested tools. */
export type Role = 'system' | 'user' | 'assistant' | 'tool_call' | 'tool';

/** What a message carries. */
export type Modality = 'text' | 'image';

export const ROLES: readonly Role[] = ['system', 'user', 'assistant', 'tool_call', 'tool'];

/** Token counts reported by a provider for one model reply. */
export interface Usage {
  /** Prompt tokens billed at the full input price (excludes cached and cache-write tokens). */
  readonly inputTokens: number;
  /** Completion tokens (including reasoning tokens). */
  readonly outputTokens: number;
  /** Prompt tokens read from the provider's prompt cache. */
  readonly cachedInputTokens?: number;
  /** Prompt tokens written to the provider's prompt cache (Anthropic). */
  readonly cacheWriteInputTokens?: number;
  /** Of `outputTokens`, how many were hidden reasoning. */
  readonly reasoningTokens?: number;
  /** Billed at the provider's batch rate: the request went through a batch job (priced with the card's `batchDiscount`). */
  readonly batch?: boolean;
}

/** One token's log probability, with alternatives when `top_logprobs` was asked for. */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes?: readonly number[] | null;
  readonly topLogprobs?: readonly { readonly token: string; readonly logprob: number; readonly bytes?: readonly number[] | null }[];
}

/** A failed step of an agent call, kept on the final message and in `AgentCallError.attempts`. */
export interface FailedAttempt {
  /** `parse`: the reply did not parse; `tool_call`: unknown tool or bad arguments; `provider`: the request failed. */
  readonly kind: 'parse' | 'tool_call' | 'provider';
  /** The error message fed back to the model (or the provider's error). */
  readonly error: string;
  /** The reply that failed, when there was one. */
  readonly message?: Message;
  /** The provider status code, for provider attempts. */
  readonly statusCode?: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** For provider attempts: what the request was and how long it and the wait after it took. */
  readonly provider?: ProviderAttemptDetail;
}

/** The details of a failed provider request (`FailedAttempt.provider`). JSON as it is. */
export interface ProviderAttemptDetail {
  /** The `ProviderError` kind: `rate_limit`, `server`, `connection`, `timeout`, `invalid_response`, … */
  readonly errorKind: string;
  /** The invoker that sent it (`openai-chat`, `anthropic`, …). */
  readonly invoker: string;
  /** The provider's request id, when it gave one. */
  readonly requestId?: string;
  /** How long the request took until it failed, in ms. */
  readonly durationMs: number;
  /** The wait before the next attempt (retry-after or backoff), in ms; absent when none followed. */
  readonly waitMs?: number;
  /** The provider's `retry-after`, in ms, when it sent one. */
  readonly retryAfterMs?: number;
  /** Whether the state machine could retry it. */
  readonly retryable: boolean;
}

/** The JSON form of a function call. */
export interface FunctionCallJSON {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  rawArguments?: string;
  result?: string;
  error?: string;
}

/** A tool call requested by the model, and once run, its result. Immutable. */
export class FunctionCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** The argument JSON exactly as the provider sent it. */
  readonly rawArguments: string | undefined;
  /** The text fed back to the model, once the call ran. */
  readonly result: string | undefined;
  /** Set when the tool threw; `result` then holds the error text fed back. */
  readonly error: string | undefined;

  constructor(init: FunctionCallJSON) {
    this.id = init.id;
    this.name = init.name;
    // Arguments already frozen (parsed for this call, or from another FunctionCall) are immutable and
    // can be shared; anything else is the caller's object and is copied first.
    this.arguments = Object.isFrozen(init.arguments) ? init.arguments : deepFreeze(structuredClone(init.arguments));
    this.rawArguments = init.rawArguments;
    this.result = init.result;
    this.error = init.error;
    Object.freeze(this);
  }

  /** Same name, same key set, equal values (deeply). `{}` never equals `{x: 1}`. */
  equals(other: FunctionCall): boolean {
    return this.name === other.name && deepEqual(this.arguments, other.arguments);
  }

  /**
   * A canonical key: equal for two calls exactly when `equals()` says they are equal (JSON values,
   * keys sorted). Lets callers find repeats in constant time.
   */
  get key(): string {
    return `${this.name}\u0000${canonicalJson(this.arguments)}`;
  }

  /** Whether an identical call is among `calls`. */
  isRepeatedIn(calls: readonly FunctionCall[]): boolean {
    return calls.some((call) => call !== this && this.equals(call));
  }

  withResult(result: string, error?: string): FunctionCall {
    return new FunctionCall({
      id: this.id,
      name: this.name,
      arguments: this.arguments as Record<string, unknown>,
      ...(this.rawArguments === undefined ? {} : { rawArguments: this.rawArguments }),
      result,
      ...(error === undefined ? {} : { error }),
    });
  }

  toJSON(): FunctionCallJSON {
    // The arguments are deep-frozen: the JSON form shares them rather than cloning them.
    const json: FunctionCallJSON = { id: this.id, name: this.name, arguments: this.arguments as Record<string, unknown> };
    if (this.rawArguments !== undefined) json.rawArguments = this.rawArguments;
    if (this.result !== undefined) json.result = this.result;
    if (this.error !== undefined) json.error = this.error;
    return json;
  }

  static fromJSON(json: FunctionCallJSON): FunctionCall {
    return new FunctionCall(json);
  }
}

/** Everything a message can hold; only `role`, `content` and `creator` are required. */
export interface MessageInit {
  role: Role;
  content: string;
  /** Who produced it: an agent name, `user`, `function`, `system`… */
  creator: string;
  modality?: Modality;
  /** For `image` messages: the MIME type of the base64 data in `content`. */
  mediaType?: string;
  /** For `image` messages: an optional caption sent with the image. */
  caption?: string;
  toolCalls?: readonly FunctionCall[];
  /** For `tool` messages: the id of the call this result answers. */
  toolCallId?: string;
  /** The parsed result (set on assistant replies the state machine accepted). */
  parsed?: unknown;
  usage?: Usage;
  model?: string;
  logprobs?: readonly TokenLogprob[];
  /** The provider payload, kept for logs and for providers that must echo items back. */
  raw?: unknown;
  /** Failed attempts that preceded this reply (pruned exception branches, provider faults). */
  attempts?: readonly FailedAttempt[];
  /** The path of the prompt that produced this message, when a prompt did. */
  promptPath?: string;
  finishReason?: string;
  extra?: Record<string, unknown>;
  /** Milliseconds since the epoch; defaults to now. */
  createdAt?: number;
}

/** The JSON form of a message (`Message.toJSON()` / `Message.fromJSON()`). */
export interface MessageJSON extends Omit<MessageInit, 'toolCalls' | 'attempts'> {
  toolCalls?: FunctionCallJSON[];
  attempts?: FailedAttemptJSON[];
}

export interface FailedAttemptJSON {
  kind: FailedAttempt['kind'];
  error: string;
  message?: MessageJSON;
  statusCode?: number;
  at: number;
  provider?: ProviderAttemptDetail;
}

/** One immutable dialog message. Create variants with `with()`. */
export class Message {
  readonly role: Role;
  readonly content: string;
  readonly creator: string;
  readonly modality: Modality;
  readonly mediaType: string | undefined;
  readonly caption: string | undefined;
  readonly toolCalls: readonly FunctionCall[];
  readonly toolCallId: string | undefined;
  readonly parsed: unknown;
  readonly usage: Usage | undefined;
  readonly model: string | undefined;
  readonly logprobs: readonly TokenLogprob[] | undefined;
  readonly raw: unknown;
  readonly attempts: readonly FailedAttempt[];
  readonly promptPath: string | undefined;
  readonly finishReason: string | undefined;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly createdAt: number;

  constructor(init: MessageInit) {
    this.role = init.role;
    this.content = init.content;
    this.creator = init.creator;
    this.modality = init.modality ?? 'text';
    this.mediaType = init.mediaType;
    this.caption = init.caption;
    this.toolCalls =
      init.toolCalls === undefined || init.toolCalls.length === 0
        ? NO_CALLS
        : Object.isFrozen(init.toolCalls)
          ? init.toolCalls
          : Object.freeze([...init.toolCalls]);
    this.toolCallId = init.toolCallId;
    this.parsed = init.parsed === undefined ? undefined : deepFreeze(init.parsed);
    this.usage = init.usage === undefined ? undefined : Object.isFrozen(init.usage) ? init.usage : Object.freeze({ ...init.usage });
    this.model = init.model;
    this.logprobs =
      init.logprobs === undefined ? undefined : Object.isFrozen(init.logprobs) ? init.logprobs : deepFreeze([...init.logprobs]);
    // The provider payload is frozen at its top level only: walking a whole response on every reply
    // cost more than the rest of the message. It is the provider's data, for logs: read it, never change it.
    this.raw = init.raw === undefined || typeof init.raw !== 'object' || init.raw === null ? init.raw : Object.freeze(init.raw);
    this.attempts =
      init.attempts === undefined || init.attempts.length === 0
        ? NO_ATTEMPTS
        : Object.isFrozen(init.attempts) && init.attempts.every((attempt) => Object.isFrozen(attempt))
          ? init.attempts
          : Object.freeze(init.attempts.map((attempt) => (Object.isFrozen(attempt) ? attempt : Object.freeze({ ...attempt }))));
    this.promptPath = init.promptPath;
    this.finishReason = init.finishReason;
    this.extra = init.extra === undefined || isEmpty(init.extra) ? NO_EXTRA : deepFreeze({ ...init.extra });
    this.createdAt = init.createdAt ?? Date.now();
    Object.freeze(this);
  }

  /** A copy with some fields replaced. */
  with(patch: Partial<MessageInit>): Message {
    return new Message({ ...this.toInit(), ...patch });
  }

  /** The price of this message under its model card; `known: false` when the model or usage is unknown. */
  get cost(): Cost {
    return costOf(this.model, this.usage);
  }

  toInit(): MessageInit {
    const init: MessageInit = {
      role: this.role,
      content: this.content,
      creator: this.creator,
      modality: this.modality,
      toolCalls: this.toolCalls,
      attempts: this.attempts,
      extra: { ...this.extra },
      createdAt: this.createdAt,
    };
    assignDefined(init, {
      mediaType: this.mediaType,
      caption: this.caption,
      toolCallId: this.toolCallId,
      parsed: this.parsed,
      usage: this.usage,
      model: this.model,
      logprobs: this.logprobs,
      raw: this.raw,
      promptPath: this.promptPath,
      finishReason: this.finishReason,
    });
    return init;
  }

  toJSON(): MessageJSON {
    // Built field by field (no intermediate object, no deletes): logs call this on every append.
    // Every field is deep-frozen, so the JSON form shares them instead of cloning.
    // Same key order as before (role … createdAt, then the optional fields): stored logs keep their shape.
    const json: MessageJSON = { role: this.role, content: this.content, creator: this.creator, modality: this.modality };
    if (this.toolCalls.length > 0) json.toolCalls = this.toolCalls.map((call) => call.toJSON());
    if (this.attempts.length > 0) json.attempts = this.attempts.map(attemptToJSON);
    if (this.extra !== NO_EXTRA && !isEmpty(this.extra)) json.extra = { ...this.extra };
    json.createdAt = this.createdAt;
    if (this.mediaType !== undefined) json.mediaType = this.mediaType;
    if (this.caption !== undefined) json.caption = this.caption;
    if (this.toolCallId !== undefined) json.toolCallId = this.toolCallId;
    if (this.parsed !== undefined) json.parsed = this.parsed;
    if (this.usage !== undefined) json.usage = this.usage;
    if (this.model !== undefined) json.model = this.model;
    if (this.logprobs !== undefined) json.logprobs = this.logprobs;
    if (this.raw !== undefined) json.raw = this.raw;
    if (this.promptPath !== undefined) json.promptPath = this.promptPath;
    if (this.finishReason !== undefined) json.finishReason = this.finishReason;
    // A long reply is usually repeated inside the provider payload (and often as the parsed value):
    // the JSON form (what logs and checkpoints store) keeps it once and refers to it elsewhere.
    if (this.content.length >= CONTENT_REFERENCE_MIN) {
      if (json.raw !== undefined) json.raw = referenceContent(json.raw, this.content, 0);
      if (json.parsed !== undefined) json.parsed = referenceContent(json.parsed, this.content, 0);
    }
    return json;
  }

  static fromJSON(json: MessageJSON): Message {
    const { toolCalls, attempts, ...rest } = json;
    if (typeof rest.content === 'string' && rest.content.length >= CONTENT_REFERENCE_MIN) {
      if (rest.raw !== undefined) rest.raw = restoreContent(rest.raw, rest.content, 0);
      if (rest.parsed !== undefined) rest.parsed = restoreContent(rest.parsed, rest.content, 0);
    }
    return new Message({
      ...rest,
      toolCalls: (toolCalls ?? []).map((call) => FunctionCall.fromJSON(call)),
      attempts: (attempts ?? []).map(attemptFromJSON),
    });
  }
}

const NO_CALLS: readonly FunctionCall[] = Object.freeze([]);
const NO_ATTEMPTS: readonly FailedAttempt[] = Object.freeze([]);
const NO_EXTRA: Readonly<Record<string, unknown>> = Object.freeze({});

function isEmpty(value: object): boolean {
  return Object.keys(value).length === 0;
}

/**
 * In `Message.toJSON()`, a string of `raw` or `parsed` equal to the message's `content` (at least
 * `CONTENT_REFERENCE_MIN` characters) is replaced by this marker; `Message.fromJSON()` puts the content
 * back. The NUL keeps it from colliding with text a provider sends.
 */
export const CONTENT_REFERENCE = '\u0000lllm:content';
const CONTENT_REFERENCE_MIN = 256;
/** Provider payloads are shallow; deeper values are left as they are. */
const REFERENCE_DEPTH = 32;

/** `value` with every string equal to `content` replaced by the marker; shares every unchanged part. */
function referenceContent(value: unknown, content: string, depth: number): unknown {
  if (value === content) return CONTENT_REFERENCE;
  return mapStrings(value, depth, (item) => referenceContent(item, content, depth + 1));
}

function restoreContent(value: unknown, content: string, depth: number): unknown {
  if (value === CONTENT_REFERENCE) return content;
  return mapStrings(value, depth, (item) => restoreContent(item, content, depth + 1));
}

/** Apply `map` to the items of an array or plain object; the same object when nothing changed. */
function mapStrings(value: unknown, depth: number, map: (item: unknown) => unknown): unknown {
  if (typeof value !== 'object' || value === null || depth >= REFERENCE_DEPTH || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      const mapped = map(item);
      if (mapped !== item) {
        copy ??= [...value];
        copy[index] = mapped;
      }
    }
    return copy ?? value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const mapped = map(item);
    if (mapped !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = mapped;
    }
  }
  return copy ?? value;
}

function attemptToJSON(attempt: FailedAttempt): FailedAttemptJSON {
  const json: FailedAttemptJSON = { kind: attempt.kind, error: attempt.error, at: attempt.at };
  if (attempt.message) json.message = attempt.message.toJSON();
  if (attempt.statusCode !== undefined) json.statusCode = attempt.statusCode;
  if (attempt.provider) json.provider = { ...attempt.provider };
  return json;
}

function attemptFromJSON(json: FailedAttemptJSON): FailedAttempt {
  return {
    kind: json.kind,
    error: json.error,
    at: json.at,
    ...(json.message ? { message: Message.fromJSON(json.message) } : {}),
    ...(json.statusCode === undefined ? {} : { statusCode: json.statusCode }),
    ...(json.provider ? { provider: { ...json.provider } } : {}),
  };
}

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key] ?? null)}`);
    return `{${entries.join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/** Deep structural equality for JSON-like values: same key sets, equal values. */
export function deepEqual(left: unknown, right: unknown): boolean {
  if (Object.is(left, right)) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) return false;
  if (Array.isArray(left) !== Array.isArray(right)) return false;
  if (Array.isArray(left) && Array.isArray(right)) {
    return left.length === right.length && left.every((item, index) => deepEqual(item, right[index]));
  }
  const leftKeys = Object.keys(left);
  const rightKeys = Object.keys(right);
  if (leftKeys.length !== rightKeys.length) return false;
  return leftKeys.every(
    (key) => Object.hasOwn(right, key) && deepEqual((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
  );
}

/** Freeze a value and everything reachable from it (plain objects and arrays). */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (ArrayBuffer.isView(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
