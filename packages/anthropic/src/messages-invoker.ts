import type Anthropic from '@anthropic-ai/sdk';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import {
  AbortError,
  assertModelArguments,
  type FinishReason,
  findModelCard,
  type InvokeRequest,
  type InvokeResult,
  type Invoker,
  type Message,
  ProviderError,
  type ProviderErrorKind,
  type RawToolCall,
  redactSecrets,
  redactString,
  type Usage,
} from '@lllm/core';
import { parseRetryAfter, requestDeadlineOf, WireReader } from '@lllm/core/utils';
import { type SdkAbortOptions, sdkAbortOptions } from '@lllm/http';

type Block = Record<string, unknown>;
type WireMessage = { role: 'user' | 'assistant'; content: Block[] };

/** Options of a Messages API invoker. */
export interface MessagesInvokerOptions {
  /** Label for logs and errors (default `anthropic`). */
  readonly name?: string;
  /** `max_tokens` when neither the call nor the model card gives one (default 4,096). */
  readonly defaultMaxTokens?: number;
}

/** The largest default `max_tokens` for a non-streaming request (the SDK rejects longer ones). */
export const NON_STREAMING_MAX_TOKENS = 16_384;

/** The name of the forced tool that carries structured output. */
export const STRUCTURED_OUTPUT_TOOL = 'structured_output';

/** Content blocks of an earlier reply that must be sent back as they were (thinking with its signature). */
function echoedThinking(message: Message): Block[] {
  const raw = message.raw as { content?: Block[] } | undefined;
  return (raw?.content ?? []).filter((block) => block.type === 'thinking' || block.type === 'redacted_thinking');
}

/** Provider-neutral messages → Anthropic `system` and `messages`. Consecutive same-role turns are merged. */
export function toAnthropicMessages(messages: readonly Message[]): { system: string | undefined; messages: WireMessage[] } {
  const system: string[] = [];
  const out: WireMessage[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        system.push(message.content);
        break;
      case 'user':
        if (message.modality === 'image') {
          push('user', [
            { type: 'image', source: { type: 'base64', media_type: message.mediaType ?? 'image/png', data: message.content } },
            ...(message.caption ? [{ type: 'text', text: message.caption }] : []),
          ]);
        } else push('user', [{ type: 'text', text: message.content }]);
        break;
      case 'assistant':
        push('assistant', [...echoedThinking(message), ...(message.content ? [{ type: 'text', text: message.content }] : [])]);
        break;
      case 'tool_call':
        push('assistant', [
          ...echoedThinking(message),
          ...(message.content ? [{ type: 'text', text: message.content }] : []),
          ...message.toolCalls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: { ...call.arguments } })),
        ]);
        break;
      case 'tool':
        // Tool results travel in a user turn; consecutive results merge into one turn, as the API requires.
        push('user', [{ type: 'tool_result', tool_use_id: message.toolCallId ?? '', content: message.content }]);
        break;
    }
  }
  return { system: system.length > 0 ? system.join('\n\n') : undefined, messages: out };
}

/** The Messages API request body for an `InvokeRequest` (without `stream`). */
export function toAnthropicRequest(request: InvokeRequest, options: MessagesInvokerOptions = {}): Record<string, unknown> {
  const card = findModelCard(request.model);
  const args: Record<string, unknown> = { ...request.modelArgs };
  if (card) assertModelArguments(card, args);
  // max_tokens is required. Without one from the call, take the model card's output limit; the SDK
  // refuses non-streaming requests that could run past ten minutes, so those are capped.
  const cardLimit =
    card?.maxOutputTokens === undefined
      ? undefined
      : request.stream
        ? card.maxOutputTokens
        : Math.min(card.maxOutputTokens, NON_STREAMING_MAX_TOKENS);
  const maxTokens =
    args.max_tokens ?? args.max_completion_tokens ?? args.max_output_tokens ?? cardLimit ?? options.defaultMaxTokens ?? 4096;
  delete args.max_completion_tokens;
  delete args.max_output_tokens;
  const { system, messages } = toAnthropicMessages(request.messages);
  const tools: Block[] = request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters }));
  const body: Record<string, unknown> = { ...args, model: request.model, max_tokens: maxTokens, messages };
  if (system !== undefined) body.system = system;
  if (request.format) {
    // Structured output: a tool whose input schema is the format, and the model is made to call it.
    tools.push({
      name: STRUCTURED_OUTPUT_TOOL,
      description: request.format.description ?? `Give the final answer as ${request.format.name}.`,
      input_schema: request.format.schema,
    });
    // Alone, the format tool is forced; beside other tools the model must call one of them.
    body.tool_choice = request.tools.length > 0 ? { type: 'any' } : { type: 'tool', name: STRUCTURED_OUTPUT_TOOL };
  }
  if (tools.length > 0) body.tools = tools;
  return body;
}

