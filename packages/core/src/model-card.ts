import { InvalidArgumentError, NotFoundError } from './errors.js';
import type { Usage } from './message.js';
import { processRegistry } from './process-registry.js';
import { closestMatches } from './strings.js';

/** What a model can do. Invokers consult these before sending a feature the model lacks. */
export interface ModelFeatures {
  /** Function calling. */
  readonly tools?: boolean;
  /** JSON-schema structured output. */
  readonly structuredOutput?: boolean;
  /** Image input. */
  readonly vision?: boolean;
  /** `logprobs` / `top_logprobs`. */
  readonly logprobs?: boolean;
  /** A reasoning model (no forced temperature; reasoning tokens billed as output). */
  readonly reasoning?: boolean;
  /** Streaming responses. */
  readonly streaming?: boolean;
  /** Hosted web search (Responses API). */
  readonly webSearch?: boolean;
  /** Hosted computer use (Responses API). */
  readonly computerUse?: boolean;
  /** Hosted remote MCP servers (Responses API). */
  readonly mcp?: boolean;
  /** Provider-side prompt caching. */
  readonly promptCaching?: boolean;
}

/** Prices in US dollars per one million tokens. */
export interface ModelPricing {
  readonly input: number;
  readonly output: number;
  /** Price of prompt tokens read from cache; defaults to `input`. */
  readonly cachedInput?: number;
  /** Price of prompt tokens written to cache (Anthropic); defaults to `input`. */
  readonly cacheWrite?: number;
  /**
   * The share taken off every price for a request sent through the provider's batch API (usage with
   * `batch: true`): OpenAI's Batch API and Anthropic's Message Batches both document 50% off input,
   * output and cache tokens, so the default is {@link DEFAULT_BATCH_DISCOUNT}. Ignored when `batch` prices are given.
   */
  readonly batchDiscount?: number;
  /** Explicit batch prices per 1M tokens, for a provider whose batch rate is not a flat discount. */
  readonly batch?: {
    readonly input: number;
    readonly output: number;
    readonly cachedInput?: number;
    readonly cacheWrite?: number;
  };
}

/** The batch discount when a card names none: the providers' documented 50%. */
export const DEFAULT_BATCH_DISCOUNT = 0.5;

/** Constraints on model arguments, checked before a request is sent. */
export interface ModelArgumentRules {
  /** Arguments the model rejects (e.g. `temperature` on reasoning models). */
  readonly unsupported?: readonly string[];
  /** Numeric ranges, inclusive. */
  readonly ranges?: Readonly<Record<string, readonly [number, number]>>;
}

/** Everything LLLM knows about one model. */
export interface ModelCard {
  /** The canonical name, as sent to the API. */
  readonly name: string;
  /** `openai`, `anthropic`, `together`, … */
  readonly provider: string;
  /** Dated snapshots and aliases that resolve to this card. */
  readonly snapshots?: readonly string[];
  readonly features: ModelFeatures;
  /** Context window in tokens. */
  readonly contextWindow?: number;
  /** Largest completion in tokens (used as the default `max_tokens` where an API requires one). */
  readonly maxOutputTokens?: number;
  readonly pricing?: ModelPricing;
  /** An OpenAI-compatible endpoint serving this model (Together, Fireworks, …). */
  readonly baseURL?: string;
  /** The environment variable holding the key for `baseURL`. */
  readonly apiKeyEnv?: string;
  readonly argumentRules?: ModelArgumentRules;
  /** The training-data cutoff, `YYYY-MM` or `YYYY-MM-DD`. */
  readonly knowledgeCutoff?: string;
  /** The account's rate limits for this model (requests / tokens per minute): batches start within them. */
  readonly rateLimits?: { readonly requestsPerMinute?: number; readonly tokensPerMinute?: number };
}

const registry = () => processRegistry('model-cards', () => ({ cards: new Map<string, ModelCard>(), aliases: new Map<string, string>() }));

/** Add (or replace) a model card; its snapshots resolve to it too. */
export function registerModelCard(card: ModelCard): void {
  registry().cards.set(card.name, Object.freeze({ ...card }));
  for (const snapshot of card.snapshots ?? []) registry().aliases.set(snapshot, card.name);
}

