import {
  assertModelArguments,
  type FinishReason,
  findModelCard,
  type InvokeRequest,
  type InvokeResult,
  type Invoker,
  type Message,
  ProviderError,
  type RawToolCall,
  type TokenLogprob,
  type ToolLike,
  type Usage,
} from '@lllm/core';
import { requestDeadlineOf, WireReader } from '@lllm/core/utils';
import { sdkAbortOptions } from '@lllm/http';
import type OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTokenLogprob,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { toProviderError } from './errors.js';

/** Options of a Chat Completions invoker. */
export interface ChatInvokerOptions {
  /** The role system messages are sent as. Default: `developer` for OpenAI reasoning models, else `system`. */
  readonly systemRole?: 'system' | 'developer';
  /** Label for logs and errors (default `openai-chat`). */
  readonly name?: string;
}

/** Resolves the client for a model (a per-card `baseURL` gets its own client). */
export type ClientResolver = (model: string) => OpenAI;

/** Provider-neutral messages → Chat Completions messages. */
export function toChatMessages(messages: readonly Message[], systemRole: 'system' | 'developer' = 'system'): ChatCompletionMessageParam[] {
  return messages.map((message): ChatCompletionMessageParam => {
    switch (message.role) {
      case 'system':
        return { role: systemRole, content: message.content };
      case 'user': {
        if (message.modality !== 'image') return { role: 'user', content: message.content };
        const parts: ChatCompletionContentPart[] = [];
        if (message.caption) parts.push({ type: 'text', text: message.caption });
        parts.push({ type: 'image_url', image_url: { url: `data:${message.mediaType ?? 'image/png'};base64,${message.content}` } });
        return { role: 'user', content: parts };
      }
      case 'assistant':
        return { role: 'assistant', content: message.content };
      case 'tool_call':
        return {
          role: 'assistant',
          content: message.content || null,
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function' as const,
            function: { name: call.name, arguments: call.rawArguments ?? JSON.stringify(call.arguments) },
          })),
        };
      default:
        return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    }
  });
}

/**
 * Tool lists of prompts (frozen arrays, reused on every request) in wire form, made once per list and
 * used again while every tool still has the same name, description, schema and strictness.
 */
const toolLists = new WeakMap<readonly ToolLike[], ChatCompletionTool[]>();

function chatTools(tools: readonly ToolLike[]): ChatCompletionTool[] {
  const known = toolLists.get(tools);
  if (
    known?.every((wire, index) => {
      const tool = tools[index];
      return (
        tool !== undefined &&
        wire.type === 'function' &&
        wire.function.name === tool.name &&
        wire.function.description === tool.description &&
        wire.function.parameters === tool.parameters &&
        (wire.function.strict === true) === (tool.strict === true)
      );
    })
  ) {
    return known;
  }
  const wire = tools.map(
    (tool): ChatCompletionTool => ({
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description,
        parameters: tool.parameters,
        ...(tool.strict ? { strict: true } : {}),
      },
    }),
  );
  if (Object.isFrozen(tools)) toolLists.set(tools, wire);
  return wire;
}

/** The Chat Completions request body for an `InvokeRequest` (without `stream`). */
export function toChatRequest(request: InvokeRequest, options: ChatInvokerOptions = {}): ChatCompletionCreateParamsNonStreaming {
  const card = findModelCard(request.model);
  const reasoning = card?.features.reasoning === true;
  const args: Record<string, unknown> = { ...request.modelArgs };
  // No arguments, nothing to check (most agents send none per request).
  if (card && Object.keys(args).length > 0) assertModelArguments(card, args);
  // Reasoning models reject max_tokens; the same limit is spelled max_completion_tokens.
  if (reasoning && args.max_tokens !== undefined && args.max_completion_tokens === undefined) {
    args.max_completion_tokens = args.max_tokens;
    delete args.max_tokens;
  }
  const systemRole = options.systemRole ?? (reasoning && card?.provider === 'openai' ? 'developer' : 'system');
  const body: Record<string, unknown> = { ...args, model: request.model, messages: toChatMessages(request.messages, systemRole) };
  if (request.tools.length > 0) body.tools = chatTools(request.tools);
  if (request.format) {
    body.response_format = {
      type: 'json_schema',
      json_schema: {
        name: request.format.name,
        schema: request.format.schema,
        strict: request.format.strict,
        ...(request.format.description ? { description: request.format.description } : {}),
      },
    };
  }
  return body as unknown as ChatCompletionCreateParamsNonStreaming;
}

