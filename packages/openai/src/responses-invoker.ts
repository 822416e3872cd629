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
  throwIfAborted,
  type Usage,
} from '@lllm/core';
import { WireReader } from '@lllm/core/utils';
import type {
  Response,
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
  Tool,
} from 'openai/resources/responses/responses';
import { type ClientResolver, requestOptions } from './chat-invoker.js';
import { toProviderError } from './errors.js';

/** A hosted MCP tool call the model wants to make, waiting for approval (an `mcp_approval_request` item). */
export interface McpApprovalRequest {
  /** The approval request's id, answered as `approval_request_id`. */
  readonly id: string;
  /** The `server_label` of the hosted MCP server. */
  readonly serverLabel: string;
  /** The tool the model wants to run. */
  readonly name: string;
  /** The tool's arguments: the JSON text exactly as the model wrote it. */
  readonly arguments: string;
}

/**
 * Decides whether a hosted MCP tool call may run: `true` approves, `false` denies (the model is told
 * and carries on without it). `signal` aborts with the agent call.
 */
export type McpApprovalPolicy = (request: McpApprovalRequest, context: { readonly signal: AbortSignal }) => boolean | Promise<boolean>;

/** A decision taken by the approval policy, as kept in the result's `extra.mcpApprovals`. */
export interface McpApprovalDecision extends McpApprovalRequest {
  /** Whether the call was approved. */
  readonly approved: boolean;
}

/** A hosted MCP tool call the provider ran (an `mcp_call` item), as kept in the result's `extra.mcpCalls`. */
export interface McpCallSummary {
  /** The item's id. */
  readonly id: string;
  /** The `server_label` of the hosted MCP server. */
  readonly serverLabel: string;
  /** The tool that ran. */
  readonly name: string;
  /** The arguments it ran with: the JSON text exactly as sent. */
  readonly arguments: string;
  /** What the tool returned, when it returned something. */
  readonly output?: string;
  /** What went wrong, when the call failed. */
  readonly error?: string;
  /** The approval request this call answered, when it needed approval. */
  readonly approvalRequestId?: string;
}

/** Options of a Responses API invoker. */
export interface ResponsesInvokerOptions {
  /** Label for logs and errors (default `openai-responses`). */
  readonly name?: string;
  /** `web_search` (default) or the older `web_search_preview`. */
  readonly webSearchTool?: 'web_search' | 'web_search_preview';
  /**
   * Approves or denies hosted MCP tool calls of servers whose `requireApproval` is not `'never'`.
   * Each decision goes back as an `mcp_approval_response` in a follow-up request, until the reply
   * asks for no more approvals. Without it, a reply that asks for approval is a `ProviderError`
   * (`kind: 'invalid_response'`) naming the server and the tool.
   */
  readonly onMcpApproval?: McpApprovalPolicy;
  /** At most this many follow-up requests answer approvals in one `invoke` (default 8); then a `ProviderError`. */
  readonly maxMcpApprovalRounds?: number;
}

type JsonRecord = Record<string, unknown>;

function isResponse(raw: unknown): raw is { output: JsonRecord[] } {
  return typeof raw === 'object' && raw !== null && Array.isArray((raw as { output?: unknown }).output);
}

/**
 * Output items sent back as input on the next request. Hosted MCP items stay in context so the model
 * remembers what the tools returned, and so the server's tool list is not fetched again.
 */
const ECHOED_TYPES = new Set([
  'reasoning',
  'message',
  'function_call',
  'mcp_list_tools',
  'mcp_call',
  'mcp_approval_request',
  'mcp_approval_response',
]);

function echoable(items: readonly JsonRecord[]): ResponseInputItem[] {
  return items.filter((item) => ECHOED_TYPES.has(String(item.type))) as unknown as ResponseInputItem[];
}

/**
 * Output items of an earlier reply to send back as input (reasoning items with their encrypted
 * content, messages, function calls, hosted MCP items), exactly as the API returned them.
 */
