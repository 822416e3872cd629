// Multi-turn with fork: one shared context, two follow-ups explored independently.
import { fileURLToPath } from 'node:url';
import { Agent, type Invoker } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { invokerFromEnvironment, MODEL } from './setup.ts';

const system = new Prompt({ path: 'tour/fork_system', prompt: 'You are a travel planner. Answer in one sentence.' });

export async function forkedPlans(invoker: Invoker): Promise<{ shared: string; beach: string; mountains: string; sharedLength: number }> {
  const agent = new Agent({ name: 'planner', systemPrompt: system, model: MODEL, invoker });
  const dialog = agent.initDialog();
  dialog.sendMessage('I have one week in Portugal in May.');
  const shared = (await agent.call(dialog)).message.content;
  // Each fork starts from the same history without copying it; neither sees the other's turns.
  const beach = dialog.fork();
  beach.sendMessage('Plan it around beaches.');
  const mountains = dialog.fork();
  mountains.sendMessage('Plan it around mountains.');
  const [beachReply, mountainReply] = [await agent.call(beach), await agent.call(mountains)];
  return { shared, beach: beachReply.message.content, mountains: mountainReply.message.content, sharedLength: dialog.length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const invoker = invokerFromEnvironment();
  if (invoker) console.log(await forkedPlans(invoker));
}
