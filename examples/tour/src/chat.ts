// Basic chat: one prompt, one reply, parsed from <answer> tags.
import { fileURLToPath } from 'node:url';
import { Agent, type Invoker } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { invokerFromEnvironment, MODEL } from './setup.ts';

const system = new Prompt({ path: 'tour/chat_system', prompt: 'You are a concise assistant.' });
const question = new Prompt({
  path: 'tour/question',
  prompt: '{question}\nPut the answer in <answer></answer>.',
  requiredXmlTags: ['answer'],
});

export async function chat(invoker: Invoker, text: string): Promise<string> {
  const agent = new Agent({ name: 'assistant', systemPrompt: system, model: MODEL, invoker });
  const { parsed } = await agent.call(agent.initDialog().ask(question, { question: text }));
  return parsed.xmlTags.answer?.[0] ?? '';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const invoker = invokerFromEnvironment();
  if (invoker) console.log(await chat(invoker, process.argv[2] ?? 'What is the capital of Australia?'));
}