/**
 * Anthropic usage → core usage. `input_tokens` and `output_tokens` must be whole numbers >= 0 (the
 * cache counts too, when given): otherwise an `invalid_response` `ProviderError`, never a NaN or
 * negative cost.
 */
export function toAnthropicUsage(
  usage: Record<string, unknown> | null | undefined,
  reader = new WireReader('anthropic', usage),
): Usage | undefined {
  if (usage === undefined || usage === null) return undefined;
  const record = reader.record(usage, 'usage');
  const cacheRead = reader.optionalCount(record.cache_read_input_tokens, 'usage.cache_read_input_tokens') ?? 0;
  const cacheWrite = reader.optionalCount(record.cache_creation_input_tokens, 'usage.cache_creation_input_tokens') ?? 0;
  return {
    inputTokens: reader.count(record.input_tokens, 'usage.input_tokens'),
    outputTokens: reader.count(record.output_tokens, 'usage.output_tokens'),
    ...(cacheRead ? { cachedInputTokens: cacheRead } : {}),
    ...(cacheWrite ? { cacheWriteInputTokens: cacheWrite } : {}),
  };
}

function toFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

/** A Messages API reply → an `InvokeResult`. The structured-output tool's input becomes the JSON content. */
export function fromAnthropicMessage(
  message: Record<string, unknown>,
  request: Pick<InvokeRequest, 'format'>,
  provider = 'anthropic',
): InvokeResult {
  const reader = new WireReader(provider, message);
  reader.record(message, 'the reply');
  const blocks = reader.array(message.content, 'content').map((block, index) => reader.record(block, `content[${index}]`));
  const stopReason = reader.optionalString(message.stop_reason, 'stop_reason');
  let content = '';
  let reasoning = '';
  const toolCalls: RawToolCall[] = [];
  for (const [index, block] of blocks.entries()) {
    const path = `content[${index}]`;
    const type = reader.string(block.type, `${path}.type`);
    if (type === 'text') content += reader.string(block.text, `${path}.text`);
    else if (type === 'thinking') reasoning += reader.string(block.thinking, `${path}.thinking`);
    else if (type === 'tool_use') {
      const name = reader.string(block.name, `${path}.name`);
      if (name === '') reader.fail(`${path}.name`, 'a tool name', name);
      const input = reader.record(block.input, `${path}.input`);
      if (request.format && name === STRUCTURED_OUTPUT_TOOL) {
        content = JSON.stringify(input);
        continue;
      }
      toolCalls.push({ id: reader.string(block.id, `${path}.id`), name, arguments: JSON.stringify(input) });
    }
  }
  const usage = toAnthropicUsage(message.usage as Record<string, unknown> | undefined, reader);
  const model = reader.optionalString(message.model, 'model');
  if (stopReason === 'refusal') {
    throw new ProviderError(`${provider}: the model refused${content ? `: ${content}` : '.'}`, {
      kind: 'refusal',
      isRetryable: false,
      provider,
      body: message,
    });
  }
  const structured =
    request.format !== undefined && toolCalls.length === 0 && blocks.some((block) => block.name === STRUCTURED_OUTPUT_TOOL);
  return {
    content,
    toolCalls,
    usage,
    raw: message,
    finishReason: structured ? 'stop' : toFinishReason(stopReason),
    model,
    ...(reasoning ? { extra: { reasoning } } : {}),
  };
}

