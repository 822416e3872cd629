// OpenAI Chat Completions response bodies in the documented wire shapes (`chat.completion` objects and
// `chat.completion.chunk` streams), written by this project: no recorded payload is copied here.
import type { ScriptedResponse } from '../wire-server.js';

/** Token counts of a Chat Completions reply (`usage`). */
export interface ChatUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  /** Part of `prompt_tokens` read from the prompt cache (`prompt_tokens_details.cached_tokens`). */
  readonly cached_tokens?: number;
  /** Part of `completion_tokens` spent on reasoning (`completion_tokens_details.reasoning_tokens`). */
  readonly reasoning_tokens?: number;
}

/** One token's log probability with its alternatives (`choices[].logprobs.content[]`). */
export interface ChatTokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[] | null;
  readonly top_logprobs: { readonly token: string; readonly logprob: number; readonly bytes: number[] | null }[];
}

/** A tool call the reply makes. `id: null` leaves the id out, as some OpenAI-compatible servers do. */
export interface ChatToolCallSpec {
  readonly id?: string | null;
  readonly name: string;
  readonly arguments: string;
}

/** What a reply says; everything else takes realistic defaults. */
export interface ChatCompletionSpec {
  readonly id?: string;
  readonly model?: string;
  readonly created?: number;
  readonly content?: string | null;
  readonly refusal?: string | null;
  readonly toolCalls?: readonly ChatToolCallSpec[];
  /** Defaults to `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  readonly usage?: ChatUsage;
  readonly logprobs?: readonly ChatTokenLogprob[];
  /** Omit `system_fingerprint` and `service_tier` (OpenAI-compatible servers often do). */
  readonly compatible?: boolean;
}

const DEFAULT_MODEL = 'gpt-4o-mini-2024-07-18';

function usageBody(usage: ChatUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning_tokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function toolCallBody(call: ChatToolCallSpec, index: number): Record<string, unknown> {
  return {
    ...(call.id === null ? {} : { id: call.id ?? `call_${index}` }),
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  };
}

function finishOf(spec: ChatCompletionSpec): string {
  return spec.finishReason ?? ((spec.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

function envelope(spec: ChatCompletionSpec, object: 'chat.completion' | 'chat.completion.chunk'): Record<string, unknown> {
  return {
    id: spec.id ?? 'chatcmpl-lllm0000000000000000000001',
    object,
    created: spec.created ?? 1_761_000_000,
    model: spec.model ?? DEFAULT_MODEL,
    ...(spec.compatible ? {} : { service_tier: 'default', system_fingerprint: 'fp_lllm0001' }),
  };
}

/** A `chat.completion` object. */
export function chatCompletion(spec: ChatCompletionSpec = {}): Record<string, unknown> {
  const toolCalls = spec.toolCalls ?? [];
  return {
    ...envelope(spec, 'chat.completion'),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: spec.content === undefined ? (toolCalls.length > 0 ? null : '') : spec.content,
          refusal: spec.refusal ?? null,
          annotations: [],
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map(toolCallBody) } : {}),
        },
        logprobs: spec.logprobs ? { content: spec.logprobs, refusal: null } : null,
        finish_reason: finishOf(spec),
      },
    ],
    usage: usageBody(spec.usage ?? { prompt_tokens: 20, completion_tokens: 5 }),
  };
}

/**
 * The `chat.completion.chunk` payloads that stream `spec`: a role chunk, the content (or refusal) in
 * `pieces` (default: split into words), tool-call fragments (id and name first, then the arguments in
 * `argumentPieces` fragments), a finish chunk, and — as with `stream_options.include_usage` — a last
 * chunk with empty `choices` and the usage.
 */