/** Register several cards at once. */
export function registerModelCards(list: readonly ModelCard[]): void {
  for (const card of list) registerModelCard(card);
}

/**
 * Find a card by name or snapshot. A dated snapshot that was not registered (`gpt-4o-2025-01-01`)
 * falls back to its undated base name. Returns `undefined` for unknown models.
 */
export function findModelCard(name: string | undefined): ModelCard | undefined {
  if (!name) return undefined;
  const direct = registry().cards.get(name) ?? registry().cards.get(registry().aliases.get(name) ?? '');
  if (direct) return direct;
  const undated = name.replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-\d{8}$/, '');
  if (undated !== name) return registry().cards.get(undated) ?? registry().cards.get(registry().aliases.get(undated) ?? '');
  return undefined;
}

/** Like `findModelCard`, but an unknown model is an error listing the closest known names. */
export function getModelCard(name: string): ModelCard {
  const card = findModelCard(name);
  if (card) return card;
  const known = [...registry().cards.keys(), ...registry().aliases.keys()];
  const suggestions = closestMatches(name, known);
  throw new NotFoundError(
    `No model card for "${name}".${suggestions.length ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''} Register one with registerModelCard({ name: "${name}", … }).`,
    { what: 'model card', key: name, suggestions },
  );
}

/** All registered cards. */
export function listModelCards(): ModelCard[] {
  return [...registry().cards.values()];
}

/** A price breakdown in US dollars. `known` is false when the model or its usage is unknown. */
export interface Cost {
  readonly known: boolean;
  readonly inputUsd: number;
  readonly cachedInputUsd: number;
  readonly cacheWriteUsd: number;
  readonly outputUsd: number;
  readonly totalUsd: number;
  /** The exact total in pico-dollars (10⁻¹² USD), so sums do not drift. */
  readonly totalPicoUsd: number;
}

export const ZERO_COST: Cost = Object.freeze({
  known: true,
  inputUsd: 0,
  cachedInputUsd: 0,
  cacheWriteUsd: 0,
  outputUsd: 0,
  totalUsd: 0,
  totalPicoUsd: 0,
});

const UNKNOWN_COST: Cost = Object.freeze({ ...ZERO_COST, known: false });

// Prices have at most six decimals per million tokens, so one token costs an integer number of
// pico-dollars: price × 10⁶. Integer sums are exact where floating-point sums drift.
function picoPerToken(pricePerMillion: number): number {
  return Math.round(pricePerMillion * 1_000_000);
}

interface PicoParts {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
}

function costFromPico(parts: PicoParts, known: boolean): Cost {
  const total = parts.input + parts.cached + parts.cacheWrite + parts.output;
  return Object.freeze({
    known,
    inputUsd: parts.input / 1e12,
    cachedInputUsd: parts.cached / 1e12,
    cacheWriteUsd: parts.cacheWrite / 1e12,
    outputUsd: parts.output / 1e12,
    totalUsd: total / 1e12,
    totalPicoUsd: total,
  });
}

function isTokenCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * What is wrong with a usage record: token counts must be finite numbers >= 0 (`inputTokens` and
 * `outputTokens` present). One line per problem, empty when it is fine.
 */