/** Map anything the Anthropic SDK throws to a core `ProviderError` (or `AbortError`). */
export function toAnthropicError(error: unknown, provider = 'anthropic'): ProviderError | AbortError {
  if (error instanceof APIUserAbortError) return new AbortError('The request was aborted.', { cause: error });
  if (error instanceof APIConnectionTimeoutError)
    return new ProviderError(`${provider}: the request timed out.`, { kind: 'timeout', provider, cause: error });
  if (error instanceof APIConnectionError) {
    return new ProviderError(`${provider}: could not complete the request (connection error).`, {
      kind: 'connection',
      provider,
      cause: error,
    });
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const status = error.status;
    const body = (error.error ?? undefined) as { error?: { type?: string; message?: string }; request_id?: string } | undefined;
    const type = body?.error?.type ?? error.type ?? undefined;
    const kind: ProviderErrorKind =
      status === 429
        ? 'rate_limit'
        : status === 401 || status === 403
          ? 'authentication'
          : status >= 500 || status === 408 || status === 409
            ? 'server'
            : 'client';
    const requestId = error.requestID ?? body?.request_id ?? error.headers?.get('request-id') ?? undefined;
    const detail = body?.error?.message ?? error.apiMessage ?? error.message;
    return new ProviderError(
      redactString(
        `${provider} returned HTTP ${status}${type ? ` (${type})` : ''}: ${detail}${requestId ? ` [request id ${requestId}]` : ''}`,
      ),
      {
        kind,
        statusCode: status,
        isRetryable: kind === 'rate_limit' || kind === 'server',
        retryAfterMs: parseRetryAfter(error.headers ?? undefined),
        requestId: requestId ?? undefined,
        provider,
        body: redactSecrets(body),
        cause: error,
      },
    );
  }
  if (ProviderError.isInstance(error) || AbortError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(`${provider}: the response could not be read (${redactString(message)}).`, {
    kind: 'invalid_response',
    isRetryable: true,
    provider,
    cause: error,
  });
}

/** Rebuilds a message from stream events: text, thinking, tool input JSON by block index, usage. */
class StreamAssembler {
  message: Record<string, unknown> = {};
  readonly blocks = new Map<number, Block & { partialJson?: string }>();
  done = false;

  add(event: Record<string, unknown>, onEvent: InvokeRequest['onEvent'], request: InvokeRequest, reader: WireReader): void {
    const index = typeof event.index === 'number' ? event.index : -1;
    switch (event.type) {
      case 'message_start':
        this.message = { ...(event.message as Record<string, unknown>) };
        break;
      case 'content_block_start':
        this.blocks.set(index, { ...(event.content_block as Block) });
        break;
      case 'content_block_delta': {
        const block = this.blocks.get(index) ?? {};
        const delta = reader.record(event.delta, 'content_block_delta.delta');
        const field = { text_delta: 'text', thinking_delta: 'thinking', signature_delta: 'signature', input_json_delta: 'partial_json' }[
          String(delta.type)
        ];
        if (field) reader.string(delta[field], `content_block_delta.delta.${field}`);
        if (delta.type === 'text_delta') {
          block.text = `${String(block.text ?? '')}${String(delta.text)}`;
          onEvent?.({ type: 'text-delta', text: String(delta.text) });
        } else if (delta.type === 'thinking_delta') {
          block.thinking = `${String(block.thinking ?? '')}${String(delta.thinking)}`;
          onEvent?.({ type: 'reasoning-delta', text: String(delta.thinking) });
        } else if (delta.type === 'signature_delta') {
          block.signature = `${String(block.signature ?? '')}${String(delta.signature)}`;
        } else if (delta.type === 'input_json_delta') {
          block.partialJson = `${block.partialJson ?? ''}${String(delta.partial_json)}`;
          const structured = request.format !== undefined && block.name === STRUCTURED_OUTPUT_TOOL;
          if (structured) onEvent?.({ type: 'text-delta', text: String(delta.partial_json) });
          else
            onEvent?.({
              type: 'tool-call-delta',
              index,
              id: String(block.id ?? ''),
              name: String(block.name ?? ''),
              argumentsDelta: String(delta.partial_json),
            });
        }
        this.blocks.set(index, block);
        break;
      }
      case 'content_block_stop': {
        const block = this.blocks.get(index);
        if (block && block.type === 'tool_use') {
          const json = block.partialJson?.trim();
          block.input = json ? (JSON.parse(json) as unknown) : (block.input ?? {});
          delete block.partialJson;
        }
        break;
      }
      case 'message_delta': {
        const delta = event.delta as Block;
        this.message = { ...this.message, ...delta };
        const usage = event.usage as Record<string, unknown> | undefined;
        if (usage) this.message.usage = { ...((this.message.usage as Record<string, unknown>) ?? {}), ...stripNulls(usage) };
        break;
      }
      case 'message_stop':
        this.done = true;
        break;
      case 'error': {
        const detail = event.error as { type?: string; message?: string } | undefined;
        throw new ProviderError(`anthropic: stream error ${detail?.type ?? ''}: ${detail?.message ?? ''}`, {
          kind: detail?.type === 'overloaded_error' ? 'server' : 'server',
          provider: 'anthropic',
          body: event,
        });
      }
      default:
        break;
    }
  }

  result(request: InvokeRequest, provider: string): InvokeResult {
    if (!this.done) {
      throw new ProviderError(`${provider}: the stream ended before the message was complete.`, {
        kind: 'invalid_response',
        isRetryable: true,
        provider,
      });
    }
    const content = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
    return fromAnthropicMessage({ ...this.message, content }, request, provider);
  }
}

function stripNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== null && value !== undefined));
}

