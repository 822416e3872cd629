import { type ModelCard, registerModelCards } from '@lllm/core';

// Prices in US dollars per 1M tokens from Anthropic's public pricing (2025): input, output, prompt
// cache reads (cachedInput) and 5-minute cache writes (cacheWrite, 1.25 × input).
// Message Batches bill every token kind (input, output, cache reads and writes) at half price.
const BATCH_DISCOUNT = 0.5;
const features = { tools: true, structuredOutput: true, vision: true, streaming: true, promptCaching: true } as const;
const reasoning = { ...features, reasoning: true } as const;
const ranges = { ranges: { temperature: [0, 1], top_p: [0, 1] } } as const;

function card(
  name: string,
  snapshots: string[],
  prices: [number, number],
  maxOutputTokens: number,
  extra: Partial<ModelCard> = {},
): ModelCard {
  const [input, output] = prices;
  return {
    name,
    provider: 'anthropic',
    snapshots,
    features,
    contextWindow: 200_000,
    maxOutputTokens,
    pricing: { input, output, cachedInput: input / 10, cacheWrite: input * 1.25, batchDiscount: BATCH_DISCOUNT },
    argumentRules: ranges,
    ...extra,
  };
}

/** Anthropic's current and recent models. */
export const ANTHROPIC_MODEL_CARDS: readonly ModelCard[] = [
  // The Claude models the Python LLLM's HEAD names (README, examples, tests): prices, context and
  // output limits from platform.claude.com/docs/en/models/{opus,sonnet}-4-6 (read November 2026).
  card('claude-opus-4-6', [], [5, 25], 128_000, { features: reasoning, contextWindow: 1_000_000 }),
  card('claude-sonnet-4-6', [], [3, 15], 128_000, { features: reasoning, contextWindow: 1_000_000 }),
  card('claude-opus-4-5', ['claude-opus-4-5-20251101'], [5, 25], 64_000, { features: reasoning }),
  card('claude-opus-4-1', ['claude-opus-4-1-20250805'], [15, 75], 32_000, { features: reasoning }),
  card('claude-opus-4-0', ['claude-opus-4-20250514', 'claude-opus-4'], [15, 75], 32_000, { features: reasoning }),
  card('claude-sonnet-4-5', ['claude-sonnet-4-5-20250929'], [3, 15], 64_000, { features: reasoning }),
  card('claude-sonnet-4-0', ['claude-sonnet-4-20250514', 'claude-sonnet-4'], [3, 15], 64_000, { features: reasoning }),
  card('claude-3-7-sonnet-latest', ['claude-3-7-sonnet-20250219'], [3, 15], 64_000, { features: reasoning }),
  card('claude-haiku-4-5', ['claude-haiku-4-5-20251001'], [1, 5], 64_000, { features: reasoning }),
  card('claude-3-5-sonnet-latest', ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-20240620', 'claude-3-5-sonnet'], [3, 15], 8_192),
  card('claude-3-5-haiku-latest', ['claude-3-5-haiku-20241022'], [0.8, 4], 8_192),
  card('claude-3-opus-latest', ['claude-3-opus-20240229'], [15, 75], 4_096),
  card('claude-3-haiku-20240307', ['claude-3-haiku'], [0.25, 1.25], 4_096),
];

let registered = false;

/** Register the Anthropic cards with core (idempotent; `createAnthropic()` calls it). */
export function registerAnthropicModelCards(): void {
  if (registered) return;
  registered = true;
  registerModelCards(ANTHROPIC_MODEL_CARDS);
}
