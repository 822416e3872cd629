// OpenAI Responses API bodies in the documented wire shapes: the `response` object, its output items
// (message, function_call, reasoning, hosted MCP items) and the typed streaming events. Written by this
// project from the API reference: no recorded payload is copied here.
import type { ScriptedResponse, SseEvent } from '../wire-server.js';
import { obfuscation, splitEvenly, splitWords } from './openai-chat.js';

/** An output item of a `response` (`output[]`). */
export type ResponseItem = Record<string, unknown> & { readonly type: string };

/** Token counts of a Responses API reply. */
export interface ResponseUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  /** Part of `input_tokens` read from the prompt cache. */
  readonly cached_tokens?: number;
  /** Part of `output_tokens` spent on reasoning. */
  readonly reasoning_tokens?: number;
}

/** One token's log probability on an `output_text` part. */
export interface ResponseTokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
  readonly top_logprobs: { readonly token: string; readonly logprob: number; readonly bytes: number[] }[];
}

/** What a `response` holds; everything else takes realistic defaults. */
export interface ResponseSpec {
  readonly id?: string;
  readonly model?: string;
  readonly createdAt?: number;
  readonly output: readonly ResponseItem[];
  readonly usage?: ResponseUsage;
  readonly status?: 'completed' | 'incomplete' | 'failed' | 'in_progress';
  /** With `status: 'incomplete'`: why (`max_output_tokens`, `content_filter`). */
  readonly incompleteReason?: string;
  readonly tools?: readonly Record<string, unknown>[];
}

/** The `usage` object of a `response`. */
export function responseUsage(usage: ResponseUsage): Record<string, unknown> {
  return {
    input_tokens: usage.input_tokens,
    input_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
    output_tokens: usage.output_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 },
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}

/** A `response` object. */
export function responseBody(spec: ResponseSpec): Record<string, unknown> {
  const status = spec.status ?? 'completed';
  return {
    id: spec.id ?? 'resp_lllm000000000000000000000001',
    object: 'response',
    created_at: spec.createdAt ?? 1_761_000_000,
    status,
    background: false,
    billing: { payer: 'developer' },
    error: null,
    incomplete_details: status === 'incomplete' ? { reason: spec.incompleteReason ?? 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: null,
    max_tool_calls: null,
    model: spec.model ?? 'gpt-4.1-2025-04-14',
    output: spec.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    prompt_cache_key: null,
    prompt_cache_retention: null,
    reasoning: { effort: null, summary: null },
    safety_identifier: null,
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: spec.tools ?? [],
    top_logprobs: 0,
    top_p: 1,
    truncation: 'disabled',
    usage: status === 'in_progress' ? null : responseUsage(spec.usage ?? { input_tokens: 20, output_tokens: 5 }),
    user: null,
    metadata: {},
  };
}

/** A scripted JSON response holding a `response` object. */
export function responseReply(spec: ResponseSpec): ScriptedResponse {
  return { json: responseBody(spec) };
}

/** An assistant `message` item with one `output_text` part. */
export function outputMessage(text: string, options: { id?: string; logprobs?: readonly ResponseTokenLogprob[] } = {}): ResponseItem {
  return {
    type: 'message',
    id: options.id ?? 'msg_lllm0001',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: options.logprobs ?? [] }],
  };
}

/** A `function_call` item (the model asks to run a function; `call_id` keys the answer). */
export function functionCall(call: { callId: string; name: string; arguments: string; id?: string }): ResponseItem {
  return {
    type: 'function_call',
    id: call.id ?? `fc_${call.callId.replace(/^call_/, '')}`,
    call_id: call.callId,
    name: call.name,
    arguments: call.arguments,
    status: 'completed',
  };
}

/** A `reasoning` item, with summary parts and (with `include: ['reasoning.encrypted_content']`) its encrypted state. */
export function reasoningItem(options: { id?: string; summary?: readonly string[]; encryptedContent?: string } = {}): ResponseItem {
  return {
    type: 'reasoning',
    id: options.id ?? 'rs_lllm0001',
    summary: (options.summary ?? []).map((text) => ({ type: 'summary_text', text })),
    ...(options.encryptedContent === undefined ? {} : { encrypted_content: options.encryptedContent }),
  };
}

/** An `mcp_list_tools` item: the tools a hosted MCP server offers. */
export function mcpListTools(
  serverLabel: string,
  tools: readonly { name: string; description?: string; input_schema: unknown }[],
  id = 'mcpl_lllm0001',
): ResponseItem {
  return {
    type: 'mcp_list_tools',
    id,
    server_label: serverLabel,
    tools: tools.map((tool) => ({ annotations: null, description: null, ...tool })),
    error: null,
  };
}

/** An `mcp_approval_request` item: the model wants to call a hosted MCP tool and needs an approval. */
export function mcpApprovalRequest(request: { id: string; serverLabel: string; name: string; arguments: string }): ResponseItem {
  return {
    type: 'mcp_approval_request',
    id: request.id,
    server_label: request.serverLabel,
    name: request.name,
    arguments: request.arguments,
  };
}

