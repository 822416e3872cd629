import { defineAgent } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

/**
 * An editor writes a poem (it may load the `haiku` skill first), a critic judges it. The editor's
 * system prompt comes from the style-kit dependency, the critic's is inline in the config.
 */
export const reviewDesk = defineAgent({
  agentType: 'review_desk',
  agentGroup: ['editor', 'critic'],
  description: 'Writes a short poem on a topic and has it judged.',
  async run(task, { agents }) {
    const { editor, critic } = agents;
    if (!editor || !critic) throw new Error('agent_configs needs editor and critic');
    const writing = editor.initDialog();
    writing.sendMessage(getPrompt('tasks/write'), { topic: task });
    const written = await editor.call(writing);
    const judging = critic.initDialog();
    judging.sendMessage(getPrompt('tasks/judge'), { poem: written.message.content });
    const verdict = await critic.call(judging);
    return {
      poem: written.message.content,
      verdict: verdict.message.content,
      skillsLoaded: written.calls.filter((call) => call.name === 'activate_skill').map((call) => call.arguments.name),
    };
  },
  // Fixed replies for runs without a provider key: the editor loads the skill, then writes.
  offline: (task) => ({
    editor: [
      { toolCalls: [{ name: 'activate_skill', arguments: { name: 'haiku' } }] },
      { content: `(scripted) ${task} at dawn / seven syllables follow / and then five again` },
    ],
    critic: [{ content: '(scripted) Accept: the syllables count and the last line turns.' }],
  }),
});

/** One analyst with the API interpreter: it runs Python whose CALL_API reaches the `prices` proxy. */
export const apiAnalyst = defineAgent({
  agentType: 'api_analyst',
  agentGroup: ['analyst'],
  description: 'Answers a market question by running Python against the proxies.',
  async run(task, { agents }) {
    const { analyst } = agents;
    if (!analyst) throw new Error('agent_configs needs analyst');
    const dialog = analyst.initDialog();
    dialog.sendMessage(getPrompt('tasks/analyse'), { question: task });
    const { message, calls } = await analyst.call(dialog);
    return { answer: message.content, toolResults: calls.map((call) => `${call.name}: ${call.result}`) };
  },
  offline: () => ({
    analyst: [
      {
        toolCalls: [
          {
            name: 'run_python',
            arguments: {
              code: 'data = CALL_API("prices/daily/close", {"ticker": "ACME"})\nprint(len(data["days"]), max(d["close"] for d in data["days"]))',
            },
          },
        ],
      },
      { content: '(scripted) Up to the cutoff ACME closed at most at 11.' },
    ],
  }),
});
