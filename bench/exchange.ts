// The exchange every provider benchmark times, and how they time it. The same 3-request exchange
// (one tool call, another, then the answer) against a local OpenAI wire server in its own process, done
// (a) with the raw `openai` SDK by hand, (b) as our agent call, (c) with the AI SDK's generateText, and
// (a') with the raw SDK handed our providers' transport (`@lllm/http`): ours / (a') is the agent layer's
// own cost, since our providers hand the SDK that transport and (a) keeps Node's fetch.
//
// Timing rules (issue 12): every contender is warmed up before it is timed; contenders run in
// interleaved blocks (A B C, then B C A, …) for several rounds so drift and other processes' load fall
// on all alike; each figure is reported as its minimum and median over the blocks.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createOpenAI as createVercelOpenAI } from '@ai-sdk/openai';
import { Agent, type LogStore } from '@lllm/core';
import { createFetch } from '@lllm/http';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { generateText, stepCountIs, tool as vercelTool } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';

export const apiKey = 'sk-bench-local-key-000000000000';
export const now = () => performance.now();

/** Start the wire server (`wire-child.ts`) in its own process, so timings measure the client side only. */
export async function startWireChild(): Promise<{ baseURL: string; stop(): void }> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'wire-child.ts'], {
    cwd: new URL('.', import.meta.url),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const baseURL: string = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  return { baseURL, stop: () => child.stdin.end() };
}

const lookup = (key: string) => `value of ${key}`;

/** (a) The raw `openai` SDK (on Node's fetch unless `fetch` is given). A new client per contender: its own connections. */
export function rawContender(baseURL: string, fetch?: typeof globalThis.fetch): () => Promise<string> {
  const client = new OpenAI({ apiKey, baseURL, maxRetries: 0, ...(fetch ? { fetch } : {}) });
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
  return async function raw(): Promise<string> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You answer with tools.' },
      { role: 'user', content: 'Find the answer.' },
    ];
    for (let round = 0; round < 10; round++) {
      const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
      const message = completion.choices[0]?.message;
      if (!message?.tool_calls?.length) {
        // The same work our parser does: the answer tag is required.
        const answer = /<answer>([\s\S]*?)<\/answer>/.exec(message?.content ?? '')?.[1];
        if (answer === undefined) throw new Error('no answer');
        return answer;
      }
      messages.push(message);
      for (const call of message.tool_calls) {
        if (call.type !== 'function') continue;
        const args = JSON.parse(call.function.arguments) as { key: string };
        messages.push({ role: 'tool', tool_call_id: call.id, content: lookup(args.key) });
      }
    }
    throw new Error('no answer in 10 rounds');
  };
}

/** (b) Our agent call, optionally logged. */
export function oursContender(baseURL: string, options: { log?: LogStore; session?: string } = {}): () => Promise<unknown> {
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
  const agent = new Agent({
    name: 'bench',
    systemPrompt: system,
    model: 'gpt-4o-mini',
    invoker: provider.chat(),
    ...(options.log ? { log: options.log, session: options.session ?? 'bench' } : {}),
  });
  return async function ours(): Promise<unknown> {
    const dialog = agent.initDialog();
    dialog.sendMessage(task);
    return (await agent.call(dialog)).parsed;
  };
}

/** (c) The AI SDK. */
export function vercelContender(baseURL: string): () => Promise<string> {
  const vercel = createVercelOpenAI({ apiKey, baseURL });
  const tools = {
    lookup: vercelTool({
      description: 'Look a key up',
      inputSchema: z.object({ key: z.string() }),
      execute: async ({ key }) => lookup(key),
    }),
  };
  return async function vercelAi(): Promise<string> {
    const result = await generateText({
      model: vercel.chat('gpt-4o-mini'),
      system: 'You answer with tools.',
      prompt: 'Find the answer.',
      tools,
      stopWhen: stepCountIs(5),
      maxRetries: 0,
    });
    return result.text;
  };
}

export const contenders = {
  raw: rawContender,
  rawHttp: (baseURL: string) => rawContender(baseURL, createFetch()),
  ours: oursContender,
  vercel: vercelContender,
} as const;
export type ContenderName = keyof typeof contenders;

/** Per-block figures of one contender: wall and CPU milliseconds per exchange. */
export interface Samples {
  readonly wall: number[];
  readonly cpu: number[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

/** Time `calls` sequential calls: wall and process CPU per call, in ms. */
export async function block(fn: () => Promise<unknown>, calls: number): Promise<{ wall: number; cpu: number }> {
  const cpuStart = process.cpuUsage();
  const start = now();
  for (let i = 0; i < calls; i++) await fn();
  const wall = now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: wall / calls, cpu: (cpu.user + cpu.system) / 1000 / calls };
}

/**
 * Warm every contender up, then run `rounds` rounds of one block each, the order rotating every round
 * (A B C, B C A, C A B, …). `between` runs after each block, untimed.
 */
export async function interleave<K extends string>(
  fns: Readonly<Record<K, () => Promise<unknown>>>,
  options: { warmup: number; rounds: number; calls: number; between?: (name: K) => Promise<void> | void },
): Promise<Record<K, Samples>> {
  const names = Object.keys(fns) as K[];
  for (const name of names) await block(fns[name], options.warmup);
  const samples = Object.fromEntries(names.map((name) => [name, { wall: [], cpu: [] }])) as unknown as Record<K, Samples>;
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as K;
      const figures = await block(fns[name], options.calls);
      samples[name].wall.push(figures.wall);
      samples[name].cpu.push(figures.cpu);
      await options.between?.(name);
    }
  }
  return samples;
}

/** `min … / median …` of a series, formatted. */
export function spread(values: readonly number[], digits = 2, unit = 'ms'): string {
  return `min ${min(values).toFixed(digits)} ${unit}, median ${median(values).toFixed(digits)} ${unit}`;
}

/** A ratio line with its goal: `label  1.031× (min-based 1.024×)  goal ≤ 1.05 ✓`. */
export function ratioLine(label: string, medianRatio: number, minRatio: number, goal: { max: number } | { min: number }): string {
  const ok = 'max' in goal ? medianRatio <= goal.max : medianRatio >= goal.min;
  const goalText = 'max' in goal ? `≤ ${goal.max}` : `≥ ${goal.min}`;
  return `  ${label.padEnd(58)} ${medianRatio.toFixed(3)}× of medians (${minRatio.toFixed(3)}× of minimums)   goal ${goalText}  ${ok ? 'met' : 'NOT met'}`;
}
