import { Prompt } from '@lllm/prompts';

export const system = new Prompt({
  path: 'vanilla/system',
  prompt: 'You are a careful assistant. Think before you answer.',
});

export const taskQuery = new Prompt({
  path: 'vanilla/task_query',
  prompt: 'Task: {task}\n\nGive your final answer inside <answer></answer>.',
  requiredXmlTags: ['answer'],
});
