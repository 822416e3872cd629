// The same 3-round tool exchange against a local OpenAI wire server (in its own process):
// (a) the raw `openai` SDK by hand, (b) our agent call, (c) the Vercel AI SDK's generateText.
// Prints (b)/(a) and (b)/(c), then 1,000 concurrent agent calls: wall time, peak memory, event-loop stall.
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { createOpenAI as createVercelOpenAI } from '@ai-sdk/openai';
import { Agent } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { generateText, stepCountIs, tool as vercelTool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';

const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'wire-child.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
const baseURL: string = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
const apiKey = 'sk-bench-local-key-000000000000';

const lookup = (key: string) => `value of ${key}`;
const now = () => performance.now();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

// (a) raw SDK
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
async function raw(): Promise<string> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You answer with tools.' },
    { role: 'user', content: 'Find the answer.' },
  ];
  for (;;) {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    const message = completion.choices[0]?.message;
    if (!message?.tool_calls?.length) return message?.content ?? '';
    messages.push(message);
    for (const call of message.tool_calls) {
      if (call.type !== 'function') continue;
      const args = JSON.parse(call.function.arguments) as { key: string };
      messages.push({ role: 'tool', tool_call_id: call.id, content: lookup(args.key) });
    }
  }
}

// (b) our agent call
const provider = createOpenAI({ apiKey, baseURL });
const system = new Prompt({ path: 'bench/system', prompt: 'You answer with tools.' });
const task = new Prompt({
  path: 'bench/task',
  prompt: 'Find the answer.',
  requiredXmlTags: ['answer'],
  functions: [
    tool({ name: 'lookup', description: 'Look a key up', parameters: z.object({ key: z.string() }), execute: ({ key }) => lookup(key) }),
  ],
});
const agent = new Agent({ name: 'bench', systemPrompt: system, model: 'gpt-4o-mini', invoker: provider.chat() });
async function ours(): Promise<unknown> {
  const dialog = agent.initDialog();
  dialog.sendMessage(task);
  return (await agent.call(dialog)).parsed;
}

// (c) Vercel AI SDK
const vercel = createVercelOpenAI({ apiKey, baseURL });
async function vercelAi(): Promise<string> {
  const result = await generateText({
    model: vercel.chat('gpt-4o-mini'),
    system: 'You answer with tools.',
    prompt: 'Find the answer.',
    tools: {
      lookup: vercelTool({
        description: 'Look a key up',
        inputSchema: z.object({ key: z.string() }),
        execute: async ({ key }) => lookup(key),
      }),
    },
    stopWhen: stepCountIs(5),
    maxRetries: 0,
  });
  return result.text;
}

async function time(fn: () => Promise<unknown>, iterations: number): Promise<number> {
  const start = now();
  for (let i = 0; i < iterations; i++) await fn();
  return (now() - start) / iterations;
}

// Warm up every path, then interleave rounds so drift affects all three alike.
for (const fn of [raw, ours, vercelAi]) await time(fn, 30);
const samples = { raw: [] as number[], ours: [] as number[], vercel: [] as number[] };
const order = [
  ['raw', raw],
  ['ours', ours],
  ['vercel', vercelAi],
] as const;
for (let round = 0; round < 21; round++) {
  // Rotate which path goes first so background load and drift fall on all three alike.
  for (let k = 0; k < order.length; k++) {
    const [key, fn] = order[(round + k) % order.length] ?? order[0];
    samples[key].push(await time(fn, 20));
  }
}
const a = median(samples.raw);
const b = median(samples.ours);
const c = median(samples.vercel);
console.log(
  `3-round tool exchange, median of 21 rotated rounds × 20: (a) raw openai SDK ${a.toFixed(2)} ms, (b) LLLM agent call ${b.toFixed(2)} ms, (c) Vercel AI generateText ${c.toFixed(2)} ms`,
);
console.log(`  (b)/(a) = ${(b / a).toFixed(3)}   (goal ≤ 1.05)`);
console.log(`  (b)/(c) = ${(b / c).toFixed(3)}`);

// 1,000 concurrent exchanges: the raw SDK as the baseline, then our agent calls.
async function concurrent(label: string, fn: () => Promise<unknown>): Promise<void> {
  globalThis.gc?.();
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  histogram.enable();
  const start = now();
  const results = await Promise.all(Array.from({ length: 1000 }, () => fn()));
  const wall = now() - start;
  histogram.disable();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(
    `1,000 concurrent ${label} (3 requests each): ${wall.toFixed(0)} ms wall, ${results.length} results, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB (+${((peakRss - baseRss) / 2 ** 20).toFixed(0)} MiB), longest event-loop stall ${(histogram.max / 1e6).toFixed(1)} ms`,
  );
}
await concurrent('raw openai SDK exchanges', raw);
await concurrent('LLLM agent calls', ours);
child.stdin.end();
