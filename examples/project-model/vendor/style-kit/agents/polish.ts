import { defineAgent } from '@lllm/core';

/**
 * The style kit's agent type: an editor polishes one line, looking up rhymes with the API
 * interpreter. Projects name it `agent_type: style:polish` (their alias of this package).
 */
export const polish = defineAgent({
  agentType: 'polish',
  agentGroup: ['editor'],
  description: 'Polishes a line of verse, with rhymes from the rhymes proxy.',
  async run(line, { agents }) {
    const { editor } = agents;
    if (!editor) throw new Error('agent_configs needs editor');
    const dialog = editor.initDialog();
    dialog.sendMessage(`Polish this line, ending on a rhyme you look up: ${line}`);
    const { message, calls } = await editor.call(dialog);
    return { line: message.content, toolResults: calls.map((call) => `${call.name}: ${call.result}`) };
  },
  offline: (line) => ({
    editor: [
      {
        toolCalls: [
          { name: 'run_python', arguments: { code: 'print(", ".join(CALL_API("rhymes/words/rhyme", {"word": "sea"})["rhymes"]))' } },
        ],
      },
      { content: `(scripted) ${line}, as calm as tea` },
    ],
  }),
});