/**
 * Chat Completions usage → core usage (input excludes cached tokens). Counts that are missing,
 * negative or not whole numbers are an `invalid_response` `ProviderError`: never a NaN or negative cost.
 */
export function toChatUsage(
  usage: ChatCompletion['usage'] | null | undefined,
  reader = new WireReader('openai-chat', usage),
): Usage | undefined {
  if (usage === undefined || usage === null) return undefined;
  const record = reader.record(usage, 'usage');
  const prompt = reader.count(record.prompt_tokens, 'usage.prompt_tokens');
  const completion = reader.count(record.completion_tokens, 'usage.completion_tokens');
  const promptDetails =
    record.prompt_tokens_details == null ? {} : reader.record(record.prompt_tokens_details, 'usage.prompt_tokens_details');
  const completionDetails =
    record.completion_tokens_details == null ? {} : reader.record(record.completion_tokens_details, 'usage.completion_tokens_details');
  const cached = reader.optionalCount(promptDetails.cached_tokens, 'usage.prompt_tokens_details.cached_tokens') ?? 0;
  const reasoning = reader.optionalCount(completionDetails.reasoning_tokens, 'usage.completion_tokens_details.reasoning_tokens') ?? 0;
  if (cached > prompt) reader.fail('usage.prompt_tokens_details.cached_tokens', `at most prompt_tokens (${prompt})`, cached);
  return {
    inputTokens: prompt - cached,
    outputTokens: completion,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

function toLogprobs(content: readonly ChatCompletionTokenLogprob[] | null | undefined, reader?: WireReader): TokenLogprob[] | undefined {
  if (!content) return undefined;
  if (reader) {
    for (const [index, entry] of reader.array(content, 'choices[0].logprobs.content').entries()) {
      const record = reader.record(entry, `choices[0].logprobs.content[${index}]`);
      reader.string(record.token, `choices[0].logprobs.content[${index}].token`);
      if (typeof record.logprob !== 'number') reader.fail(`choices[0].logprobs.content[${index}].logprob`, 'a number', record.logprob);
    }
  }
  return content.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    bytes: entry.bytes ?? null,
    topLogprobs: (entry.top_logprobs ?? []).map((top) => ({ token: top.token, logprob: top.logprob, bytes: top.bytes ?? null })),
  }));
}

function toFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

function refusalError(provider: string, refusal: string, raw: unknown): ProviderError {
  return new ProviderError(`${provider}: the model refused: ${refusal}`, { kind: 'refusal', isRetryable: false, provider, body: raw });
}

/** Read the tool calls of a reply message, checking each field's type. */
function readToolCalls(value: unknown, reader: WireReader): RawToolCall[] {
  const calls: RawToolCall[] = [];
  for (const [index, item] of reader.array(value, 'choices[0].message.tool_calls', true).entries()) {
    const path = `choices[0].message.tool_calls[${index}]`;
    const call = reader.record(item, path);
    // Other call types (custom tools) are not LLLM's to run.
    if (call.type !== undefined && call.type !== 'function') continue;
    const fn = reader.record(call.function, `${path}.function`);
    const name = reader.string(fn.name, `${path}.function.name`);
    if (name === '') reader.fail(`${path}.function.name`, 'a function name', name);
    const id = reader.optionalString(call.id, `${path}.id`);
    // Arguments are JSON *text*; an object here is a malformed reply, not arguments to guess at.
    const args = fn.arguments === undefined || fn.arguments === null ? '' : reader.string(fn.arguments, `${path}.function.arguments`);
    calls.push({ id: id || `call_${index}`, name, arguments: args });
  }
  return calls;
}

