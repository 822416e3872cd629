// One agent call, end to end, on a SCRIPTED model (no API key needed): the replies below are
// fixed, so you can watch the state machine handle a bad reply, a tool loop and structured output.
import { fileURLToPath } from 'node:url';
import { Agent, ConsoleStream, MemoryLogStore, registerModelCard, type StreamOutput } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt, tool } from '@lllm/prompts';
import { z } from 'zod';

const Answer = z.object({
  city: z.string(),
  celsius: z.number(),
  advice: z.string(),
});

export async function runExample(output: StreamOutput = process.stdout) {
  const stream = new ConsoleStream({ output, color: Boolean(output.isTTY) });
  const log = new MemoryLogStore();

  // A price card for the scripted model, so the cost line shows real arithmetic.
  registerModelCard({
    name: 'scripted-demo',
    provider: 'scripted',
    features: { tools: true, structuredOutput: true },
    pricing: { input: 2.5, cachedInput: 1.25, output: 10 },
  });

  const weather = tool({
    name: 'get_weather',
    description: 'Current temperature in a city, in °C.',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }) => ({ city, celsius: city === 'Oslo' ? -3 : 18 }),
  });

  const system = new Prompt({ path: 'demo/system', prompt: 'You are a concise travel assistant.' });
  const task = new Prompt({
    path: 'demo/task',
    prompt: 'What should I wear in {city} today? Use the tools, then answer as JSON.',
    functions: [weather],
    format: Answer,
  });

  const usage = { inputTokens: 420, outputTokens: 36, cachedInputTokens: 128 };
  const invoker = createScriptedInvoker([
    // 1. The model calls the tool with a wrong argument type: fed back, pruned.
    { toolCalls: [{ name: 'get_weather', arguments: { city: 42 } }], usage },
    // 2. It fixes the call: the tool runs and its result is kept in the dialog.
    { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], usage },
    // 3. It answers in prose instead of JSON: fed back, pruned.
    { content: 'Wear a warm coat!', usage },
    // 4. It answers in the required format.
    { content: JSON.stringify({ city: 'Oslo', celsius: -3, advice: 'A warm coat, a hat and gloves.' }), usage },
  ]);

  const agent = new Agent({ name: 'assistant', systemPrompt: system, model: 'scripted-demo', invoker, log, stream });
  const dialog = agent.initDialog({}, 'example-basic');
  dialog.sendMessage(task, { city: 'Oslo' });

  stream.divider('LLLM agent call on a SCRIPTED model (no API key used)');
  const result = await agent.call<z.infer<typeof Answer>>(dialog);

  stream.markdown('## Dialog (pruned branches are not in it)');
  stream.write(dialog.overview());
  stream.markdown('## Failed attempts (kept on the replies, and in the log as pruned)');
  for (const attempt of result.attempts) stream.write(`- ${attempt.kind}: ${attempt.error.split('\n')[0]}`);
  stream.markdown('## Tool calls');
  for (const call of result.calls) stream.write(`- ${call.name}(${JSON.stringify(call.arguments)}) → ${call.result}`);
  stream.markdown('## Parsed result');
  stream.code(JSON.stringify(result.parsed, null, 2), 'json');
  stream.write(
    `Cost: $${result.cost.totalUsd.toFixed(6)} for ${invoker.requests.length} model requests (scripted-demo at $2.50 / $1.25 cached / $10.00 per 1M tokens)`,
  );
  const pruned = (await log.read('messages', 'example-basic')).filter((entry) => entry.data.pruned === true).length;
  stream.write(`Log: ${pruned} pruned messages kept in session "example-basic".`);
  return { result, dialog, invoker, pruned };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runExample();
}