/** An `mcp_call` item: a hosted MCP tool call the provider ran, with its output or error. */
export function mcpCall(call: {
  id: string;
  serverLabel: string;
  name: string;
  arguments: string;
  output?: string | null;
  error?: string | null;
  status?: 'completed' | 'failed' | 'in_progress';
  approvalRequestId?: string | null;
}): ResponseItem {
  return {
    type: 'mcp_call',
    id: call.id,
    server_label: call.serverLabel,
    name: call.name,
    arguments: call.arguments,
    output: call.output ?? null,
    error: call.error ?? null,
    status: call.status ?? 'completed',
    approval_request_id: call.approvalRequestId ?? null,
  };
}

/** Log probabilities for `tokens` on an `output_text` part, each with `alternatives` top entries. */
export function responseTokenLogprobs(tokens: readonly string[], alternatives = 1): ResponseTokenLogprob[] {
  return tokens.map((token, index) => {
    const bytes = [...Buffer.from(token, 'utf8')];
    const logprob = -0.002 * (index + 1);
    const others = Array.from({ length: Math.max(0, alternatives - 1) }, (_, rank) => ({
      token: `${token}~${rank + 1}`,
      logprob: -3 - rank,
      bytes: [...Buffer.from(`${token}~${rank + 1}`, 'utf8')],
    }));
    return { token, logprob, bytes, top_logprobs: alternatives > 0 ? [{ token, logprob, bytes }, ...others] : [] };
  });
}

/**
 * The typed streaming events of `spec` as the API sends them with `stream: true`: `response.created`,
 * `response.in_progress`, then per output item `response.output_item.added`, its deltas
 * (`response.output_text.delta` per word, `response.function_call_arguments.delta` in
 * `argumentPieces` fragments, `response.reasoning_summary_text.delta`), the matching `.done` events,
 * `response.output_item.done`, and last `response.completed` (or `.incomplete` / `.failed`) with the full object.
 */
export function responseStreamEvents(spec: ResponseSpec, options: { argumentPieces?: number } = {}): SseEvent[] {
  const events: SseEvent[] = [];
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) => {
    events.push({ event: type, data: { type, sequence_number: sequence++, ...fields } });
  };
  const final = responseBody(spec);
  const opening = { ...responseBody({ ...spec, output: [], status: 'in_progress' }) };
  emit('response.created', { response: opening });
  emit('response.in_progress', { response: opening });
  for (const [outputIndex, item] of spec.output.entries()) {
    const itemId = String(item.id ?? `item_${outputIndex}`);
    if (item.type === 'message') {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      const parts = (item.content ?? []) as { type: string; text?: string; logprobs?: ResponseTokenLogprob[] }[];
      for (const [contentIndex, part] of parts.entries()) {
        const text = part.text ?? '';
        emit('response.content_part.added', {
          item_id: itemId,
          output_index: outputIndex,
          content_index: contentIndex,
          part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
        });
        for (const piece of splitWords(text)) {
          emit('response.output_text.delta', {
            item_id: itemId,
            output_index: outputIndex,
            content_index: contentIndex,
            delta: piece,
            logprobs: [],
            obfuscation: obfuscation(piece),
          });
        }
        emit('response.output_text.done', {
          item_id: itemId,
          output_index: outputIndex,
          content_index: contentIndex,
          text,
          logprobs: part.logprobs ?? [],
        });
        emit('response.content_part.done', { item_id: itemId, output_index: outputIndex, content_index: contentIndex, part });
      }
    } else if (item.type === 'function_call') {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, arguments: '', status: 'in_progress' } });
      const argumentsText = String(item.arguments ?? '');
      for (const fragment of splitEvenly(argumentsText, options.argumentPieces ?? 3)) {
        emit('response.function_call_arguments.delta', {
          item_id: itemId,
          output_index: outputIndex,
          delta: fragment,
          obfuscation: obfuscation(fragment),
        });
      }
      emit('response.function_call_arguments.done', {
        item_id: itemId,
        output_index: outputIndex,
        name: item.name,
        arguments: argumentsText,
      });
    } else if (item.type === 'reasoning') {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } });
      const summary = (item.summary ?? []) as { type: string; text: string }[];
      for (const [summaryIndex, part] of summary.entries()) {
        const base = { item_id: itemId, output_index: outputIndex, summary_index: summaryIndex };
        emit('response.reasoning_summary_part.added', { ...base, part: { type: 'summary_text', text: '' } });
        for (const piece of splitWords(part.text)) emit('response.reasoning_summary_text.delta', { ...base, delta: piece });
        emit('response.reasoning_summary_text.done', { ...base, text: part.text });
        emit('response.reasoning_summary_part.done', { ...base, part });
      }
    } else {
      emit('response.output_item.added', { output_index: outputIndex, item });
    }
    emit('response.output_item.done', { output_index: outputIndex, item });
  }
  const status = spec.status ?? 'completed';
  emit(status === 'incomplete' ? 'response.incomplete' : status === 'failed' ? 'response.failed' : 'response.completed', {
    response: final,
  });
  return events;
}

/** A scripted SSE response streaming `spec` (the Responses API sends no `[DONE]`). */
export function responseStream(spec: ResponseSpec, options: { argumentPieces?: number } = {}): ScriptedResponse {
  return { events: responseStreamEvents(spec, options) };
}
