import { definePrompt, Prompt } from '@lllm/prompts';
import { z } from 'zod';
import { calculate, lookupPopulation } from '../tools/cities.js';

export const Plan = z.object({
  question: z.string().describe('The question restated precisely'),
  steps: z.array(z.string()).describe('What to look up and compute, in order'),
});

export const Answer = z.object({
  answer: z.string().describe('One or two sentences'),
  figures: z.array(z.object({ label: z.string(), value: z.number() })).describe('Every number the answer relies on'),
});

export const plannerSystem = new Prompt({
  path: 'team/planner_system',
  prompt: 'You plan research. You never answer the question yourself.',
});
export const analystSystem = new Prompt({
  path: 'team/analyst_system',
  prompt: 'You answer with data. Use the tools for every figure; never guess a number.',
});

export const plan = definePrompt({
  path: 'team/plan',
  prompt: 'Plan how to answer: {task}',
  format: Plan,
});

export const analyse = definePrompt({
  path: 'team/analyse',
  prompt: 'Question: {question}\nPlan:\n{steps}\n\nFollow the plan with the tools, then answer.',
  functions: [lookupPopulation, calculate],
  format: Answer,
});
