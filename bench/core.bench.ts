// Core benchmarks: the state machine's own overhead per round, fork+append cost as dialogs grow,
// and a 1,000-round tool loop. Every figure is a ratio against a baseline measured in this run.
import { spawnSync } from 'node:child_process';
import { Agent, Dialog, FunctionCall, type InvokeRequest, type Invoker, Message } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt, tool } from '@lllm/prompts';
import { z } from 'zod';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const system = new Prompt({ path: 'bench/system', prompt: 'You are a benchmark.' });
const task = new Prompt({ path: 'bench/task', prompt: 'Answer {q}.', requiredXmlTags: ['answer'] });

// 1. One agent-call round vs calling the invoker directly (same scripted reply).
async function roundOverhead(rounds: number): Promise<void> {
  const reply = { content: '<answer>42</answer>', usage: { inputTokens: 10, outputTokens: 5 } };
  const invoker = createScriptedInvoker();
  const direct = createScriptedInvoker();
  const agent = new Agent({ name: 'bench', systemPrompt: system, model: 'scripted', invoker });
  const seed = agent.initDialog();
  seed.sendMessage(task, { q: 'x' });
  const request: InvokeRequest = { model: 'scripted', messages: seed.messages, tools: [], modelArgs: {} };
  const signal = new AbortController().signal;
  const samples = { direct: [] as number[], agent: [] as number[] };
  for (let repeat = 0; repeat < 5; repeat++) {
    for (let i = 0; i < rounds; i++) direct.push(reply);
    let start = now();
    for (let i = 0; i < rounds; i++) await direct.invoke(request, signal);
    samples.direct.push((now() - start) / rounds);
    for (let i = 0; i < rounds; i++) invoker.push(reply);
    start = now();
    for (let i = 0; i < rounds; i++) {
      const dialog = seed.fork();
      await agent.call(dialog);
    }
    samples.agent.push((now() - start) / rounds);
  }
  const directMs = median(samples.direct);
  const agentMs = median(samples.agent);
  console.log(`agent-call round: ${(agentMs * 1000).toFixed(1)} µs; invoker alone: ${(directMs * 1000).toFixed(1)} µs`);
  console.log(
    `  ratio agent/invoker ${(agentMs / directMs).toFixed(2)}x; our code adds ${((agentMs - directMs) * 1000).toFixed(1)} µs per round`,
  );
}

// 2. fork() + append at 10, 1,000 and 10,000 messages: should be flat.
function forkAppend(): void {
  // Warm the JIT up first so the 10-message baseline is not measuring compilation.
  const warm = Dialog.create({ system: 'sys' });
  const warmMessage = new Message({ role: 'user', content: 'w', creator: 'bench' });
  for (let i = 0; i < 100_000; i++) warm.fork().append(warmMessage);
  const results: { size: number; micros: number }[] = [];
  for (const size of [10, 1_000, 10_000]) {
    const dialog = Dialog.create({ system: 'sys' });
    for (let i = 0; i < size - 1; i++)
      dialog.append(new Message({ role: i % 2 ? 'assistant' : 'user', content: `m${i}`, creator: 'bench' }));
    const extra = new Message({ role: 'user', content: 'next', creator: 'bench' });
    const iterations = 20_000;
    const samples: number[] = [];
    for (let repeat = 0; repeat < 5; repeat++) {
      const start = now();
      for (let i = 0; i < iterations; i++) dialog.fork().append(extra);
      samples.push(((now() - start) / iterations) * 1000);
    }
    results.push({ size, micros: median(samples) });
  }
  const base = results[0]?.micros ?? 1;
  for (const { size, micros } of results) {
    console.log(
      `fork()+append at ${String(size).padStart(6)} messages: ${micros.toFixed(3)} µs  (${(micros / base).toFixed(2)}x the 10-message cost)`,
    );
  }
}