/**
 * A Chat Completions reply → an `InvokeResult`. A refusal is a non-retryable `ProviderError`; a reply
 * whose fields have the wrong types (content not a string, arguments not a string, no choices, bad
 * usage) is an `invalid_response` `ProviderError`, retried as transient.
 */
export function fromChatCompletion(completion: ChatCompletion, provider = 'openai-chat'): InvokeResult {
  const reader = new WireReader(provider, completion);
  const body = reader.record(completion, 'the reply');
  const choices = reader.array(body.choices, 'choices');
  if (choices.length === 0) reader.fail('choices', 'a non-empty array', choices);
  const choice = reader.record(choices[0], 'choices[0]');
  const message = reader.record(choice.message, 'choices[0].message');
  const refusal = reader.optionalString(message.refusal, 'choices[0].message.refusal');
  if (refusal) throw refusalError(provider, refusal, completion);
  const content = reader.optionalString(message.content, 'choices[0].message.content') ?? '';
  const toolCalls = readToolCalls(message.tool_calls, reader);
  const finishReason = reader.optionalString(choice.finish_reason, 'choices[0].finish_reason');
  const model = reader.optionalString(body.model, 'model');
  const logprobs = choice.logprobs == null ? undefined : reader.record(choice.logprobs, 'choices[0].logprobs');
  return {
    content,
    toolCalls,
    usage: toChatUsage(completion.usage, reader),
    logprobs: toLogprobs(logprobs?.content as ChatCompletionTokenLogprob[] | null | undefined, reader),
    raw: completion,
    finishReason: toFinishReason(finishReason),
    model,
  };
}

/** Assembles a streamed reply: text, refusal, tool-call fragments by index, logprobs, usage. */
class ChatStreamAssembler {
  content = '';
  refusal = '';
  finishReason: string | null = null;
  model: string | undefined;
  id: string | undefined;
  usage: ChatCompletion['usage'] | undefined;
  readonly logprobs: ChatCompletionTokenLogprob[] = [];
  readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  chunks = 0;

  add(chunk: ChatCompletionChunk, onEvent: InvokeRequest['onEvent'], reader: WireReader): void {
    this.chunks += 1;
    const where = `stream chunk ${this.chunks}`;
    reader.record(chunk, where);
    this.id ??= reader.optionalString(chunk.id, `${where}.id`);
    this.model ??= reader.optionalString(chunk.model, `${where}.model`);
    if (chunk.usage) this.usage = chunk.usage;
    for (const item of reader.array(chunk.choices, `${where}.choices`, true)) {
      const choice = reader.record(item, `${where}.choices[]`) as unknown as ChatCompletionChunk.Choice;
      if (choice.index !== 0) continue;
      const delta = (choice.delta == null ? {} : reader.record(choice.delta, `${where}.delta`)) as ChatCompletionChunk.Choice.Delta;
      const text = reader.optionalString(delta.content, `${where}.delta.content`);
      if (text) {
        this.content += text;
        onEvent?.({ type: 'text-delta', text });
      }
      const refusal = reader.optionalString(delta.refusal, `${where}.delta.refusal`);
      if (refusal) this.refusal += refusal;
      for (const raw of reader.array(delta.tool_calls, `${where}.delta.tool_calls`, true)) {
        const fragment = reader.record(raw, `${where}.delta.tool_calls[]`) as unknown as ChatCompletionChunk.Choice.Delta.ToolCall;
        if (typeof fragment.index !== 'number') reader.fail(`${where}.delta.tool_calls[].index`, 'a number', fragment.index);
        const fn = fragment.function == null ? {} : reader.record(fragment.function, `${where}.delta.tool_calls[].function`);
        const name = reader.optionalString(fn.name, `${where}.delta.tool_calls[].function.name`);
        const args = reader.optionalString(fn.arguments, `${where}.delta.tool_calls[].function.arguments`);
        const call = this.calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
        const id = reader.optionalString(fragment.id, `${where}.delta.tool_calls[].id`);
        if (id) call.id = id;
        if (name) call.name += name;
        if (args) call.arguments += args;
        this.calls.set(fragment.index, call);
        onEvent?.({
          type: 'tool-call-delta',
          index: fragment.index,
          ...(fragment.id ? { id: fragment.id } : {}),
          ...(fragment.function?.name ? { name: fragment.function.name } : {}),
          argumentsDelta: fragment.function?.arguments ?? '',
        });
      }
      if (choice.logprobs?.content) this.logprobs.push(...choice.logprobs.content);
      const finish = reader.optionalString(choice.finish_reason, `${where}.finish_reason`);
      if (finish) this.finishReason = finish;
    }
  }

