import type { Message, TokenLogprob, Usage } from './message.js';
import type { HostedTools, OutputFormat, ToolLike } from './prompt-like.js';

/** Events an invoker may emit while a reply streams in. */
export type InvokeEvent =
  | { readonly type: 'text-delta'; readonly text: string }
  | { readonly type: 'reasoning-delta'; readonly text: string }
  | {
      readonly type: 'tool-call-delta';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    };

/** One model request, provider-neutral. */
export interface InvokeRequest {
  /** The model name (a model card name or any name the endpoint accepts). */
  readonly model: string;
  /** The dialog so far, oldest first. */
  readonly messages: readonly Message[];
  /** Functions the model may call (none when empty). */
  readonly tools: readonly ToolLike[];
  /** Structured output, when asked for. */
  readonly format?: OutputFormat | undefined;
  /** Provider-hosted tools. */
  readonly hostedTools?: HostedTools | undefined;
  /** Provider arguments (`temperature`, `max_completion_tokens`, `top_logprobs`, …), passed through. */
  readonly modelArgs: Readonly<Record<string, unknown>>;
  /** Stream the reply; deltas go to `onEvent`. */
  readonly stream?: boolean;
  /** Receives streaming deltas. */
  readonly onEvent?: ((event: InvokeEvent) => void) | undefined;
  /**
   * Called each time part of a streamed reply's output arrives (every output event, with or without
   * a delta; not lifecycle events such as `response.created`, `message_start` or pings), so the caller
   * can tell when the reply started and time the silences inside it (the agent's idle-stream timeout).
   */
  readonly onActivity?: (() => void) | undefined;
  /** The path of the prompt on top of the dialog, for logs. */
  readonly promptPath?: string | undefined;
}

/** A tool call as the provider returned it: the arguments are the raw JSON text. */
export interface RawToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments exactly as sent; the state machine parses them and feeds bad JSON back. */
  readonly arguments: string;
}

/** Why the model stopped. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'refusal' | 'error' | 'other';

/** One model reply, provider-neutral. */
export interface InvokeResult {
  /** The reply text (`''` when the model only called tools). */
  readonly content: string;
  readonly toolCalls: readonly RawToolCall[];
  readonly usage?: Usage | undefined;
  readonly logprobs?: readonly TokenLogprob[] | undefined;
  /** The provider payload, kept in logs and echoed back by providers that need it (reasoning items). */
  readonly raw?: unknown;
  readonly finishReason: FinishReason;
  /** The model that answered (the provider's exact snapshot name when it says). */
  readonly model?: string | undefined;
  /** The model's refusal text, when it refused (structured output). */
  readonly refusal?: string | undefined;
  /** Provider-specific details worth keeping on the message (`extra`). */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Translates an `InvokeRequest` to one provider API call and back. Wire translation only: no
 * parsing of replies, no retries (the state machine owns the retry policy). Errors must be thrown
 * as `ProviderError` so the state machine can tell rate limits and transient faults from the rest.
 */
export interface Invoker {
  /** A label for logs and errors, e.g. `openai-chat`, `anthropic`, `scripted`. */
  readonly name: string;
  /** Send one request. Must stop and reject when `signal` aborts. */
  invoke(request: InvokeRequest, signal: AbortSignal): Promise<InvokeResult>;
}
