// RunProgress over the entries a real agent call logs (a rate-limited request, a pruned parse retry,
// the accepted reply): on a terminal one live status line plus notes that clear it; otherwise plain
// lines. The agent and its log are real; the terminal is a recording writer with isTTY set.
import {
  Agent,
  ConsoleStream,
  type Invoker,
  type JsonObject,
  type LogCollection,
  MemoryLogStore,
  ProviderError,
  registerModelCard,
} from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { Prompt } from '@lllm/prompts';
import { describe, expect, it } from 'vitest';
import { RunProgress } from './progress.js';
import { RunLog } from './runtime.js';

function recorder(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, output: { isTTY, write: (text: string) => chunks.push(text) } };
}

async function run(tty: boolean) {
  registerModelCard({ name: 'progress-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } });
  const terminal = recorder(tty);
  let clock = 1_000;
  const progress = new RunProgress({
    stderr: terminal.output,
    tty,
    paint: (_style, text) => text,
    label: 'weather',
    now: () => clock,
  });
  const log = new RunLog(new MemoryLogStore(), (collection: LogCollection, data: JsonObject) => progress.observe(collection, data));
  const stream = new ConsoleStream({ output: terminal.output, color: false });
  const spinner = stream.spinner('weather is working…');
  progress.attach(spinner);
  const scripted = createScriptedInvoker([
    { content: 'no tags here', usage: { inputTokens: 100, outputTokens: 10 }, model: 'progress-model' },
    { content: '<answer>sunny</answer>', usage: { inputTokens: 120, outputTokens: 8 }, model: 'progress-model' },
  ]);
  let refused = false;
  const invoker: Invoker = {
    name: 'scripted',
    invoke: async (request, signal) => {
      if (refused) return scripted.invoke(request, signal);
      refused = true;
      throw new ProviderError('429', { kind: 'rate_limit', retryAfterMs: 5, provider: 'scripted' });
    },
  };
  const agent = new Agent({
    name: 'forecaster',
    systemPrompt: new Prompt({ path: 'weather/system', prompt: 'You forecast.' }),
    model: 'progress-model',
    invoker,
    log,
    session: 'progress',
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(new Prompt({ path: 'weather/task', prompt: 'Weather?', requiredXmlTags: ['answer'] }), {});
  clock += 2_500;
  await agent.call(dialog);
  progress.detach();
  spinner.stop('success', `weather finished · ${progress.status()}`);
  return { text: terminal.chunks.join(''), progress };
}

describe('RunProgress', () => {
  it('counts tokens, cost, retries and rate-limit waits from the logged entries and names the agent and prompt', async () => {
    const { progress } = await run(false);
    expect(progress.totals).toMatchObject({ inputTokens: 220, outputTokens: 18, replies: 1, parseRetries: 1, rateLimitWaits: 1 });
    expect(progress.totals.rateLimitWaitedMs).toBe(5);
    expect(progress.totals.cost.totalUsd).toBeGreaterThan(0);
    // 220 input tokens at $1/M and 18 output at $2/M; the prompt is the retry's handler after a parse failure.
    expect(progress.status()).toBe('weather · forecaster · weather/task::exception · 220+18 tok · $0.000256 · 2.5s');
  });

  it('without a terminal: plain lines, one per event, no cursor control', async () => {
    const { text } = await run(false);
    expect(text).toContain('… weather is working…\n');
    expect(text).toContain('! forecaster (weather/task): rate limited, waiting 0.0s\n');
    expect(text).toContain('! forecaster (weather/task): reply did not parse, asking again (retry 1)\n');
    expect(text).toContain(
      '· forecaster (weather/task::exception) replied · weather · forecaster · weather/task::exception · 220+18 tok · $0.000256',
    );
    expect(text).toMatch(/✓ weather finished · .* 2\.5s\n$/);
    expect(text).not.toContain('\r');
  });

  it('on a terminal: notes clear the live line, which ends on the final status', async () => {
    const { text } = await run(true);
    expect(text).toContain('\r\u001b[K! forecaster (weather/task): rate limited');
    expect(text).toContain('\r\u001b[K! forecaster (weather/task): reply did not parse');
    expect(text).not.toContain('replied ·');
    expect(
      text.endsWith('\r✓ weather finished · weather · forecaster · weather/task::exception · 220+18 tok · $0.000256 · 2.5s\u001b[K\n'),
    ).toBe(true);
  });
});
