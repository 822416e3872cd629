// What every example shares: a provider from the environment, and a clear message without one.
import type { Invoker } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';

/** The model the examples use (any chat model of the configured endpoint works). */
export const MODEL = process.env.LLLM_EXAMPLE_MODEL ?? 'gpt-4o-mini';

/** A Chat Completions invoker from OPENAI_API_KEY / OPENAI_BASE_URL, or `undefined` with a message saying what to set. */
export function invokerFromEnvironment(): Invoker | undefined {
  if (!process.env.OPENAI_API_KEY && !process.env.OPENAI_BASE_URL) {
    console.error(
      'Set OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server (a local llama.cpp or Ollama), to run this example.',
    );
    process.exitCode = 1;
    return undefined;
  }
  return createOpenAI({ ...(process.env.OPENAI_API_KEY ? {} : { apiKey: 'local' }) }).chat();
}