/** Clients whose `fetch` reads `@lllm/http`'s `LINKED_SIGNAL` (set by the provider that made them). */
export const linkedSignalClients = new WeakSet<Anthropic>();

/**
 * The SDK options of a request that is not streamed (`sdkAbortOptions`): when the signal is only the
 * agent's deadline, what is left of its limit as the SDK's timeout; when a caller's signal stands
 * behind it and the client's fetch is `@lllm/http`'s, the signal for the fetch alone; else the signal.
 */
export function requestOptions(client: Anthropic, signal: AbortSignal): SdkAbortOptions {
  return sdkAbortOptions(signal, {
    limitMs: requestDeadlineOf(signal)?.timeoutMs,
    clientTimeoutMs: client.timeout,
    linked: linkedSignalClients.has(client),
  });
}

/** An `Invoker` for the Anthropic Messages API. */
export function createMessagesInvoker(client: () => Anthropic, options: MessagesInvokerOptions = {}): Invoker {
  const name = options.name ?? 'anthropic';
  return {
    name,
    async invoke(request, signal) {
      const body = toAnthropicRequest(request, options);
      try {
        const sdk = client();
        // Read before the first await (see requestDeadlineOf).
        const abortOptions = request.stream ? { signal } : requestOptions(sdk, signal);
        // The request body is built provider-neutrally above; the SDK's typed overloads are bypassed.
        const messages = sdk.messages as unknown as {
          create(body: Record<string, unknown>, options: SdkAbortOptions): Promise<unknown>;
        };
        if (!request.stream)
          return fromAnthropicMessage((await messages.create(body, abortOptions)) as Record<string, unknown>, request, name);
        const stream = (await messages.create({ ...body, stream: true }, { signal })) as AsyncIterable<Record<string, unknown>>;
        const assembler = new StreamAssembler();
        const reader = new WireReader(name, undefined);
        for await (const event of stream) {
          // message_start comes at once and pings keep the connection open: only output counts as the reply under way.
          if (event.type !== 'message_start' && event.type !== 'ping') request.onActivity?.();
          assembler.add(reader.record(event, 'stream event'), request.onEvent, request, reader);
        }
        return assembler.result(request, name);
      } catch (error) {
        throw toAnthropicError(error, name);
      }
    },
  };
}
