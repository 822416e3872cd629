import { Prompt } from '@lllm/prompts';

/** Registered as `style-kit:system/editor` (and `style:system/editor` through the alias). */
export const editor = new Prompt({
  path: 'system/editor',
  prompt: 'You are a careful editor. Keep the house style: short lines, concrete words, no exclamation marks.',
});
