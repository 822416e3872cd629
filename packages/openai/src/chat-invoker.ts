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
  type Usage,
} from '@lllm/core';
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

/** The Chat Completions request body for an `InvokeRequest` (without `stream`). */
export function toChatRequest(request: InvokeRequest, options: ChatInvokerOptions = {}): ChatCompletionCreateParamsNonStreaming {
  const card = findModelCard(request.model);
  const reasoning = card?.features.reasoning === true;
  const args: Record<string, unknown> = { ...request.modelArgs };
  if (card) assertModelArguments(card, args);
  // Reasoning models reject max_tokens; the same limit is spelled max_completion_tokens.
  if (reasoning && args.max_tokens !== undefined && args.max_completion_tokens === undefined) {
    args.max_completion_tokens = args.max_tokens;
    delete args.max_tokens;
  }
  const systemRole = options.systemRole ?? (reasoning && card?.provider === 'openai' ? 'developer' : 'system');
  const body: Record<string, unknown> = { ...args, model: request.model, messages: toChatMessages(request.messages, systemRole) };
  if (request.tools.length > 0) {
    body.tools = request.tools.map(
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
  }
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

/** Chat Completions usage → core usage (input excludes cached tokens). */
export function toChatUsage(usage: ChatCompletion['usage'] | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  return {
    inputTokens: usage.prompt_tokens - cached,
    outputTokens: usage.completion_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

function toLogprobs(content: readonly ChatCompletionTokenLogprob[] | null | undefined): TokenLogprob[] | undefined {
  if (!content) return undefined;
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

/** A Chat Completions reply → an `InvokeResult`. A refusal is a non-retryable `ProviderError`. */
export function fromChatCompletion(completion: ChatCompletion, provider = 'openai-chat'): InvokeResult {
  const choice = completion.choices?.[0];
  if (!choice) {
    throw new ProviderError(`${provider}: the reply has no choices.`, {
      kind: 'invalid_response',
      isRetryable: true,
      provider,
      body: completion,
    });
  }
  const message = choice.message;
  if (message.refusal) throw refusalError(provider, message.refusal, completion);
  const toolCalls: RawToolCall[] = (message.tool_calls ?? []).flatMap((call, index) =>
    call.type === 'function'
      ? [{ id: call.id || `call_${index}`, name: call.function.name, arguments: call.function.arguments ?? '' }]
      : [],
  );
  return {
    content: message.content ?? '',
    toolCalls,
    usage: toChatUsage(completion.usage),
    logprobs: toLogprobs(choice.logprobs?.content),
    raw: completion,
    finishReason: toFinishReason(choice.finish_reason),
    model: completion.model,
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

  add(chunk: ChatCompletionChunk, onEvent: InvokeRequest['onEvent']): void {
    this.chunks += 1;
    this.id ??= chunk.id;
    this.model ??= chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (delta.content) {
        this.content += delta.content;
        onEvent?.({ type: 'text-delta', text: delta.content });
      }
      if (delta.refusal) this.refusal += delta.refusal;
      for (const fragment of delta.tool_calls ?? []) {
        const call = this.calls.get(fragment.index) ?? { id: '', name: '', arguments: '' };
        if (fragment.id) call.id = fragment.id;
        if (fragment.function?.name) call.name += fragment.function.name;
        if (fragment.function?.arguments) call.arguments += fragment.function.arguments;
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
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
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
      usage: toChatUsage(this.usage),
      logprobs: this.logprobs.length > 0 ? toLogprobs(this.logprobs) : undefined,
      raw,
      finishReason: toFinishReason(this.finishReason),
      model: this.model,
    };
  }
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
          const completion = await client.chat.completions.create(body, { signal });
          return fromChatCompletion(completion, name);
        }
        const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
        const assembler = new ChatStreamAssembler();
        for await (const chunk of stream) assembler.add(chunk, request.onEvent);
        return assembler.result(name);
      } catch (error) {
        throw toProviderError(error, name);
      }
    },
  };
}