export function chatCompletionChunks(
  spec: ChatCompletionSpec = {},
  options: { pieces?: readonly string[]; argumentPieces?: number; includeUsage?: boolean } = {},
): Record<string, unknown>[] {
  const head = envelope(spec, 'chat.completion.chunk');
  const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null, ...extra }],
    ...(spec.compatible ? {} : { obfuscation: obfuscation(JSON.stringify(delta)) }),
  });
  // The first chunk names the role: `content: ''` when text follows, `null` for a tool-call-only
  // reply or a refusal (which starts `refusal: ''`).
  const text = spec.refusal ?? spec.content ?? '';
  const hasText = !spec.refusal && (spec.content ?? '') !== '';
  const toolOnly = (spec.toolCalls?.length ?? 0) > 0 && !hasText;
  const chunks: Record<string, unknown>[] = [
    chunk({ role: 'assistant', content: spec.refusal || toolOnly ? null : '', refusal: spec.refusal ? '' : null }),
  ];
  const tokens = (spec.logprobs ?? []).map((entry) => entry.token);
  // With logprobs, one piece per token (the API streams them token by token), when they spell the text.
  const pieces = options.pieces ?? (tokens.length > 0 && tokens.join('') === text ? tokens : splitWords(text));
  if (pieces.join('') !== text) {
    throw new Error(`chatCompletionChunks: the pieces ${JSON.stringify(pieces)} do not add up to ${JSON.stringify(text)}.`);
  }
  const logprobs = [...(spec.logprobs ?? [])];
  const nonEmpty = pieces.filter((piece) => piece !== '');
  for (const [index, piece] of nonEmpty.entries()) {
    // One logprob entry travels with each piece; the last piece takes any left over.
    const entries = index === nonEmpty.length - 1 ? logprobs.splice(0) : logprobs.splice(0, 1);
    const field = spec.refusal ? 'refusal' : 'content';
    const withLogprobs =
      entries.length > 0 ? { logprobs: spec.refusal ? { content: null, refusal: entries } : { content: entries, refusal: null } } : {};
    chunks.push(chunk({ [field]: piece }, withLogprobs));
  }
  for (const [index, call] of (spec.toolCalls ?? []).entries()) {
    chunks.push(
      chunk({
        tool_calls: [
          {
            index,
            ...(call.id === null ? {} : { id: call.id ?? `call_${index}` }),
            type: 'function',
            function: { name: call.name, arguments: '' },
          },
        ],
      }),
    );
    for (const fragment of splitEvenly(call.arguments, options.argumentPieces ?? 3)) {
      chunks.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
    }
  }
  chunks.push(chunk({}, { finish_reason: finishOf(spec) }));
  if (options.includeUsage !== false) {
    chunks.push({ ...head, choices: [], usage: usageBody(spec.usage ?? { prompt_tokens: 20, completion_tokens: 5 }) });
  }
  return chunks;
}

/** A scripted SSE response streaming `spec`, ended by `data: [DONE]`. */
export function chatStream(
  spec: ChatCompletionSpec = {},
  options: { pieces?: readonly string[]; argumentPieces?: number; includeUsage?: boolean } = {},
): ScriptedResponse {
  return { events: chatCompletionChunks(spec, options).map((data) => ({ data })), done: true };
}

/** Log probabilities for `tokens`, each with `alternatives` top entries (the token itself first). */
export function chatTokenLogprobs(tokens: readonly string[], alternatives = 2): ChatTokenLogprob[] {
  return tokens.map((token, index) => {
    const logprob = -0.001 * (index + 1);
    const others = Array.from({ length: Math.max(0, alternatives - 1) }, (_, rank) => ({
      token: `${token.trim() || token}~${rank + 1}`,
      logprob: -2 - rank,
      bytes: [...Buffer.from(`${token}~${rank + 1}`, 'utf8')],
    }));
    const bytes = [...Buffer.from(token, 'utf8')];
    return { token, logprob, bytes, top_logprobs: alternatives > 0 ? [{ token, logprob, bytes }, ...others] : [] };
  });
}

/** `text` in word-sized pieces, spaces kept at the start of a piece as the API's tokens do. */
export function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? (text === '' ? [] : [text]);
}

/** `text` in `parts` pieces of near-equal length (tool-call argument fragments). */
export function splitEvenly(text: string, parts: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / Math.max(1, parts)));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces;
}

/**
 * The `obfuscation` field OpenAI adds to streamed deltas (`stream_options.include_obfuscation`,
 * on by default): filler characters that even out payload sizes. Deterministic here.
 */
export function obfuscation(payload: string): string {
  return 'lllmPadding'.repeat(2).slice(0, Math.max(1, 16 - (payload.length % 16)));
}
