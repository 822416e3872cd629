import {
  assertModelArguments,
  type FinishReason,
  findModelCard,
  type HostedTools,
  InvalidArgumentError,
  type InvokeRequest,
  type InvokeResult,
  type Invoker,
  type Message,
  ProviderError,
  type RawToolCall,
  type TokenLogprob,
  type Usage,
} from '@lllm/core';
import type {
  Response,
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
  Tool,
} from 'openai/resources/responses/responses';
import type { ClientResolver } from './chat-invoker.js';
import { toProviderError } from './errors.js';

/** Options of a Responses API invoker. */
export interface ResponsesInvokerOptions {
  /** Label for logs and errors (default `openai-responses`). */
  readonly name?: string;
  /** `web_search` (default) or the older `web_search_preview`. */
  readonly webSearchTool?: 'web_search' | 'web_search_preview';
}

type JsonRecord = Record<string, unknown>;

function isResponse(raw: unknown): raw is { output: JsonRecord[] } {
  return typeof raw === 'object' && raw !== null && Array.isArray((raw as { output?: unknown }).output);
}

/**
 * Output items of an earlier reply to send back as input: reasoning items (with their encrypted
 * content), messages and function calls, exactly as the API returned them.
 */
function echoedItems(message: Message): ResponseInputItem[] | undefined {
  if (!isResponse(message.raw)) return undefined;
  const items = message.raw.output.filter((item) => item.type === 'reasoning' || item.type === 'message' || item.type === 'function_call');
  return items.length > 0 ? (items as unknown as ResponseInputItem[]) : undefined;
}

/** Provider-neutral messages → Responses API input items. */
export function toResponsesInput(messages: readonly Message[]): ResponseInputItem[] {
  const input: ResponseInputItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        input.push({ role: 'system', content: message.content });
        break;
      case 'user':
        if (message.modality === 'image') {
          input.push({
            role: 'user',
            content: [
              ...(message.caption ? [{ type: 'input_text' as const, text: message.caption }] : []),
              {
                type: 'input_image' as const,
                detail: 'auto' as const,
                image_url: `data:${message.mediaType ?? 'image/png'};base64,${message.content}`,
              },
            ],
          });
        } else input.push({ role: 'user', content: message.content });
        break;
      case 'assistant':
        input.push(...(echoedItems(message) ?? [{ role: 'assistant' as const, content: message.content }]));
        break;
      case 'tool_call': {
        const echoed = echoedItems(message);
        if (echoed) input.push(...echoed);
        else {
          if (message.content) input.push({ role: 'assistant', content: message.content });
          for (const call of message.toolCalls) {
            input.push({
              type: 'function_call',
              call_id: call.id,
              name: call.name,
              arguments: call.rawArguments ?? JSON.stringify(call.arguments),
            });
          }
        }
        break;
      }
      case 'tool':
        input.push({ type: 'function_call_output', call_id: message.toolCallId ?? '', output: message.content });
        break;
    }
  }
  return input;
}

function hostedToolSpecs(model: string, hosted: HostedTools | undefined, options: ResponsesInvokerOptions): Tool[] {
  if (!hosted) return [];
  const card = findModelCard(model);
  const require = (feature: 'mcp' | 'webSearch' | 'computerUse', what: string) => {
    if (card && card.features[feature] !== true) {
      throw new InvalidArgumentError(
        `The prompt turns on ${what}, but model "${model}" does not support it (its model card lacks features.${feature}). Use a model that has it, or turn it off in the prompt.`,
        { argument: 'hostedTools' },
      );
    }
  };
  const tools: Tool[] = [];
  for (const server of hosted.mcpServers) {
    require('mcp', `the hosted MCP server "${server.label}"`);
    tools.push({
      type: 'mcp',
      server_label: server.label,
      server_url: server.url,
      require_approval: (server.requireApproval ?? 'never') as 'never',
      ...(server.allowedTools ? { allowed_tools: [...server.allowedTools] } : {}),
      ...(server.headers ? { headers: { ...server.headers } } : {}),
      ...(server.description ? { server_description: server.description } : {}),
    } as Tool);
  }
  if (hosted.webSearch) {
    require('webSearch', 'web search');
    tools.push({ type: options.webSearchTool ?? 'web_search' } as Tool);
  }
  if (hosted.computerUse) {
    require('computerUse', 'computer use');
    tools.push({
      type: 'computer_use_preview',
      display_width: hosted.computerUse.displayWidth,
      display_height: hosted.computerUse.displayHeight,
      environment: hosted.computerUse.environment,
    } as Tool);
  }
  return tools;
}