export function usageProblems(usage: Usage): string[] {
  const problems: string[] = [];
  for (const key of ['inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteInputTokens', 'reasoningTokens'] as const) {
    const value: unknown = usage[key];
    const required = key === 'inputTokens' || key === 'outputTokens';
    if ((value !== undefined || required) && !isTokenCount(value)) {
      problems.push(
        `${key} must be a finite number >= 0, got ${value === undefined ? 'nothing' : typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
      );
    }
  }
  return problems;
}

/**
 * The cost of `usage` under `card`. Usage with a missing, negative or non-finite token count is not
 * priced: the cost is `known: false` (never NaN, never negative).
 */
export function priceUsage(card: ModelCard | undefined, usage: Usage | undefined): Cost {
  if (!usage) return ZERO_COST;
  if (usageProblems(usage).length > 0) return UNKNOWN_COST;
  if (!card?.pricing) return UNKNOWN_COST;
  const rates = usage.batch === true ? batchRates(card.pricing) : fullRates(card.pricing);
  if (!rates) return UNKNOWN_COST;
  return costFromPico(
    {
      input: usage.inputTokens * rates.input,
      cached: (usage.cachedInputTokens ?? 0) * rates.cached,
      cacheWrite: (usage.cacheWriteInputTokens ?? 0) * rates.cacheWrite,
      output: usage.outputTokens * rates.output,
    },
    true,
  );
}

/** Pico-dollars per token of each kind. */
type Rates = PicoParts;

function fullRates(pricing: Pick<ModelPricing, 'input' | 'output' | 'cachedInput' | 'cacheWrite'>): Rates {
  return {
    input: picoPerToken(pricing.input),
    cached: picoPerToken(pricing.cachedInput ?? pricing.input),
    cacheWrite: picoPerToken(pricing.cacheWrite ?? pricing.input),
    output: picoPerToken(pricing.output),
  };
}

// A discount that is not a share in [0, 1) cannot be priced: the cost is unknown, never negative or free by mistake.
function batchRates(pricing: ModelPricing): Rates | undefined {
  if (pricing.batch) return fullRates(pricing.batch);
  const discount = pricing.batchDiscount ?? DEFAULT_BATCH_DISCOUNT;
  if (!(Number.isFinite(discount) && discount >= 0 && discount < 1)) return undefined;
  const full = fullRates(pricing);
  // Per-token pico prices stay integers so sums stay exact (a half pico, for prices below $0.000002 per 1M, rounds up).
  const scale = (pico: number) => Math.round(pico * (1 - discount));
  return { input: scale(full.input), cached: scale(full.cached), cacheWrite: scale(full.cacheWrite), output: scale(full.output) };
}

/** The cost of `usage` for a model looked up by name. Unknown models give `known: false`, never a throw. */
export function costOf(model: string | undefined, usage: Usage | undefined): Cost {
  return priceUsage(findModelCard(model), usage);
}

/** Add costs exactly; the sum is `known` only if every part was. */
export function sumCosts(costs: Iterable<Cost>): Cost {
  let known = true;
  const parts: PicoParts = { input: 0, cached: 0, cacheWrite: 0, output: 0 };
  for (const cost of costs) {
    known &&= cost.known;
    // Every part is an integer number of pico-dollars; rounding only undoes the division.
    parts.input += Math.round(cost.inputUsd * 1e12);
    parts.cached += Math.round(cost.cachedInputUsd * 1e12);
    parts.cacheWrite += Math.round(cost.cacheWriteUsd * 1e12);
    parts.output += Math.round(cost.outputUsd * 1e12);
  }
  return costFromPico(parts, known);
}

/**
 * Check model arguments against a card: arguments the model does not support and values out of
 * range. Returns one line per problem (empty when fine).
 */
export function checkModelArguments(card: ModelCard, args: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const rules = card.argumentRules;
  for (const key of rules?.unsupported ?? []) {
    if (args[key] !== undefined) problems.push(`${key}: "${card.name}" does not accept ${key}; remove it.`);
  }
  for (const [key, [min, max]] of Object.entries(rules?.ranges ?? {})) {
    const value = args[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
      problems.push(`${key}: expected a number from ${min} to ${max} for "${card.name}", got ${JSON.stringify(value)}.`);
    }
  }
  const maxTokens = args.max_completion_tokens ?? args.max_tokens ?? args.max_output_tokens;
  if (typeof maxTokens === 'number' && card.maxOutputTokens !== undefined && maxTokens > card.maxOutputTokens) {
    problems.push(`max tokens: ${maxTokens} exceeds the ${card.maxOutputTokens}-token output limit of "${card.name}".`);
  }
  return problems;
}

/** Like `checkModelArguments`, but throws an `InvalidArgumentError` listing every problem. */
export function assertModelArguments(card: ModelCard, args: Readonly<Record<string, unknown>>): void {
  const problems = checkModelArguments(card, args);
  if (problems.length > 0) {
    throw new InvalidArgumentError(`Invalid arguments for model "${card.name}":\n${problems.map((p) => `- ${p}`).join('\n')}`, {
      argument: 'modelArgs',
    });
  }
}
