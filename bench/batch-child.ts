// One contender of batch.bench.ts in a fresh process: COUNT agent calls (one tool round each) at
// CONCURRENCY, as a tactic batch (ours), as plain Promise.all lanes over our Agent (agent), or over the
// raw `openai` SDK (raw). Prints one JSON line of figures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Agent, LocalProviderBudget, NoopLogStore, Tactic } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import OpenAI from 'openai';
import { z } from 'zod';
import { apiKey, now } from './exchange.ts';

const [name, baseURL, countText, concurrencyText] = process.argv.slice(2);
if ((name !== 'ours' && name !== 'agent' && name !== 'raw') || !baseURL) {
  throw new Error('usage: batch-child.ts <ours|agent|raw> <baseURL> <count> <concurrency>');
}
const count = Number(countText ?? 10_000);
const concurrency = Number(concurrencyText ?? 200);
const lookup = (key: string) => `value of ${key}`;

function systemPrompt() {
  return new Prompt({
    path: 'bench/batch-system',
    prompt: 'You answer with tools, inside <answer></answer>.',
    requiredXmlTags: ['answer'],
    functions: [
      tool({ name: 'lookup', description: 'Look a key up', parameters: z.object({ key: z.string() }), execute: ({ key }) => lookup(key) }),
    ],
  });
}

/** Plain Promise.all lanes over `work`, `concurrency` at a time. */
async function lanes<T>(inputs: string[], work: (input: string) => Promise<T>): Promise<number> {
  const results: T[] = new Array(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await work(inputs[index] as string);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results.length;
}

/** The tactic batch. */
function ours(): (inputs: string[]) => Promise<number> {
  const provider = createOpenAI({ apiKey, baseURL });
  const tactic = Tactic.quick(systemPrompt(), {
    model: 'gpt-4o-mini',
    invoker: provider.chat(),
    log: new NoopLogStore(),
    budget: new LocalProviderBudget(),
  });
  return async (inputs) => {
    const report = await tactic.batch(inputs, { concurrency, id: `bench-${Math.random()}` });
    if (report.done !== inputs.length) throw new Error(`${report.failed} calls failed`);
    return report.done;
  };
}

/** The agent call alone (no tactic, session or batch runner): where the tactic layer's cost shows. */
function agent(): (inputs: string[]) => Promise<number> {
  const provider = createOpenAI({ apiKey, baseURL });
  const bench = new Agent({ name: 'bench', systemPrompt: systemPrompt(), model: 'gpt-4o-mini', invoker: provider.chat() });
  return (inputs) =>
    lanes(inputs, async (input) => {
      const dialog = bench.initDialog();
      // The system prompt's tools and <answer> tag apply to the reply, as in the tactic lanes.
      dialog.sendMessage(input, undefined, { keepTopPrompt: true });
      return (await bench.call(dialog)).parsed;
    });
}

function raw(): (inputs: string[]) => Promise<number> {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'lookup',
        description: 'Look a key up',
        parameters: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'], additionalProperties: false },
      },
    },
  ];
  const call = async (input: string): Promise<string> => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You answer with tools, inside <answer></answer>.' },
      { role: 'user', content: input },
    ];
    for (let round = 0; round < 10; round++) {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
      const message = completion.choices[0]?.message;
      if (!message?.tool_calls?.length) {
        const answer = /<answer>([\s\S]*?)<\/answer>/.exec(message?.content ?? '')?.[1];
        if (answer === undefined) throw new Error('no answer');
        return answer;
      }
      messages.push(message);
      for (const toolCall of message.tool_calls) {
        if (toolCall.type !== 'function') continue;
        const args = JSON.parse(toolCall.function.arguments) as { key: string };
        messages.push({ role: 'tool', tool_call_id: toolCall.id, content: lookup(args.key) });
      }
    }
    throw new Error('no answer in 10 rounds');
  };
  return (inputs) => lanes(inputs, call);
}

const run = name === 'ours' ? ours() : name === 'agent' ? agent() : raw();
const inputs = (n: number, tag: string) => Array.from({ length: n }, (_, index) => `task ${tag} ${index}`);
// Warm-up: connections and code paths, at the full concurrency.
await run(inputs(concurrency * 2, 'warm'));
globalThis.gc?.();

const histogram = monitorEventLoopDelay({ resolution: 1 });
const baseRss = process.memoryUsage().rss;
let peakRss = baseRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 10);
histogram.enable();
const cpuStart = process.cpuUsage();
const start = now();
const done = await run(inputs(count, 'run'));
const wall = now() - start;
const cpu = process.cpuUsage(cpuStart);
histogram.disable();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
if (done !== count) throw new Error(`${done} of ${count}`);
process.stdout.write(
  `${JSON.stringify({ name, wall, cpu: (cpu.user + cpu.system) / 1000, stall: histogram.max / 1e6, peakRssMiB: peakRss / 2 ** 20, addedRssMiB: (peakRss - baseRss) / 2 ** 20 })}\n`,
);