function echoedItems(message: Message): ResponseInputItem[] | undefined {
  if (!isResponse(message.raw)) return undefined;
  const items = echoable(message.raw.output);
  return items.length > 0 ? items : undefined;
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

/**
 * Responses usage → core usage (input excludes cached tokens). Counts that are missing, negative or
 * not whole numbers are an `invalid_response` `ProviderError`: never a NaN or negative cost.
 */
export function toResponsesUsage(
  usage: Response['usage'] | null | undefined,
  reader = new WireReader('openai-responses', usage),
): Usage | undefined {
  if (usage === undefined || usage === null) return undefined;
  const record = reader.record(usage, 'usage');
  const input = reader.count(record.input_tokens, 'usage.input_tokens');
  const output = reader.count(record.output_tokens, 'usage.output_tokens');
  const inputDetails = record.input_tokens_details == null ? {} : reader.record(record.input_tokens_details, 'usage.input_tokens_details');
  const outputDetails =
    record.output_tokens_details == null ? {} : reader.record(record.output_tokens_details, 'usage.output_tokens_details');
  const cached = reader.optionalCount(inputDetails.cached_tokens, 'usage.input_tokens_details.cached_tokens') ?? 0;
  const reasoning = reader.optionalCount(outputDetails.reasoning_tokens, 'usage.output_tokens_details.reasoning_tokens') ?? 0;
  if (cached > input) reader.fail('usage.input_tokens_details.cached_tokens', `at most input_tokens (${input})`, cached);
  return {
    inputTokens: input - cached,
    outputTokens: output,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

/** What one response's output items say. */
interface ResponseReading {
  content: string;
  logprobs: TokenLogprob[];
  toolCalls: RawToolCall[];
  computerCalls: JsonRecord[];
  mcpCalls: McpCallSummary[];
  approvalRequests: McpApprovalRequest[];
}

function mcpErrorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const { type, message, code } = error as { type?: unknown; message?: unknown; code?: unknown };
    if (typeof message === 'string') {
      const label = [type, code].filter((part) => part !== undefined && part !== null).join(' ');
      return label ? `${label}: ${message}` : message;
    }
  }
  return JSON.stringify(error);
}

/** Check the field types of a response's output items (what `readResponse` relies on). */
function checkResponse(response: Response, reader: WireReader): void {
  const body = reader.record(response, 'the reply');
  reader.optionalString(body.status, 'status');
  reader.optionalString(body.model, 'model');
  for (const [index, value] of reader.array(body.output, 'output').entries()) {
    const path = `output[${index}]`;
    const item = reader.record(value, path);
    const type = reader.string(item.type, `${path}.type`);
    if (type === 'message') {
      for (const [partIndex, partValue] of reader.array(item.content, `${path}.content`).entries()) {
        const part = reader.record(partValue, `${path}.content[${partIndex}]`);
        if (part.type === 'output_text') {
          reader.string(part.text, `${path}.content[${partIndex}].text`);
          for (const [entryIndex, entry] of reader.array(part.logprobs, `${path}.content[${partIndex}].logprobs`, true).entries()) {
            const record = reader.record(entry, `${path}.content[${partIndex}].logprobs[${entryIndex}]`);
            reader.string(record.token, `${path}.content[${partIndex}].logprobs[${entryIndex}].token`);
            reader.number(record.logprob, `${path}.content[${partIndex}].logprobs[${entryIndex}].logprob`);
          }
        } else if (part.type === 'refusal') reader.string(part.refusal, `${path}.content[${partIndex}].refusal`);
      }
    } else if (type === 'function_call') {
      reader.string(item.call_id, `${path}.call_id`);
      if (reader.string(item.name, `${path}.name`) === '') reader.fail(`${path}.name`, 'a function name', item.name);
      // Arguments are JSON *text*; an object here is a malformed reply, not arguments to guess at.
      reader.string(item.arguments, `${path}.arguments`);
    } else if (type === 'mcp_call' || type === 'mcp_approval_request') {
      reader.string(item.id, `${path}.id`);
      reader.string(item.server_label, `${path}.server_label`);
      reader.string(item.name, `${path}.name`);
      reader.string(item.arguments, `${path}.arguments`);
    }
  }
}

/**
 * Read one response's output items. Failed responses and refusals are `ProviderError`s; fields of the
 * wrong type are `invalid_response` (transient).
 */
function readResponse(response: Response, provider: string): ResponseReading {
  checkResponse(response, new WireReader(provider, response));
  if (response.status === 'failed' || response.error) {
    const detail = response.error ? `${response.error.code}: ${response.error.message}` : 'the response failed';
    throw new ProviderError(`${provider}: ${detail}`, { kind: 'server', provider, body: response });
  }
  const reading: ResponseReading = { content: '', logprobs: [], toolCalls: [], computerCalls: [], mcpCalls: [], approvalRequests: [] };
  for (const item of response.output ?? []) {
    if (item.type === 'message') {
      for (const part of item.content) {
        if (part.type === 'output_text') {
          reading.content += part.text;
          for (const entry of part.logprobs ?? []) {
            reading.logprobs.push({
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
      reading.toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
    } else if (item.type === 'computer_call') {
      reading.computerCalls.push(item as unknown as JsonRecord);
    } else if (item.type === 'mcp_call') {
      const error: unknown = item.error;
      reading.mcpCalls.push({
        id: item.id,
        serverLabel: item.server_label,
        name: item.name,
        arguments: item.arguments,
        ...(typeof item.output === 'string' ? { output: item.output } : {}),
        ...(error === undefined || error === null ? {} : { error: mcpErrorText(error) }),
        ...(item.approval_request_id ? { approvalRequestId: item.approval_request_id } : {}),
      });
    } else if (item.type === 'mcp_approval_request') {
      reading.approvalRequests.push({ id: item.id, serverLabel: item.server_label, name: item.name, arguments: item.arguments });
    }
  }
  return reading;
}

function describeRequests(requests: readonly McpApprovalRequest[]): string {
  return requests.map((request) => `"${request.name}" on the hosted MCP server "${request.serverLabel}"`).join(', ');
}

function unapprovedError(requests: readonly McpApprovalRequest[], provider: string, response: Response): ProviderError {
  return new ProviderError(
    `${provider}: the model asked to run ${describeRequests(requests)}, which needs approval, but no approval policy is set. Pass onMcpApproval to the Responses invoker (e.g. createOpenAI().responses({ onMcpApproval })), or set requireApproval: 'never' on the server in the prompt if you trust it.`,
    { kind: 'invalid_response', isRetryable: false, provider, body: response },
  );
}

function addUsage(total: Usage | undefined, next: Usage | undefined): Usage | undefined {
  if (!total || !next) return total ?? next;
  const sum = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  const cached = sum(total.cachedInputTokens, next.cachedInputTokens);
  const reasoning = sum(total.reasoningTokens, next.reasoningTokens);
  return {
    inputTokens: total.inputTokens + next.inputTokens,
    outputTokens: total.outputTokens + next.outputTokens,
    ...(cached === undefined ? {} : { cachedInputTokens: cached }),
    ...(reasoning === undefined ? {} : { reasoningTokens: reasoning }),
  };
}

/** One request/response exchange of an `invoke`, with the approval decisions sent after it. */
interface Round {
  readonly response: Response;
  readonly reading: ResponseReading;
  readonly decisions: readonly McpApprovalDecision[];
}

function approvalResponses(decisions: readonly McpApprovalDecision[]): JsonRecord[] {
  return decisions.map((decision) => ({ type: 'mcp_approval_response', approval_request_id: decision.id, approve: decision.approved }));
}

/**
 * The rounds of one `invoke` → an `InvokeResult`. Text and logprobs of every round, in order; usage
 * summed (every round is billed); the finish reason and tool calls of the last round. When approvals
 * were answered, `raw` is the last response with `output` holding every round's output items and the
 * `mcp_approval_response` items sent after them, in order: the log shows the whole exchange, and the
 * next request echoes it back.
 */
function toInvokeResult(rounds: readonly Round[], provider: string): InvokeResult {
  const last = rounds.at(-1) as Round;
  const { response } = last;
  const readings = rounds.map((round) => round.reading);
  const logprobs = readings.flatMap((reading) => reading.logprobs);
  const mcpCalls = readings.flatMap((reading) => reading.mcpCalls);
  const decisions = rounds.flatMap((round) => round.decisions);
  const { toolCalls, computerCalls } = last.reading;
  const incomplete = response.status === 'incomplete' ? response.incomplete_details?.reason : undefined;
  const finishReason: FinishReason =
    incomplete === 'max_output_tokens'
      ? 'length'
      : incomplete === 'content_filter'
        ? 'content_filter'
        : toolCalls.length > 0 || computerCalls.length > 0
          ? 'tool_calls'
          : 'stop';
  const raw =
    decisions.length === 0
      ? response
      : {
          ...response,
          output: rounds.flatMap((round) => [
            ...((round.response.output ?? []) as unknown as JsonRecord[]),
            ...approvalResponses(round.decisions),
          ]),
        };
  return {
    content: readings.map((reading) => reading.content).join(''),
    toolCalls,
    usage: rounds.reduce<Usage | undefined>(
      (total, round) => addUsage(total, toResponsesUsage(round.response.usage, new WireReader(provider, round.response))),
      undefined,
    ),
    logprobs: logprobs.length > 0 ? logprobs : undefined,
    raw,
    finishReason,
    model: response.model,
    extra: {
      responseId: response.id,
      ...(rounds.length > 1 ? { responseIds: rounds.map((round) => round.response.id) } : {}),
      ...(computerCalls.length > 0 ? { computerCalls } : {}),
      ...(mcpCalls.length > 0 ? { mcpCalls } : {}),
      ...(decisions.length > 0 ? { mcpApprovals: decisions } : {}),
    },
  };
}

/**
 * A Responses API reply → an `InvokeResult`. Refusals and failed responses are `ProviderError`s, and
 * so is a reply asking to approve hosted MCP tool calls (only the invoker, with `onMcpApproval`, can
 * answer those). Hosted MCP calls the provider ran are summarised in `extra.mcpCalls`.
 */
export function fromResponse(response: Response, provider = 'openai-responses'): InvokeResult {
  const reading = readResponse(response, provider);
  if (reading.approvalRequests.length > 0) throw unapprovedError(reading.approvalRequests, provider, response);
  return toInvokeResult([{ response, reading, decisions: [] }], provider);
}

/** Stream events that say the response exists, not that output is coming (see `InvokeRequest.onActivity`). */
const LIFECYCLE_EVENTS = new Set<string>(['response.created', 'response.in_progress', 'response.queued']);

/** An `Invoker` for the Responses API. */
export function createResponsesInvoker(resolveClient: ClientResolver, options: ResponsesInvokerOptions = {}): Invoker {
  const name = options.name ?? 'openai-responses';
  const maxRounds = options.maxMcpApprovalRounds ?? 8;

  const send = async (request: InvokeRequest, body: ResponseCreateParamsNonStreaming, signal: AbortSignal): Promise<Response> => {
    const client = resolveClient(request.model);
    try {
      if (!request.stream) return await client.responses.create(body, requestOptions(client, signal));
      const stream = await client.responses.create({ ...body, stream: true }, { signal });
      let completed: Response | undefined;
      const reader = new WireReader(name, undefined);
      for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
        reader.record(event, 'stream event');
        // Lifecycle events come at once, before a reasoning model thinks in silence: only output counts as the reply under way.
        if (!LIFECYCLE_EVENTS.has(event.type)) request.onActivity?.();
        if ('delta' in event && typeof event.delta !== 'string')
          reader.fail(`stream event ${String(event.type)}.delta`, 'a string', event.delta);
        if (event.type === 'response.output_text.delta') request.onEvent?.({ type: 'text-delta', text: event.delta });
        else if (event.type === 'response.reasoning_summary_text.delta') request.onEvent?.({ type: 'reasoning-delta', text: event.delta });
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
      return completed;
    } catch (error) {
      throw toProviderError(error, name);
    }
  };

  return {
    name,
    async invoke(request, signal) {
      let body = toResponsesRequest(request, options);
      const rounds: Round[] = [];
      for (;;) {
        const response = await send(request, body, signal);
        const reading = readResponse(response, name);
        const requests = reading.approvalRequests;
        if (requests.length === 0) {
          rounds.push({ response, reading, decisions: [] });
          return toInvokeResult(rounds, name);
        }
        const policy = options.onMcpApproval;
        if (!policy) throw unapprovedError(requests, name, response);
        if (rounds.length >= maxRounds) {
          throw new ProviderError(
            `${name}: hosted MCP approvals did not settle after ${maxRounds} follow-up requests (maxMcpApprovalRounds): the last reply still asks to run ${describeRequests(requests)}. Raise maxMcpApprovalRounds, or set requireApproval: 'never' for tools you trust.`,
            { kind: 'invalid_response', isRetryable: false, provider: name, body: response },
          );
        }
        // The policy's own errors are the caller's, not transient provider faults: they pass through as thrown.
        const decisions: McpApprovalDecision[] = [];
        for (const approval of requests) {
          throwIfAborted(signal);
          decisions.push({ ...approval, approved: (await policy(approval, { signal })) === true });
        }
        rounds.push({ response, reading, decisions });
        // Function or computer calls need the agent's answers first: the decisions travel with the next turn's input.
        if (reading.toolCalls.length > 0 || reading.computerCalls.length > 0) return toInvokeResult(rounds, name);
        // The conversation is stateless (input items are re-sent), so the follow-up repeats the input, adds this reply's items and the answers.
        body = {
          ...body,
          input: [
            ...(body.input as ResponseInputItem[]),
            ...echoable((response.output ?? []) as unknown as JsonRecord[]),
            ...(approvalResponses(decisions) as unknown as ResponseInputItem[]),
          ],
        };
      }
    },
  };
}
