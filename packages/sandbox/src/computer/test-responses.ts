// Test helpers (not built): Responses API payloads for scripted computer-use runs against the local
// wire server, readers of the captured requests, and a log store that keeps what it was handed.
import { type JsonObject, type LogCollection, MemoryLogStore } from '@lllm/core';
import type { CapturedRequest } from '@lllm/test-server';
import { expect } from 'vitest';
import type { PendingSafetyCheck } from './safety-checks.js';

let responseCount = 0;

/** How many responses `response()` made so far (their ids are `resp_1`, `resp_2`, …). */
export function responsesMade(): number {
  return responseCount;
}

export function response(output: unknown[], options: { model?: string; usage?: Record<string, unknown> } = {}) {
  responseCount++;
  return {
    json: {
      id: `resp_${responseCount}`,
      object: 'response',
      created_at: 1_761_323_546,
      status: 'completed',
      model: options.model ?? 'computer-use-preview',
      output,
      usage: options.usage ?? { input_tokens: 1000, output_tokens: 20, total_tokens: 1020 },
    },
  };
}

export function failure(status: number, message: string, headers: Record<string, string> = {}) {
  return { status, headers, json: { error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error' } } };
}

/** A store that also keeps exactly what it was handed, before its own redaction. */
export class CapturingStore extends MemoryLogStore {
  readonly handed: { collection: LogCollection; session: string; data: JsonObject }[] = [];
  override write(collection: LogCollection, session: string, data: JsonObject): void {
    this.handed.push({ collection, session, data: structuredClone(data) });
    super.write(collection, session, data);
  }
}

export function computerCall(callId: string, action: unknown, checks: PendingSafetyCheck[] = [], batched = false) {
  return {
    type: 'computer_call',
    id: `cu_${callId}`,
    call_id: callId,
    ...(batched ? { actions: action } : { action }),
    pending_safety_checks: checks,
    status: 'completed',
  };
}

export function message(text: string) {
  return {
    type: 'message',
    id: `msg_${responseCount}`,
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

export const reasoning = { type: 'reasoning', id: 'rs_1', summary: [] };

export function body(request: CapturedRequest | undefined): Record<string, unknown> {
  return (request?.body ?? {}) as Record<string, unknown>;
}

export function inputOf(request: CapturedRequest | undefined): Record<string, unknown>[] {
  return body(request).input as Record<string, unknown>[];
}

export function pngFromDataUrl(url: unknown): Buffer {
  const text = String(url);
  expect(text.startsWith('data:image/png;base64,')).toBe(true);
  return Buffer.from(text.slice('data:image/png;base64,'.length), 'base64');
}
