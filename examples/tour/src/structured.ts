// Structured output: the reply must match a zod schema; bad replies are fed back and pruned.
import { fileURLToPath } from 'node:url';
import { Agent, type Invoker } from '@lllm/core';
import { definePrompt, Prompt } from '@lllm/prompts';
import { z } from 'zod';
import { invokerFromEnvironment, MODEL } from './setup.ts';

export const Recipe = z.object({
  title: z.string(),
  servings: z.number().int(),
  ingredients: z.array(z.object({ name: z.string(), grams: z.number() })),
});

const system = new Prompt({ path: 'tour/structured_system', prompt: 'You write recipes as data.' });
const recipe = definePrompt({ path: 'tour/recipe', prompt: 'A recipe for {dish}.', format: Recipe });

export async function structuredRecipe(invoker: Invoker, dish: string) {
  const agent = new Agent({ name: 'cook', systemPrompt: system, model: MODEL, invoker });
  // ask() types the dialog by the prompt, so result.parsed is z.infer<typeof Recipe> without a cast.
  const result = await agent.call(agent.initDialog().ask(recipe, { dish }));
  return { recipe: result.parsed, retries: result.attempts.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const invoker = invokerFromEnvironment();
  if (invoker) console.log(JSON.stringify(await structuredRecipe(invoker, process.argv[2] ?? 'pancakes'), null, 2));
}
