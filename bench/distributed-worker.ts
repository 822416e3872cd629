// One worker process of distributed.bench.ts: a tactic (one tool round per call: two requests) run
// from the Redis queue at CONCURRENCY, its provider budget in Redis. Prints "ready" once it takes
// jobs; stops (after its running jobs) when stdin ends.
import { NoopLogStore, setProviderBudget, Tactic } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { BatchQueue, RedisProviderBudget } from '@lllm/queue';
import { z } from 'zod';
import { apiKey } from './exchange.ts';

const [redisUrl, baseURL, concurrencyText, name, tacticName] = process.argv.slice(2);
if (!redisUrl || !baseURL || !name || !tacticName) {
  throw new Error('usage: distributed-worker.ts <redis url> <baseURL> <concurrency> <name> <tactic>');
}

const queue = await BatchQueue.connect(redisUrl);
const budget = new RedisProviderBudget(queue.redis);
setProviderBudget(budget);
const systemPrompt = new Prompt({
  path: 'bench/distributed-system',
  prompt: 'You answer with tools, inside <answer></answer>.',
  requiredXmlTags: ['answer'],
  functions: [
    tool({
      name: 'lookup',
      description: 'Look a key up',
      parameters: z.object({ key: z.string() }),
      execute: ({ key }) => `value of ${key}`,
    }),
  ],
});
const quick = Tactic.quick(systemPrompt, {
  model: 'gpt-4o-mini',
  invoker: createOpenAI({ apiKey, baseURL }).chat(),
  log: new NoopLogStore(),
  budget,
});
// The queue's jobs are named by the tactic: the bench gives each run's tactic a name of its own.
const tactic = { name: tacticName, call: quick.call.bind(quick) as typeof quick.call };
const worker = queue.work({ tactic: tactic as never, concurrency: Number(concurrencyText ?? 16), name });
const startCpu = process.cpuUsage();
process.stdout.write('ready\n');
process.stdin.on('end', () => {
  void worker
    .close()
    .then(() => queue.close())
    .then(() => {
      // This process's CPU time (user + system, ms) since it was ready, for the bench's per-call figure.
      const cpu = process.cpuUsage(startCpu);
      process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`, () => process.exit(0));
    });
});
process.stdin.resume();
