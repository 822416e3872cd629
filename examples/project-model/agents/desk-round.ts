import { defineTactic } from '@lllm/core';
import { getPrompt } from '@lllm/prompts';

/**
 * A tactic over the same agents an agent system would use: the editor (its `skills:` and
 * `context_manager:` from the config) writes a poem and revises it in the same dialog, the analyst
 * (`proxy:`, the API interpreter) answers a question by running Python against the `prices` proxy.
 * `lllm run --config desk-round "<topic>"` runs it like any agent type.
 */
export const deskRound = defineTactic({
  name: 'desk_round',
  agents: ['editor', 'analyst'],
  description: 'A poem, a revision and a market check, through a tactic.',
  async run(topic: string, { agents }) {
    const { editor, analyst } = agents;
    if (!editor || !analyst) throw new Error('agent_configs needs editor and analyst');
    editor.open();
    const draft = await editor.ask(getPrompt('tasks/write'), { topic });
    // The revision goes on the same dialog: the editor's context budget decides what of it is sent.
    editor.receive(`Here is your draft again:\n${draft.message.content}\nNow make it shorter, keeping its image and the turn.`);
    const revised = await editor.respond();
    analyst.open();
    const checked = await analyst.ask(getPrompt('tasks/analyse'), { question: `What was ACME's highest close before ${topic}?` });
    return {
      draft: draft.message.content,
      revised: revised.message.content,
      skillsLoaded: draft.calls.filter((call) => call.name === 'activate_skill').map((call) => call.arguments.name),
      answer: checked.message.content,
      toolResults: checked.calls.map((call) => `${call.name}: ${call.result}`),
    };
  },
  // Fixed replies for runs without a provider key.
  offline: (topic) => ({
    editor: [
      { toolCalls: [{ name: 'activate_skill', arguments: { name: 'haiku' } }] },
      { content: `(scripted) ${topic} at dawn / seven syllables follow / and then five again` },
      { content: `(scripted) ${topic} at dawn` },
    ],
    analyst: [
      {
        toolCalls: [
          {
            name: 'run_python',
            arguments: { code: 'data = CALL_API("prices/daily/close", {"ticker": "ACME"})\nprint(max(d["close"] for d in data["days"]))' },
          },
        ],
      },
      { content: '(scripted) ACME closed at most at 11 before the cutoff.' },
    ],
  }),
});