// 3. A 1,000-round tool loop in one agent call: time per round early vs late should be flat (linear total).
async function toolLoop(rounds: number, print: boolean): Promise<{ early: number; late: number }> {
  const marks: number[] = [];
  const ping = tool({ name: 'ping', description: 'ping', parameters: z.object({ n: z.number() }), execute: ({ n }) => `pong ${n}` });
  const loopTask = new Prompt({ path: 'bench/loop', prompt: 'Loop {q}.', functions: [ping], requiredXmlTags: ['answer'] });
  let n = 0;
  // A minimal invoker that keeps no history (the scripted one records every request, which would
  // make the benchmark measure its own memory growth).
  const invoker: Invoker = {
    name: 'loop-bench',
    async invoke() {
      marks.push(now());
      n += 1;
      return n <= rounds
        ? { content: '', toolCalls: [{ id: `c${n}`, name: 'ping', arguments: JSON.stringify({ n }) }], finishReason: 'tool_calls' }
        : { content: '<answer>done</answer>', toolCalls: [], finishReason: 'stop' };
    },
  };
  const agent = new Agent({
    name: 'loop',
    systemPrompt: system,
    model: 'scripted',
    invoker,
    maxInterruptTimes: 0,
    interruptHardCap: rounds + 10,
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(loopTask, { q: 'x' });
  const start = now();
  const result = await agent.call(dialog);
  const total = now() - start;
  const per = (from: number, to: number) => ((marks[to] ?? 0) - (marks[from] ?? 0)) / (to - from);
  const early = per(1, 101);
  const late = per(rounds - 100, rounds);
  if (print)
    console.log(
      `${rounds}-round tool loop: ${total.toFixed(0)} ms total, ${result.calls.length} calls, dialog of ${dialog.length} messages`,
    );
  return { early, late };
}

// 4. Dialog.toJSON() + Dialog.fromJSON() against a JSON round trip (stringify + parse) of the same data.
function dialogJson(): void {
  const dialog = Dialog.create({ system: 'You answer with tools.' });
  dialog.append(
    new Message({ role: 'user', content: 'Find the answer for the key k0, then k1.', creator: 'user', promptPath: 'bench/task' }),
  );
  for (let round = 0; round < 50; round++) {
    const call = new FunctionCall({
      id: `call_${round}`,
      name: 'lookup',
      arguments: { key: `k${round}` },
      rawArguments: `{"key":"k${round}"}`,
    });
    const raw = {
      id: 'chatcmpl-bench',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: call.id, type: 'function', function: { name: 'lookup', arguments: call.rawArguments } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 120, completion_tokens: 12, total_tokens: 132 },
    };
    dialog.append(
      new Message({
        role: 'tool_call',
        content: '',
        creator: 'bench',
        toolCalls: [call],
        usage: { inputTokens: 120, outputTokens: 12 },
        model: 'gpt-4o-mini',
        raw,
        finishReason: 'tool_calls',
      }),
    );
    dialog.append(
      new Message({
        role: 'tool',
        content: `value of k${round} `.repeat(8),
        creator: 'function',
        toolCallId: call.id,
        extra: { functionName: 'lookup' },
      }),
    );
  }
  const data = dialog.toJSON();
  const iterations = 300;
  const ours: number[] = [];
  const json: number[] = [];
  for (let round = 0; round < 15; round++) {
    let start = now();
    for (let i = 0; i < iterations; i++) Dialog.fromJSON(dialog.toJSON());
    if (round > 2) ours.push((now() - start) / iterations);
    start = now();
    for (let i = 0; i < iterations; i++) JSON.parse(JSON.stringify(data));
    if (round > 2) json.push((now() - start) / iterations);
  }
  const ratio = median(ours) / median(json);
  console.log(
    `Dialog.toJSON()+fromJSON() of ${dialog.length} messages: ${(median(ours) * 1000).toFixed(0)} µs; JSON round trip of the same data: ${(median(json) * 1000).toFixed(0)} µs → ${ratio.toFixed(2)}× (goal ≤ 0.3) ${ratio <= 0.3 ? 'met' : 'NOT met'}`,
  );
}

// 5. import('@lllm/core') against import('zod'): whole processes, interleaved, median of 11 each.
function importTime(): void {
  const time = (specifier: string) => {
    const start = now();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`], {
      stdio: 'ignore',
    });
    if (run.status !== 0) throw new Error(`importing ${specifier} failed`);
    return now() - start;
  };
  const baseline = () => {
    const start = now();
    spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
    return now() - start;
  };
  const samples = { core: [] as number[], zod: [] as number[], node: [] as number[] };
  time('@lllm/core');
  time('zod');
  for (let round = 0; round < 11; round++) {
    samples.core.push(time('@lllm/core'));
    samples.zod.push(time('zod'));
    samples.node.push(baseline());
  }
  const ratio = median(samples.core) / median(samples.zod);
  console.log(
    `import('@lllm/core') process ${median(samples.core).toFixed(0)} ms; import('zod') process ${median(samples.zod).toFixed(0)} ms; empty node ${median(samples.node).toFixed(0)} ms → ${ratio.toFixed(2)}× (goal ≤ 1.15) ${ratio <= 1.15 ? 'met' : 'NOT met'}`,
  );
}

await roundOverhead(2_000);
dialogJson();
importTime();
forkAppend();
const loops: { early: number; late: number }[] = [];
for (let repeat = 0; repeat < 5; repeat++) loops.push(await toolLoop(1_000, repeat === 0));
const early = median(loops.map((loop) => loop.early));
const late = median(loops.map((loop) => loop.late));
console.log(
  `1000-round tool loop, median of 5 runs: rounds 1-100 ${(early * 1000).toFixed(0)} µs/round, rounds 901-1000 ${(late * 1000).toFixed(0)} µs/round (late/early ${(late / early).toFixed(2)}x; 1.00x is linear)`,
);