/** The Responses API request body for an `InvokeRequest` (without `stream`). */
export function toResponsesRequest(request: InvokeRequest, options: ResponsesInvokerOptions = {}): ResponseCreateParamsNonStreaming {
  const card = findModelCard(request.model);
  const args: JsonRecord = { ...request.modelArgs };
  if (card) assertModelArguments(card, args);
  const limit = args.max_output_tokens ?? args.max_completion_tokens ?? args.max_tokens;
  delete args.max_completion_tokens;
  delete args.max_tokens;
  if (limit !== undefined) args.max_output_tokens = limit;
  const tools: Tool[] = [
    ...request.tools.map(
      (tool) =>
        ({
          type: 'function',
          name: tool.name,
          description: tool.description,
          parameters: tool.parameters,
          strict: tool.strict ?? false,
        }) as Tool,
    ),
    ...hostedToolSpecs(request.model, request.hostedTools, options),
  ];
  const body: JsonRecord = { ...args, model: request.model, input: toResponsesInput(request.messages) };
  if (tools.length > 0) body.tools = tools;
  if (request.format) {
    body.text = {
      format: {
        type: 'json_schema',
        name: request.format.name,
        schema: request.format.schema,
        strict: request.format.strict,
        ...(request.format.description ? { description: request.format.description } : {}),
      },
    };
  }
  return body as unknown as ResponseCreateParamsNonStreaming;
}

/** Responses usage → core usage (input excludes cached tokens). */
export function toResponsesUsage(usage: Response['usage'] | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  const cached = usage.input_tokens_details?.cached_tokens ?? 0;
  const reasoning = usage.output_tokens_details?.reasoning_tokens ?? 0;
  return {
    inputTokens: usage.input_tokens - cached,
    outputTokens: usage.output_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

/** A Responses API reply → an `InvokeResult`. Refusals and failed responses are `ProviderError`s. */
export function fromResponse(response: Response, provider = 'openai-responses'): InvokeResult {
  if (response.status === 'failed' || response.error) {
    const detail = response.error ? `${response.error.code}: ${response.error.message}` : 'the response failed';
    throw new ProviderError(`${provider}: ${detail}`, { kind: 'server', provider, body: response });
  }
  let content = '';
  const logprobs: TokenLogprob[] = [];
  const toolCalls: RawToolCall[] = [];
  const computerCalls: JsonRecord[] = [];
  for (const item of response.output ?? []) {
    if (item.type === 'message') {
      for (const part of item.content) {
        if (part.type === 'output_text') {
          content += part.text;
          for (const entry of part.logprobs ?? []) {
            logprobs.push({
              token: entry.token,
              logprob: entry.logprob,
              bytes: entry.bytes ?? null,
              topLogprobs: (entry.top_logprobs ?? []).map((top) => ({ token: top.token, logprob: top.logprob, bytes: top.bytes ?? null })),
            });
          }
        } else if (part.type === 'refusal') {
          throw new ProviderError(`${provider}: the model refused: ${part.refusal}`, {
            kind: 'refusal',
            isRetryable: false,
            provider,
            body: response,
          });
        }
      }
    } else if (item.type === 'function_call') {
      toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
    } else if (item.type === 'computer_call') {
      computerCalls.push(item as unknown as JsonRecord);
    }
  }
  const incomplete = response.status === 'incomplete' ? response.incomplete_details?.reason : undefined;
  const finishReason: FinishReason =
    incomplete === 'max_output_tokens'
      ? 'length'
      : incomplete === 'content_filter'
        ? 'content_filter'
        : toolCalls.length > 0 || computerCalls.length > 0
          ? 'tool_calls'
          : 'stop';
  return {
    content,
    toolCalls,
    usage: toResponsesUsage(response.usage),
    logprobs: logprobs.length > 0 ? logprobs : undefined,
    raw: response,
    finishReason,
    model: response.model,
    extra: { responseId: response.id, ...(computerCalls.length > 0 ? { computerCalls } : {}) },
  };
}

/** An `Invoker` for the Responses API. */
export function createResponsesInvoker(resolveClient: ClientResolver, options: ResponsesInvokerOptions = {}): Invoker {
  const name = options.name ?? 'openai-responses';
  return {
    name,
    async invoke(request, signal) {
      const body = toResponsesRequest(request, options);
      const client = resolveClient(request.model);
      try {
        if (!request.stream) return fromResponse(await client.responses.create(body, { signal }), name);
        const stream = await client.responses.create({ ...body, stream: true }, { signal });
        let completed: Response | undefined;
        for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
          if (event.type === 'response.output_text.delta') request.onEvent?.({ type: 'text-delta', text: event.delta });
          else if (event.type === 'response.reasoning_summary_text.delta')
            request.onEvent?.({ type: 'reasoning-delta', text: event.delta });
          else if (event.type === 'response.function_call_arguments.delta') {
            request.onEvent?.({ type: 'tool-call-delta', index: event.output_index, argumentsDelta: event.delta });
          } else if (event.type === 'response.completed' || event.type === 'response.incomplete' || event.type === 'response.failed') {
            completed = event.response;
          } else if (event.type === 'error') {
            throw new ProviderError(`${name}: stream error ${event.code ?? ''}: ${event.message}`, {
              kind: 'server',
              provider: name,
              body: event,
            });
          }
        }
        if (!completed) {
          throw new ProviderError(`${name}: the stream ended before the response completed.`, {
            kind: 'invalid_response',
            isRetryable: true,
            provider: name,
          });
        }
        return fromResponse(completed, name);
      } catch (error) {
        throw toProviderError(error, name);
      }
    },
  };
}
