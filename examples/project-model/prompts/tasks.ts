import { Prompt } from '@lllm/prompts';

/** `tasks/write`: the editor's task. */
export const write = new Prompt({ path: 'write', prompt: 'Write a short poem about: {topic}' });

/** `tasks/judge`: the critic's task. */
export const judge = new Prompt({ path: 'judge', prompt: 'Judge this poem:\n{poem}' });

/** `tasks/analyse`: the analyst's task. */
export const analyse = new Prompt({ path: 'analyse', prompt: '{question}' });
