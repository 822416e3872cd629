import { defineAgent, getPrompt } from './_lllm.js';

/** One agent, one call: the task goes through the agent-call state machine and comes back parsed. */
export const vanilla = defineAgent({
  agentType: 'vanilla',
  agentGroup: ['assistant'],
  description: 'Answers a task in <answer></answer>.',
  async run(task, { agents }) {
    const assistant = agents.assistant;
    if (!assistant) throw new Error('agent_configs.assistant is missing');
    const dialog = assistant.initDialog();
    dialog.sendMessage(getPrompt('vanilla/task_query'), { task });
    const { parsed } = await assistant.call<{ xmlTags: { answer: string[] } }>(dialog);
    return { answer: parsed.xmlTags.answer[0] ?? '' };
  },
  offline: (task) => ({
    assistant: [{ content: `<answer>(scripted) I would answer: ${task}</answer>`, usage: { inputTokens: 40, outputTokens: 20 } }],
  }),
});
