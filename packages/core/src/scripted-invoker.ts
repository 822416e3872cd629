import { LllmError, ProviderError } from './errors.js';
import type { FinishReason, InvokeRequest, InvokeResult, Invoker } from './invoker.js';
import type { TokenLogprob, Usage } from './message.js';
import { raceAbort, sleep } from './retry.js';

/** A scripted tool call: arguments as an object (serialised for you) or as raw JSON text. */
export interface ScriptedToolCall {
  readonly name: string;
  readonly arguments?: Record<string, unknown> | string;
  readonly id?: string;
}

/** One scripted reply. */
export interface ScriptedReply {
  readonly content?: string;
  readonly toolCalls?: readonly ScriptedToolCall[];
  readonly usage?: Usage;
  readonly model?: string;
  readonly logprobs?: readonly TokenLogprob[];
  readonly finishReason?: FinishReason;
  /** Stream the content in pieces of this many characters through `onEvent`. */
  readonly streamChunkSize?: number;
  /** Wait this long first (the wait stops when the request is aborted). */
  readonly delayMs?: number;
}

/** One step of a script: a reply, an error to throw, or a function of the request. */
export type ScriptStep =
  | ScriptedReply
  | { readonly error: Error }
  | ((
      request: InvokeRequest,
      index: number,
    ) => ScriptedReply | { readonly error: Error } | Promise<ScriptedReply | { readonly error: Error }>);

/** An `Invoker` that answers from a script, for tests, examples and offline runs. */
export interface ScriptedInvoker extends Invoker {
  /** Every request received, in order. */
  readonly requests: readonly InvokeRequest[];
  /** Steps not used yet. */
  readonly remaining: number;
  /** Add steps at the end. */
  push(...steps: ScriptStep[]): void;
}

/**
 * Create an invoker that replays `steps` one per request. It says it is scripted (`name`
 * `scripted` unless given), and running out of steps is an error naming how many were used.
 */
export function createScriptedInvoker(steps: readonly ScriptStep[] = [], options: { name?: string } = {}): ScriptedInvoker {
  const queue = [...steps];
  const requests: InvokeRequest[] = [];
  const name = options.name ?? 'scripted';
  return {
    name,
    get requests() {
      return requests;
    },
    get remaining() {
      return queue.length;
    },
    push(...more) {
      queue.push(...more);
    },
    async invoke(request, signal) {
      const index = requests.length;
      requests.push(request);
      const step = queue.shift();
      if (step === undefined) {
        throw new LllmError(
          `The scripted invoker "${name}" has no reply left for request ${index + 1}: its script had ${index} steps. Add more steps.`,
        );
      }
      const resolved = typeof step === 'function' ? await raceAbort(step(request, index), signal) : step;
      if ('error' in resolved) throw resolved.error;
      if (resolved.delayMs) await sleep(resolved.delayMs, signal);
      const content = resolved.content ?? '';
      if (request.stream && request.onEvent && content) {
        const size = Math.max(1, resolved.streamChunkSize ?? 8);
        for (let offset = 0; offset < content.length; offset += size)
          request.onEvent({ type: 'text-delta', text: content.slice(offset, offset + size) });
      }
      const toolCalls = (resolved.toolCalls ?? []).map((call, callIndex) => ({
        id: call.id ?? `call_${index + 1}_${callIndex + 1}`,
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}),
      }));
      const result: InvokeResult = {
        content,
        toolCalls,
        finishReason: resolved.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
        model: resolved.model ?? request.model,
        raw: { scripted: true, step: index },
        ...(resolved.usage ? { usage: resolved.usage } : {}),
        ...(resolved.logprobs ? { logprobs: resolved.logprobs } : {}),
      };
      return result;
    },
  };
}

/** A `ProviderError` like a provider's HTTP failure, for scripts: `scriptedHttpError(429, { retryAfterMs: 10 })`. */
export function scriptedHttpError(statusCode: number, options: { retryAfterMs?: number; message?: string } = {}): ProviderError {
  const kind =
    statusCode === 429
      ? 'rate_limit'
      : statusCode >= 500
        ? 'server'
        : statusCode === 401 || statusCode === 403
          ? 'authentication'
          : 'client';
  return new ProviderError(options.message ?? `HTTP ${statusCode} from the scripted provider`, {
    kind,
    statusCode,
    provider: 'scripted',
    ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
  });
}
