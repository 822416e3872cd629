// Real logged sessions for the search, replay and viewer tests: agents calling scripted invokers
// (a rate-limited request, a tool call, a pruned parse retry, a fork), written through a real store.
import { Agent, ConsoleStream, type Invoker, type LogStore, ProviderError, registerModelCard } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt, tool } from '@lllm/prompts';
import { z } from 'zod';

/** An invoker whose first request is refused with a 429 (retry after `waitMs`), then `inner` answers. */
function rateLimitedOnce(inner: Invoker, waitMs: number): Invoker {
  let refused = false;
  return {
    name: 'scripted',
    invoke: async (request, signal) => {
      if (!refused) {
        refused = true;
        await new Promise((resolve) => setTimeout(resolve, 15));
        throw new ProviderError('scripted: rate limited (429)', {
          kind: 'rate_limit',
          statusCode: 429,
          retryAfterMs: waitMs,
          provider: 'scripted',
        });
      }
      return inner.invoke(request, signal);
    },
  };
}

/**
 * Log the "weather" session: the forecaster is rate limited once (waiting `waitMs`), calls `lookup`,
 * answers without its <answer> tag (a pruned parse retry), then answers; a fork asks again; the
 * critic reviews the answer.
 */
export async function logWeatherSession(store: LogStore, session: string, waitMs = 40): Promise<void> {
  registerModelCard({ name: 'replay-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } });
  const usage = { inputTokens: 100, outputTokens: 10 };
  const lookup = tool({
    name: 'lookup',
    description: 'Look up a city',
    parameters: z.object({ city: z.string() }),
    execute: ({ city }) => `${city}: 21°C and drizzle`,
  });
  const system = new Prompt({ path: 'weather/system', prompt: 'You are a weather bot.' });
  const task = new Prompt({ path: 'weather/task', prompt: 'Weather in {city}?', functions: [lookup], requiredXmlTags: ['answer'] });
  const review = new Prompt({ path: 'review/check', prompt: 'Is this forecast sound: {forecast}?' });
  const stream = new ConsoleStream({ silent: true, log: { store, session } });
  const forecaster = new Agent({
    name: 'forecaster',
    systemPrompt: system,
    model: 'replay-model',
    invoker: rateLimitedOnce(
      createScriptedInvoker([
        { toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' } }], usage, model: 'replay-model' },
        { content: 'It is warm, maybe.', usage, model: 'replay-model' },
        { content: '<answer>21°C in Oslo with drizzle</answer>', usage, model: 'replay-model' },
        { content: '<answer>Bring a jacket tonight</answer>', usage, model: 'replay-model' },
      ]),
      waitMs,
    ),
    log: store,
    session,
    stream,
  });
  const critic = new Agent({
    name: 'critic',
    systemPrompt: new Prompt({ path: 'review/system', prompt: 'You check forecasts.' }),
    model: 'replay-model',
    invoker: createScriptedInvoker([{ content: 'Sound, but mention the umbrella.', usage, model: 'replay-model' }]),
    log: store,
    session,
    stream,
  });
  const dialog = forecaster.initDialog();
  dialog.sendMessage(task, { city: 'Oslo' });
  await forecaster.call(dialog);
  const followUp = dialog.fork();
  followUp.sendMessage(task, { city: 'Oslo tonight' });
  await forecaster.call(followUp);
  const check = critic.initDialog();
  check.sendMessage(review, { forecast: '21°C in Oslo with drizzle' });
  await critic.call(check);
  await store.flush();
}

/** Log a small second session (for searches across sessions). */
export async function logTravelSession(store: LogStore, session: string): Promise<void> {
  const usage = { inputTokens: 20, outputTokens: 5 };
  const agent = new Agent({
    name: 'planner',
    systemPrompt: new Prompt({ path: 'travel/system', prompt: 'You plan trips.' }),
    model: 'replay-model',
    invoker: createScriptedInvoker([{ content: 'Take the night train to Bergen; pack a jacket.', usage, model: 'replay-model' }]),
    log: store,
    session,
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(new Prompt({ path: 'travel/ask', prompt: 'How do I get to {city}?' }), { city: 'Bergen' });
  await agent.call(dialog);
  await store.flush();
}
