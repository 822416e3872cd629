import { type ModelCard, registerModelCards } from '@lllm/core';

// Prices in US dollars per 1M tokens from the providers' public price lists (OpenAI API pricing,
// Together AI serverless pricing), as published in 2025. Update them here when the lists change.
// The Batch API (a JSONL file, /v1/batches) bills input and output at half the listed prices.
const BATCH_DISCOUNT = 0.5;
const chatFeatures = { tools: true, structuredOutput: true, vision: true, logprobs: true, streaming: true, promptCaching: true } as const;
const hosted = { webSearch: true, mcp: true } as const;
const reasoningRules = {
  unsupported: ['temperature', 'top_p', 'presence_penalty', 'frequency_penalty', 'logprobs', 'top_logprobs', 'logit_bias'],
} as const;
const samplingRanges = { ranges: { temperature: [0, 2], top_p: [0, 1], top_logprobs: [0, 20] } } as const;

/** OpenAI's current models. */
export const OPENAI_MODEL_CARDS: readonly ModelCard[] = [
  {
    name: 'gpt-4o',
    provider: 'openai',
    snapshots: ['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20', 'gpt-4o-2024-05-13', 'chatgpt-4o-latest'],
    features: { ...chatFeatures, ...hosted },
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    pricing: { input: 2.5, cachedInput: 1.25, output: 10, batchDiscount: BATCH_DISCOUNT },
    argumentRules: samplingRanges,
    knowledgeCutoff: '2023-10',
  },
  {
    name: 'gpt-4o-mini',
    provider: 'openai',
    snapshots: ['gpt-4o-mini-2024-07-18'],
    features: { ...chatFeatures, ...hosted },
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    pricing: { input: 0.15, cachedInput: 0.075, output: 0.6, batchDiscount: BATCH_DISCOUNT },
    argumentRules: samplingRanges,
    knowledgeCutoff: '2023-10',
  },
  {
    name: 'gpt-4.1',
    provider: 'openai',
    snapshots: ['gpt-4.1-2025-04-14'],
    features: { ...chatFeatures, ...hosted },
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    pricing: { input: 2, cachedInput: 0.5, output: 8, batchDiscount: BATCH_DISCOUNT },
    argumentRules: samplingRanges,
    knowledgeCutoff: '2024-06',
  },
  {
    name: 'gpt-4.1-mini',
    provider: 'openai',
    snapshots: ['gpt-4.1-mini-2025-04-14'],
    features: { ...chatFeatures, ...hosted },
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    pricing: { input: 0.4, cachedInput: 0.1, output: 1.6, batchDiscount: BATCH_DISCOUNT },
    argumentRules: samplingRanges,
    knowledgeCutoff: '2024-06',
  },
  {
    name: 'gpt-4.1-nano',
    provider: 'openai',
    snapshots: ['gpt-4.1-nano-2025-04-14'],
    features: { ...chatFeatures, ...hosted },
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    pricing: { input: 0.1, cachedInput: 0.025, output: 0.4, batchDiscount: BATCH_DISCOUNT },
    argumentRules: samplingRanges,
    knowledgeCutoff: '2024-06',
  },
  {
    name: 'gpt-5',
    provider: 'openai',
    snapshots: ['gpt-5-2025-08-07'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    pricing: { input: 1.25, cachedInput: 0.125, output: 10, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-09-30',
  },
  {
    name: 'gpt-5-mini',
    provider: 'openai',
    snapshots: ['gpt-5-mini-2025-08-07'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    pricing: { input: 0.25, cachedInput: 0.025, output: 2, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-05-30',
  },
  {
    name: 'gpt-5-nano',
    provider: 'openai',
    snapshots: ['gpt-5-nano-2025-08-07'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    pricing: { input: 0.05, cachedInput: 0.005, output: 0.4, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-05-30',
  },
  {
    // developers.openai.com/api/docs/models/gpt-5.1 (read 2026-11): $1.25 / $0.125 cached / $10.
    name: 'gpt-5.1',
    provider: 'openai',
    snapshots: ['gpt-5.1-2025-11-13'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    pricing: { input: 1.25, cachedInput: 0.125, output: 10, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-09-30',
  },
  {
    name: 'o3',
    provider: 'openai',
    snapshots: ['o3-2025-04-16'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    pricing: { input: 2, cachedInput: 0.5, output: 8, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-06',
  },
  {
    name: 'o4-mini',
    provider: 'openai',
    snapshots: ['o4-mini-2025-04-16'],
    features: { ...chatFeatures, logprobs: false, reasoning: true, ...hosted },
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    pricing: { input: 1.1, cachedInput: 0.275, output: 4.4, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2024-06',
  },
  {
    name: 'o3-mini',
    provider: 'openai',
    snapshots: ['o3-mini-2025-01-31'],
    features: { tools: true, structuredOutput: true, streaming: true, reasoning: true, promptCaching: true },
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    pricing: { input: 1.1, cachedInput: 0.55, output: 4.4, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2023-10',
  },
  {
    name: 'o1',
    provider: 'openai',
    snapshots: ['o1-2024-12-17'],
    features: { tools: true, structuredOutput: true, vision: true, reasoning: true, promptCaching: true },
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    pricing: { input: 15, cachedInput: 7.5, output: 60, batchDiscount: BATCH_DISCOUNT },
    argumentRules: reasoningRules,
    knowledgeCutoff: '2023-10',
  },
  {
    name: 'computer-use-preview',
    provider: 'openai',
    snapshots: ['computer-use-preview-2025-03-11'],
    features: { vision: true, computerUse: true, streaming: true },
    contextWindow: 8_192,
    maxOutputTokens: 1_024,
    pricing: { input: 3, output: 12, batchDiscount: BATCH_DISCOUNT },
  },
];

const together = { baseURL: 'https://api.together.xyz/v1', apiKeyEnv: 'TOGETHER_API_KEY' } as const;
const openFeatures = { tools: true, structuredOutput: true, streaming: true, logprobs: true } as const;

/** Open models served through Together's OpenAI-compatible endpoint. */
export const TOGETHER_MODEL_CARDS: readonly ModelCard[] = [
  {
    name: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    provider: 'together',
    features: openFeatures,
    contextWindow: 131_072,
    pricing: { input: 0.88, output: 0.88 },
    ...together,
  },
  {
    name: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
    provider: 'together',
    features: openFeatures,
    contextWindow: 131_072,
    pricing: { input: 0.18, output: 0.18 },
    ...together,
  },
  {
    name: 'meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo',
    provider: 'together',
    features: openFeatures,
    contextWindow: 130_815,
    pricing: { input: 3.5, output: 3.5 },
    ...together,
  },
  {
    name: 'Qwen/Qwen2.5-72B-Instruct-Turbo',
    provider: 'together',
    features: openFeatures,
    contextWindow: 32_768,
    pricing: { input: 1.2, output: 1.2 },
    ...together,
  },
  {
    name: 'deepseek-ai/DeepSeek-V3',
    provider: 'together',
    features: openFeatures,
    contextWindow: 131_072,
    pricing: { input: 1.25, output: 1.25 },
    ...together,
  },
  {
    name: 'deepseek-ai/DeepSeek-R1',
    provider: 'together',
    features: { ...openFeatures, reasoning: true },
    contextWindow: 163_840,
    pricing: { input: 3, output: 7 },
    ...together,
  },
];

/**
 * The open models the Python LLLM lists (its `lllm/const.py` at f810ffb, 2025-11-27), served by
 * Together. The card's name is Together's model id (what the API is sent); upstream's short names
 * (`qwen3-next-80b-thinking`, `oss-20b`, …) and the `gpt-oss-*` spellings resolve to it, and `lllm run`
 * sends the id. Prices: Together's serverless price list as upstream copied it in November 2025
 * (Together bills cached input at the input price); Kimi K2 Thinking re-checked on
 * docs.together.ai/docs/kimi-k2-thinking-quickstart ($1.20 in / $4.00 out) in November 2026.
 */
export const UPSTREAM_TOGETHER_MODEL_CARDS: readonly ModelCard[] = [
  {
    name: 'Qwen/Qwen3-Next-80B-A3B-Thinking',
    provider: 'together',
    snapshots: ['qwen3-next-80b-thinking'],
    features: { ...openFeatures, reasoning: true },
    contextWindow: 262_000,
    maxOutputTokens: 100_000,
    pricing: { input: 0.15, cachedInput: 0.15, output: 1.5 },
    ...together,
  },
  {
    name: 'moonshotai/Kimi-K2-Thinking',
    provider: 'together',
    snapshots: ['kimi-k2-thinking'],
    features: { ...openFeatures, reasoning: true },
    contextWindow: 262_000,
    maxOutputTokens: 100_000,
    pricing: { input: 1.2, cachedInput: 1.2, output: 4 },
    ...together,
  },
  {
    name: 'deepseek-ai/DeepSeek-V3.1',
    provider: 'together',
    snapshots: ['deepseek-v3.1'],
    features: openFeatures,
    contextWindow: 131_000,
    maxOutputTokens: 100_000,
    pricing: { input: 0.6, cachedInput: 0.6, output: 1.7 },
    ...together,
  },
  {
    name: 'zai-org/GLM-4.6',
    provider: 'together',
    snapshots: ['glm-4.6'],
    features: openFeatures,
    contextWindow: 202_000,
    maxOutputTokens: 100_000,
    pricing: { input: 0.6, cachedInput: 0.6, output: 2.2 },
    ...together,
  },
  {
    name: 'openai/gpt-oss-20b',
    provider: 'together',
    snapshots: ['oss-20b', 'gpt-oss-20b'],
    features: { ...openFeatures, reasoning: true },
    contextWindow: 131_000,
    maxOutputTokens: 100_000,
    pricing: { input: 0.05, cachedInput: 0.05, output: 0.2 },
    ...together,
  },
  {
    name: 'openai/gpt-oss-120b',
    provider: 'together',
    snapshots: ['oss-120b', 'gpt-oss-120b'],
    features: { ...openFeatures, reasoning: true },
    contextWindow: 131_000,
    maxOutputTokens: 100_000,
    pricing: { input: 0.15, cachedInput: 0.15, output: 0.6 },
    ...together,
  },
];

let registered = false;

/** Register the OpenAI and Together cards with core (idempotent; factories call it for you). */
export function registerOpenAIModelCards(): void {
  if (registered) return;
  registered = true;
  registerModelCards([...OPENAI_MODEL_CARDS, ...TOGETHER_MODEL_CARDS, ...UPSTREAM_TOGETHER_MODEL_CARDS]);
}
