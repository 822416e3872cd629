// Anthropic Messages API bodies in the documented wire shapes: the `message` object, its content blocks
// (text, tool_use, thinking) and the streaming events. Written by this project from the API reference:
// no recorded payload is copied here.
import type { ScriptedResponse, SseEvent } from '../wire-server.js';
import { splitEvenly, splitWords } from './openai-chat.js';

/** A content block of a `message` (`content[]`). */
export type AnthropicBlock = Record<string, unknown> & { readonly type: string };

/** Token counts of a Messages API reply, including the prompt-cache counters. */
export interface AnthropicUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cache_creation_input_tokens?: number;
  readonly cache_read_input_tokens?: number;
}

/** What a `message` holds; everything else takes realistic defaults. */
export interface AnthropicMessageSpec {
  readonly id?: string;
  readonly model?: string;
  readonly content: readonly AnthropicBlock[];
  /** Defaults to `tool_use` when a block is a tool_use, else `end_turn`. */
  readonly stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';
  readonly usage?: AnthropicUsage;
}

/** A `text` block. */
export function textBlock(text: string): AnthropicBlock {
  return { type: 'text', text };
}

/** A `tool_use` block: the model calls `name` with `input`. */
export function toolUseBlock(id: string, name: string, input: Record<string, unknown> = {}): AnthropicBlock {
  return { type: 'tool_use', id, name, input };
}

/** A `thinking` block (extended thinking) with the signature that must be sent back unchanged. */
export function thinkingBlock(thinking: string, signature: string): AnthropicBlock {
  return { type: 'thinking', thinking, signature };
}

function usageBody(usage: AnthropicUsage): Record<string, unknown> {
  const created = usage.cache_creation_input_tokens ?? 0;
  return {
    input_tokens: usage.input_tokens,
    cache_creation_input_tokens: created,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
    cache_creation: { ephemeral_5m_input_tokens: created, ephemeral_1h_input_tokens: 0 },
    output_tokens: usage.output_tokens,
    service_tier: 'standard',
    inference_geo: 'not_available',
  };
}

function stopOf(spec: AnthropicMessageSpec): string {
  return spec.stopReason ?? (spec.content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn');
}

/** A `message` object. */
export function anthropicMessage(spec: AnthropicMessageSpec): Record<string, unknown> {
  return {
    id: spec.id ?? 'msg_lllm00000000000000000001',
    type: 'message',
    role: 'assistant',
    model: spec.model ?? 'claude-sonnet-4-5-20250929',
    content: spec.content,
    stop_reason: stopOf(spec),
    stop_sequence: null,
    usage: usageBody(spec.usage ?? { input_tokens: 20, output_tokens: 5 }),
  };
}

/** A scripted JSON response holding a `message`. */
export function anthropicReply(spec: AnthropicMessageSpec): ScriptedResponse {
  return { json: anthropicMessage(spec) };
}

/**
 * The streaming events of `spec` as the API sends them with `stream: true`: `message_start` (usage so
 * far), a `ping`, per block `content_block_start`, deltas (`text_delta` per word, `thinking_delta`
 * then one `signature_delta`, `input_json_delta` in `jsonPieces` fragments), `content_block_stop`,
 * then `message_delta` (stop reason, output tokens) and `message_stop`.
 */
export function anthropicStreamEvents(spec: AnthropicMessageSpec, options: { jsonPieces?: number } = {}): SseEvent[] {
  const message = anthropicMessage(spec);
  const usage = message.usage as Record<string, unknown>;
  const events: SseEvent[] = [];
  const emit = (type: string, fields: Record<string, unknown> = {}) => events.push({ event: type, data: { type, ...fields } });
  emit('message_start', {
    message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  emit('ping');
  for (const [index, block] of spec.content.entries()) {
    if (block.type === 'text') {
      emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of splitWords(String(block.text ?? '')))
        emit('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
    } else if (block.type === 'thinking') {
      emit('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
      for (const piece of splitWords(String(block.thinking ?? ''))) {
        emit('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
      }
      emit('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } });
    } else if (block.type === 'tool_use') {
      emit('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input ?? {});
      // An empty input streams as one empty fragment, as the API does.
      const fragments = json === '{}' ? [''] : splitEvenly(json, options.jsonPieces ?? 3);
      for (const fragment of fragments) emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: fragment } });
    } else {
      emit('content_block_start', { index, content_block: block });
    }
    emit('content_block_stop', { index });
  }
  emit('message_delta', { delta: { stop_reason: stopOf(spec), stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  emit('message_stop');
  return events;
}

/** A scripted SSE response streaming `spec`. */
export function anthropicStream(spec: AnthropicMessageSpec, options: { jsonPieces?: number } = {}): ScriptedResponse {
  return { events: anthropicStreamEvents(spec, options) };
}
