// What the loop reads from a Responses API reply: its text, and the tokens and price of it.
import { type Cost, costOf, type Usage } from '@lllm/core';

/** `value` when it is a plain object, else an empty one: wire payloads are read field by field, never trusted. */
export function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The tokens and price of one model response (failed responses that were billed included). */
export interface ComputerUseStepCost {
  /** The step (1-based) the response was for. */
  readonly step: number;
  readonly responseId: string;
  /** The model that answered, as the response names it (the agent's model when it does not); it prices the usage. */
  readonly model: string;
  /** As the Responses API reported it; `inputTokens` excludes cached tokens. Absent when the response had none. */
  readonly usage: Usage | undefined;
  /** `costOf(model, usage)`: `known: false` when the model has no card with pricing. */
  readonly cost: Cost;
}

/** Responses `usage` → core usage (input excludes cached tokens), as the openai Responses invoker maps it. */
function responseUsage(value: unknown): Usage | undefined {
  const usage = record(value);
  const input = count(usage.input_tokens);
  const output = count(usage.output_tokens);
  if (input === undefined || output === undefined) return undefined;
  const cached = count(record(usage.input_tokens_details).cached_tokens) ?? 0;
  const reasoning = count(record(usage.output_tokens_details).reasoning_tokens) ?? 0;
  return {
    inputTokens: input - cached,
    outputTokens: output,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(reasoning ? { reasoningTokens: reasoning } : {}),
  };
}

/** What a response for `step` used and cost, priced as the model it names (else `fallbackModel`). */
export function stepCost(step: number, response: Record<string, unknown>, fallbackModel: string): ComputerUseStepCost {
  const model = typeof response.model === 'string' && response.model ? response.model : fallbackModel;
  const usage = responseUsage(response.usage);
  return { step, responseId: String(response.id ?? ''), model, usage, cost: costOf(model, usage) };
}

/** The tokens of every step, summed. */
export function totalUsage(
  steps: readonly ComputerUseStepCost[],
): Required<Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'reasoningTokens'>> {
  const total = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, reasoningTokens: 0 };
  for (const { usage } of steps) {
    if (!usage) continue;
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    total.cachedInputTokens += usage.cachedInputTokens ?? 0;
    total.reasoningTokens += usage.reasoningTokens ?? 0;
  }
  return total;
}

/** The text of a response's `message` items (refusals included), one per line. */
export function outputText(items: readonly unknown[]): string {
  const texts: string[] = [];
  for (const item of items) {
    const raw = record(item);
    if (raw.type !== 'message' || !Array.isArray(raw.content)) continue;
    for (const part of raw.content) {
      const content = record(part);
      if (content.type === 'output_text' && typeof content.text === 'string') texts.push(content.text);
      if (content.type === 'refusal' && typeof content.refusal === 'string') texts.push(content.refusal);
    }
  }
  return texts.join('\n');
}
