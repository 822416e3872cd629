// What every example shares: a provider from the environment, and a clear message without one.
import { createAnthropic } from '@lllm/anthropic';
import type { Invoker } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';

const openaiConfigured = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL);
const anthropicOnly = !openaiConfigured && Boolean(process.env.ANTHROPIC_API_KEY);

/**
 * The model the examples use: `LLLM_MODEL` (or `LLLM_EXAMPLE_MODEL`) when set, else `gpt-4o-mini` on
 * an OpenAI endpoint and `claude-haiku-4-5` when only `ANTHROPIC_API_KEY` is set.
 */
export const MODEL = process.env.LLLM_MODEL ?? process.env.LLLM_EXAMPLE_MODEL ?? (anthropicOnly ? 'claude-haiku-4-5' : 'gpt-4o-mini');

/**
 * An invoker from the environment: Chat Completions from OPENAI_API_KEY / OPENAI_BASE_URL, else the
 * Anthropic Messages API from ANTHROPIC_API_KEY; `undefined` with a message saying what to set.
 */
export function invokerFromEnvironment(): Invoker | undefined {
  if (anthropicOnly) return createAnthropic().messages();
  if (!openaiConfigured) {
    console.error(
      'Set OPENAI_API_KEY, ANTHROPIC_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server (a local llama.cpp or Ollama; LLLM_MODEL names its model), to run this example.',
    );
    process.exitCode = 1;
    return undefined;
  }
  return createOpenAI({ ...(process.env.OPENAI_API_KEY ? {} : { apiKey: 'local' }) }).chat();
}
