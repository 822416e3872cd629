// A multi-agent system: a writer drafts, a critic reviews (structured), the writer revises.
import { fileURLToPath } from 'node:url';
import { Agent, type Invoker } from '@lllm/core';
import { definePrompt, Prompt } from '@lllm/prompts';
import { z } from 'zod';
import { invokerFromEnvironment, MODEL } from './setup.ts';

const Review = z.object({ approved: z.boolean(), issues: z.array(z.string()) });
const writerSystem = new Prompt({ path: 'tour/writer', prompt: 'You write short product descriptions.' });
const criticSystem = new Prompt({ path: 'tour/critic', prompt: 'You review product descriptions for accuracy and tone.' });
const draft = new Prompt({
  path: 'tour/draft',
  prompt: 'Describe {product} in two sentences. Put it in <text></text>.',
  requiredXmlTags: ['text'],
});
const revise = new Prompt({
  path: 'tour/revise',
  prompt: 'Revise it to fix: {issues}. Put it in <text></text>.',
  requiredXmlTags: ['text'],
});
const review = definePrompt({ path: 'tour/review', prompt: 'Review this description:\n{text}', format: Review });

type Tagged = { xmlTags: { text: string[] } };

export async function writeWithReview(invoker: Invoker, product: string, rounds = 2) {
  const writer = new Agent({ name: 'writer', systemPrompt: writerSystem, model: MODEL, invoker });
  const critic = new Agent({ name: 'critic', systemPrompt: criticSystem, model: MODEL, invoker });
  const writing = writer.initDialog();
  writing.sendMessage(draft, { product });
  let text = (await writer.call<Tagged>(writing)).parsed.xmlTags.text[0] ?? '';
  const reviews: z.infer<typeof Review>[] = [];
  for (let round = 0; round < rounds; round++) {
    const reviewing = critic.initDialog();
    reviewing.sendMessage(review, { text });
    const verdict = (await critic.call<z.infer<typeof Review>>(reviewing)).parsed;
    reviews.push(verdict);
    if (verdict.approved) break;
    writing.sendMessage(revise, { issues: verdict.issues.join('; ') });
    text = (await writer.call<Tagged>(writing)).parsed.xmlTags.text[0] ?? text;
  }
  return { text, reviews };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const invoker = invokerFromEnvironment();
  if (invoker) console.log(JSON.stringify(await writeWithReview(invoker, process.argv[2] ?? 'a solar-powered camping lantern'), null, 2));
}
