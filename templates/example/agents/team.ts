import { defineAgent } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';
import type { z } from 'zod';
import type { Answer, Plan } from '../prompts/team.js';

/** Two agents: a planner writes a structured plan, an analyst follows it with tools and answers in a schema. */
export const analystTeam = defineAgent({
  agentType: 'analyst_team',
  agentGroup: ['planner', 'analyst'],
  description: 'Plans a data question, then answers it with tools and structured output.',
  async run(task, { agents, stream }) {
    const { planner, analyst } = agents;
    if (!planner || !analyst) throw new Error('agent_configs needs planner and analyst');
    const planning = planner.initDialog();
    planning.sendMessage(getPrompt('team/plan'), { task });
    const plan = (await planner.call<z.infer<typeof Plan>>(planning)).parsed;
    stream?.expander('Plan', plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n'));
    const analysis = analyst.initDialog();
    analysis.sendMessage(getPrompt('team/analyse'), {
      question: plan.question,
      steps: plan.steps.map((step, i) => `${i + 1}. ${step}`).join('\n'),
    });
    const { parsed, calls } = await analyst.call<z.infer<typeof Answer>>(analysis);
    return { ...parsed, toolCalls: calls.map((call) => `${call.name}(${JSON.stringify(call.arguments)}) = ${call.result}`) };
  },
  // Fixed replies for runs without a provider key: the same system, visibly scripted.
  offline: (task) => ({
    planner: [
      {
        content: JSON.stringify({
          question: `(scripted plan for: ${task}) How many more people live in Tokyo than in Paris?`,
          steps: ['Look up the population of Tokyo', 'Look up the population of Paris', 'Subtract'],
        }),
        usage: { inputTokens: 60, outputTokens: 40 },
      },
    ],
    analyst: [
      {
        toolCalls: [
          { name: 'lookup_population', arguments: { city: 'Tokyo' } },
          { name: 'lookup_population', arguments: { city: 'Paris' } },
        ],
        usage: { inputTokens: 180, outputTokens: 30 },
      },
      {
        toolCalls: [{ name: 'calculate', arguments: { op: 'subtract', a: 13.96, b: 2.1 } }],
        usage: { inputTokens: 240, outputTokens: 20 },
      },
      {
        content: JSON.stringify({
          answer: 'Tokyo has about 11.86 million more inhabitants than Paris (city proper).',
          figures: [
            { label: 'Tokyo (millions)', value: 13.96 },
            { label: 'Paris (millions)', value: 2.1 },
            { label: 'Difference (millions)', value: 11.86 },
          ],
        }),
        usage: { inputTokens: 300, outputTokens: 60 },
      },
    ],
  }),
});