  result(provider: string): InvokeResult {
    const raw = {
      id: this.id,
      object: 'chat.completion',
      model: this.model,
      streamed: true,
      chunks: this.chunks,
      finish_reason: this.finishReason,
      usage: this.usage ?? null,
    };
    if (this.refusal) throw refusalError(provider, this.refusal, raw);
    if (this.chunks === 0 || this.finishReason === null) {
      throw new ProviderError(`${provider}: the stream ended before the reply was complete.`, {
        kind: 'invalid_response',
        isRetryable: true,
        provider,
        body: raw,
      });
    }
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ id: call.id || `call_${index}`, name: call.name, arguments: call.arguments }));
    return {
      content: this.content,
      toolCalls,
      usage: toChatUsage(this.usage, new WireReader(provider, raw)),
      logprobs: this.logprobs.length > 0 ? toLogprobs(this.logprobs, new WireReader(provider, raw)) : undefined,
      raw,
      finishReason: toFinishReason(this.finishReason),
      model: this.model,
    };
  }
}

/** The SDK's per-request options (its type is not exported by name). */
type RequestOptions = NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>;

/** Clients whose `fetch` reads `LINKED_SIGNAL` (set by the provider that made them). */
export const linkedSignalClients = new WeakSet<OpenAI>();

/**
 * The SDK options of a request that is not streamed (`sdkAbortOptions`): when the signal is only the
 * agent's deadline, what is left of its limit as the SDK's timeout; when a caller's signal stands
 * behind it and the client's fetch is `@lllm/http`'s, the signal for the fetch alone; else the signal.
 * The agent times the request all the same.
 */
export function requestOptions(client: OpenAI, signal: AbortSignal): RequestOptions {
  return sdkAbortOptions(signal, {
    limitMs: requestDeadlineOf(signal)?.timeoutMs,
    clientTimeoutMs: client.timeout,
    linked: linkedSignalClients.has(client),
  }) as RequestOptions;
}

/** An `Invoker` for the Chat Completions API (OpenAI and OpenAI-compatible endpoints). */
export function createChatInvoker(resolveClient: ClientResolver, options: ChatInvokerOptions = {}): Invoker {
  const name = options.name ?? 'openai-chat';
  return {
    name,
    async invoke(request, signal) {
      const body = toChatRequest(request, options);
      const client = resolveClient(request.model);
      try {
        if (!request.stream) {
          const completion = await client.chat.completions.create(body, requestOptions(client, signal));
          return fromChatCompletion(completion, name);
        }
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
        const assembler = new ChatStreamAssembler();
        const reader = new WireReader(name, undefined);
        for await (const chunk of stream) {
          request.onActivity?.();
          assembler.add(chunk, request.onEvent, reader);
        }
        return assembler.result(name);
      } catch (error) {
        throw toProviderError(error, name);
      }
    },
  };
}
