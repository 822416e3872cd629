// Tool use: the model calls a function; the state machine runs it and feeds the result back.
import { fileURLToPath } from 'node:url';
import { Agent, type Invoker } from '@lllm/core';
import { Prompt, tool } from '@lllm/prompts';
import { z } from 'zod';
import { invokerFromEnvironment, MODEL } from './setup.ts';

const convert = tool({
  name: 'convert_currency',
  description: 'Convert an amount between currencies at a fixed demo rate table.',
  parameters: z.object({ amount: z.number(), from: z.enum(['EUR', 'USD', 'JPY']), to: z.enum(['EUR', 'USD', 'JPY']) }),
  execute: ({ amount, from, to }) => {
    const perEuro = { EUR: 1, USD: 1.08, JPY: 162 };
    return Math.round((amount / perEuro[from]) * perEuro[to] * 100) / 100;
  },
});
const system = new Prompt({ path: 'tour/tools_system', prompt: 'You convert money. Always use the tool for arithmetic.' });
const ask = new Prompt({
  path: 'tour/convert',
  prompt: '{request}\nGive the result in <answer></answer>.',
  functions: [convert],
  requiredXmlTags: ['answer'],
});

export async function convertWithTools(invoker: Invoker, request: string) {
  const agent = new Agent({ name: 'cashier', systemPrompt: system, model: MODEL, invoker });
  const dialog = agent.initDialog();
  dialog.sendMessage(ask, { request });
  const result = await agent.call<{ xmlTags: { answer: string[] } }>(dialog);
  return {
    answer: result.parsed.xmlTags.answer[0] ?? '',
    calls: result.calls.map((call) => `${call.name}(${JSON.stringify(call.arguments)}) = ${call.result}`),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const invoker = invokerFromEnvironment();
  if (invoker) console.log(await convertWithTools(invoker, process.argv[2] ?? 'How many yen is 250 US dollars?'));
}
