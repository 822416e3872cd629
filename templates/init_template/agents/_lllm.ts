// Files starting with "_" are not discovered: shared imports live here.
export { defineAgent } from '@lllm/core';
export { getPrompt } from '@lllm/prompts';
