import { describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from './agent.js';
import { AbortError, AgentCallError, ProviderError } from './errors.js';
import { MemoryLogStore } from './log-store.js';
import { registerModelCard } from './model-card.js';
import type { PromptLike } from './prompt-like.js';
import { createScriptedInvoker, type ScriptStep, scriptedHttpError } from './scripted-invoker.js';
import { createSilentStream } from './stream.js';
import { answerTagParser, testPrompt, testTool } from './test-prompt.js';

function setup(steps: ScriptStep[], options: Partial<AgentOptions> & { prompt?: PromptLike } = {}) {
  const invoker = createScriptedInvoker(steps);
  const waits: number[] = [];
  const system = testPrompt({ path: 'test/system', template: 'You are {role}.' });
  const agent = new Agent({
    name: 'solver',
    systemPrompt: system,
    model: 'test-model',
    invoker,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...options,
  });
  const dialog = agent.initDialog({ role: 'a tester' });
  const task = options.prompt ?? testPrompt({ parse: answerTagParser });
  dialog.sendMessage(task, { task: 'add 2 and 2' });
  return { agent, dialog, invoker, waits, task };
}

describe('Agent.call: parsing', () => {
  it('returns the parsed reply and appends it to the dialog', async () => {
    const { agent, dialog, invoker } = setup([{ content: '<answer>4</answer>' }]);
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('4');
    expect(result.message.role).toBe('assistant');
    expect(result.message.creator).toBe('solver');
    expect(result.message.promptPath).toBe('test/task');
    expect(dialog.tail).toBe(result.message);
    expect(dialog.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(invoker.requests[0]?.messages.map((m) => m.content)).toEqual(['You are a tester.', 'Task: add 2 and 2']);
  });

  it('prunes a failed parse: the model sees its error on a fork, the dialog keeps only the good reply', async () => {
    const log = new MemoryLogStore();
    const { agent, dialog, invoker } = setup([{ content: 'four' }, { content: '<answer>4</answer>' }], { log, session: 's1' });
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('4');
    expect(dialog.messages.map((m) => m.content)).toEqual(['You are a tester.', 'Task: add 2 and 2', '<answer>4</answer>']);
    const retry = invoker.requests[1]?.messages.map((m) => m.content) ?? [];
    expect(retry.slice(2)).toEqual(['four', 'Error: Missing the required <answer>…</answer> block.']);
    expect(invoker.requests[1]?.promptPath).toBe('test/task::exception');
    expect(result.message.attempts).toHaveLength(1);
    expect(result.message.attempts[0]).toMatchObject({ kind: 'parse', error: 'Missing the required <answer>…</answer> block.' });
    expect(result.message.attempts[0]?.message?.content).toBe('four');
    const dialogs = await log.read('dialogs', 's1');
    const exception = dialogs.find((entry) => entry.data.branch === 'exception');
    expect(exception?.data.parentDialogId).toBe(dialog.id);
    const messages = await log.read('messages', 's1');
    const pruned = messages
      .filter((entry) => entry.data.pruned === true)
      .map((entry) => (entry.data.message as { content: string }).content);
    expect(pruned).toEqual(['four', 'Error: Missing the required <answer>…</answer> block.']);
    const kept = messages.filter((entry) => entry.data.dialogId === dialog.id);
    expect(kept).toHaveLength(3);
  });

  it('gives up after maxExceptionRetry with every attempt and the dialog so far', async () => {
    const log = new MemoryLogStore();
    const { agent, dialog, invoker } = setup([{ content: 'a' }, { content: 'b' }, { content: 'c' }], {
      maxExceptionRetry: 2,
      log,
      session: 'gave-up',
    });
    const error = await agent.call(dialog).catch((caught: unknown) => caught);
    expect(AgentCallError.isInstance(error)).toBe(true);
    const callError = error as AgentCallError;
    expect(callError.kind).toBe('parse');
    expect(callError.attempts.map((a) => a.message?.content)).toEqual(['a', 'b', 'c']);
    expect(callError.dialog).toBe(dialog);
    expect(dialog.length).toBe(2);
    expect(invoker.requests).toHaveLength(3);
    expect(callError.message).toContain('after 3 attempts');
    // Every failed reply is in the log, the last one of the exhausted budget included.
    const pruned = (await log.read('messages', 'gave-up')).filter(
      (entry) => entry.data.pruned === true && (entry.data.message as { role: string }).role === 'assistant',
    );
    expect(pruned.map((entry) => (entry.data.message as { content: string }).content)).toEqual(['a', 'b', 'c']);
  });
});

describe('Agent.call: tools', () => {
  it('runs tools, keeps their results through the interrupt handler, then parses the answer', async () => {
    const seen: unknown[] = [];
    const add = testTool('add', (args) => {
      seen.push(args);
      return Number(args.a) + Number(args.b);
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [add] });
    const { agent, dialog, invoker } = setup(
      [{ toolCalls: [{ name: 'add', arguments: { a: 2, b: 2 }, id: 'c1' }] }, { content: '<answer>4</answer>' }],
      { prompt },
    );
    const result = await agent.call(dialog);
    expect(seen).toEqual([{ a: 2, b: 2 }]);
    expect(result.calls.map((call) => [call.name, call.result])).toEqual([['add', '4']]);
    expect(dialog.messages.map((m) => m.role)).toEqual(['system', 'user', 'tool_call', 'tool', 'assistant']);
    const toolMessage = dialog.at(3);
    expect(toolMessage?.toolCallId).toBe('c1');
    expect(toolMessage?.content).toBe('4');
    expect(toolMessage?.promptPath).toBe('test/task::interrupt');
    expect(invoker.requests[0]?.tools.map((t) => t.name)).toEqual(['add']);
  });

  it('does not re-run an identical call, but {} and {x: 1} are different calls', async () => {
    let runs = 0;
    const lookup = testTool('lookup', () => {
      runs += 1;
      return `result ${runs}`;
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [lookup] });
    const { agent, dialog } = setup(
      [
        { toolCalls: [{ name: 'lookup', arguments: {} }] },
        {
          toolCalls: [
            { name: 'lookup', arguments: {} },
            { name: 'lookup', arguments: { x: 1 } },
          ],
        },
        { content: '<answer>done</answer>' },
      ],
      { prompt },
    );
    const result = await agent.call(dialog);
    expect(runs).toBe(2);
    expect(result.calls.map((call) => call.result)).toEqual([
      'result 1',
      expect.stringContaining('already called with identical arguments'),
      'result 2',
    ]);
  });

  it('feeds an unknown tool back on a pruned branch, answering every call of the reply', async () => {
    const add = testTool('add', () => 4);
    const prompt = testPrompt({ parse: answerTagParser, tools: [add] });
    const { agent, dialog, invoker } = setup(
      [
        {
          toolCalls: [
            { name: 'ad', arguments: {}, id: 'bad' },
            { name: 'add', arguments: {}, id: 'ok' },
          ],
        },
        { content: '<answer>4</answer>' },
      ],
      { prompt },
    );
    const result = await agent.call(dialog);
    const retry = invoker.requests[1]?.messages ?? [];
    expect(retry.slice(2).map((m) => [m.role, m.toolCallId])).toEqual([
      ['tool_call', undefined],
      ['tool', 'bad'],
      ['tool', 'ok'],
    ]);
    expect(retry[3]?.content).toContain('Unknown function "ad". Did you mean "add"?');
    expect(retry[4]?.content).toContain('Not run');
    expect(result.calls).toHaveLength(0);
    expect(dialog.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(result.message.attempts[0]?.kind).toBe('tool_call');
  });

  it('feeds invalid JSON arguments and failed validation back as bad calls', async () => {
    const strict = testTool('strict', () => 'ran', {
      validate: (args) =>
        typeof (args as { n?: unknown }).n === 'number' ? { success: true, data: args } : { success: false, error: 'n: expected number' },
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [strict] });
    const { agent, dialog, invoker } = setup(
      [
        { toolCalls: [{ name: 'strict', arguments: '{"n": 1' }] },
        { toolCalls: [{ name: 'strict', arguments: { n: 'one' } }] },
        { toolCalls: [{ name: 'strict', arguments: { n: 1 } }] },
        { content: '<answer>ok</answer>' },
      ],
      { prompt },
    );
    const result = await agent.call(dialog);
    expect(invoker.requests[1]?.messages.at(-1)?.content).toContain('are not valid JSON');
    expect(invoker.requests[2]?.messages.at(-1)?.content).toContain('Invalid arguments for "strict": n: expected number');
    expect(result.calls.map((call) => call.result)).toEqual(['ran']);
    expect(result.attempts.map((a) => a.kind)).toEqual(['tool_call', 'tool_call']);
  });

  it('feeds a throwing tool back as an error result, kept in the dialog', async () => {
    const boom = testTool('boom', () => {
      throw new Error('disk full');
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [boom] });
    const { agent, dialog } = setup([{ toolCalls: [{ name: 'boom', arguments: {} }] }, { content: '<answer>sorry</answer>' }], { prompt });
    const result = await agent.call(dialog);
    expect(result.calls[0]?.error).toBe('disk full');
    expect(dialog.at(3)?.content).toBe('Error: the function boom failed: disk full');
  });

  it('sends the final "answer now" prompt after maxInterruptTimes, without tools', async () => {
    const tick = testTool('tick', () => 'tock');
    const prompt = testPrompt({ parse: answerTagParser, tools: [tick] });
    const { agent, dialog, invoker } = setup(
      [
        { toolCalls: [{ name: 'tick', arguments: { i: 1 } }] },
        { toolCalls: [{ name: 'tick', arguments: { i: 2 } }] },
        { content: '<answer>final</answer>' },
      ],
      { prompt, maxInterruptTimes: 2 },
    );
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('final');
    const last = invoker.requests[2];
    expect(last?.messages.at(-1)?.content).toBe('Answer now.');
    expect(last?.tools).toEqual([]);
    expect(last?.promptPath).toBe('test/task::final');
  });

  it('ends with interrupt_limit when the model keeps calling tools after the final prompt', async () => {
    const tick = testTool('tick', () => 'tock');
    const prompt = testPrompt({ parse: answerTagParser, tools: [tick] });
    const again = { toolCalls: [{ name: 'tick', arguments: {} }] };
    const { agent, dialog } = setup([{ toolCalls: [{ name: 'tick', arguments: { i: 0 } }] }, again, again], {
      prompt,
      maxInterruptTimes: 1,
      maxExceptionRetry: 1,
    });
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('interrupt_limit');
    expect(error.attempts[0]?.error).toContain('No functions are available now');
  });

  it('bounds maxInterruptTimes 0 ("no limit") by the hard cap with a clear error', async () => {
    let n = 0;
    const tick = testTool('tick', () => 'tock');
    const prompt = testPrompt({ parse: answerTagParser, tools: [tick] });
    const forever: ScriptStep = () => ({ toolCalls: [{ name: 'tick', arguments: { n: n++ } }] });
    const { agent, dialog } = setup(
      Array.from({ length: 10 }, () => forever),
      { prompt, maxInterruptTimes: 0, interruptHardCap: 4 },
    );
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('interrupt_limit');
    expect(error.message).toContain('hard cap of 4');
  });

  it('fails the call when the model calls a declared tool that has no implementation', async () => {
    const declared = testTool('later', () => 'x', { linked: false });
    const prompt = testPrompt({ parse: answerTagParser, tools: [declared] });
    const { agent, dialog } = setup([{ toolCalls: [{ name: 'later', arguments: {} }] }], { prompt });
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('tool');
    expect(error.message).toContain('Tool "later" of prompt "test/task" has no implementation');
  });
});

describe('Agent.call: provider faults', () => {
  it('waits out a 429 for its retry-after, then succeeds', async () => {
    const { agent, dialog, waits } = setup([{ error: scriptedHttpError(429, { retryAfterMs: 1234 }) }, { content: '<answer>4</answer>' }]);
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('4');
    expect(waits).toEqual([1234]);
    expect(result.attempts).toMatchObject([{ kind: 'provider', statusCode: 429 }]);
    expect(result.message.attempts).toHaveLength(1);
  });

  it('stops when the rate-limit budget is spent', async () => {
    const steps = Array.from({ length: 5 }, () => ({ error: scriptedHttpError(429, { retryAfterMs: 10 }) }));
    const { agent, dialog } = setup(steps, { rateLimit: { maxWaits: 2 } });
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    expect(error.message).toContain('rate limited 3 times');
  });

  it('retries 5xx with backoff and gives up after maxLlmRecall', async () => {
    const steps = Array.from({ length: 5 }, () => ({ error: scriptedHttpError(503) }));
    const { agent, dialog, invoker, waits } = setup(steps, { maxLlmRecall: 2, backoff: { initialDelayMs: 100 } });
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    expect(invoker.requests).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
    expect(ProviderError.isInstance(error.cause)).toBe(true);
    expect(error.attempts.every((attempt) => attempt.statusCode === 503)).toBe(true);
  });

  it('fails at once on a non-retryable 4xx', async () => {
    const { agent, dialog, invoker } = setup([{ error: scriptedHttpError(400, { message: 'bad request' }) }, { content: 'unused' }]);
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    expect(error.message).toContain('cannot be retried: bad request');
    expect(invoker.requests).toHaveLength(1);
  });

  it('treats its own request timeout as transient', async () => {
    const { agent, dialog, invoker } = setup([{ content: '<answer>late</answer>', delayMs: 5_000 }, { content: '<answer>4</answer>' }], {
      timeoutMs: 50,
    });
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('4');
    expect(invoker.requests).toHaveLength(2);
    expect(result.attempts[0]?.error).toContain('timed out after 50 ms');
  });
});

describe('Agent.call: cancellation', () => {
  it('aborting stops the model call with an AbortError', async () => {
    const { agent, dialog } = setup([{ content: '<answer>late</answer>', delayMs: 10_000 }]);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    const error = await agent.call(dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(dialog.length).toBe(2);
  });

  it('aborting stops a running tool, even one that ignores the signal, and the tool sees the abort', async () => {
    let toolSignal: AbortSignal | undefined;
    const slow = testTool('slow', (_args, context) => {
      toolSignal = context.signal;
      return new Promise(() => {});
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [slow] });
    const { agent, dialog } = setup([{ toolCalls: [{ name: 'slow', arguments: {} }] }], { prompt });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 30);
    const error = await agent.call(dialog, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('user cancelled');
    expect(toolSignal?.aborted).toBe(true);
  });

  it('without a caller signal, tools get one signal per agent call, never one shared by every call', async () => {
    const signals: AbortSignal[] = [];
    const probe = testTool('probe', (args, context) => {
      signals.push(context.signal);
      return String(args.n);
    });
    const prompt = testPrompt({ parse: answerTagParser, tools: [probe] });
    const steps: ScriptStep[] = [
      { toolCalls: [{ name: 'probe', arguments: { n: 1 } }] },
      { toolCalls: [{ name: 'probe', arguments: { n: 2 } }] },
      { content: '<answer>done</answer>' },
    ];
    const first = setup(steps, { prompt });
    await first.agent.call(first.dialog);
    const second = setup(steps, { prompt });
    await second.agent.call(second.dialog);
    expect(signals).toHaveLength(4);
    expect(signals[0]).toBe(signals[1]);
    expect(signals[2]).toBe(signals[3]);
    expect(signals[0]).not.toBe(signals[2]);
    expect(signals.every((signal) => !signal.aborted)).toBe(true);
  });

  it('rejects at once when the signal has already fired', async () => {
    const { agent, dialog, invoker } = setup([{ content: '<answer>4</answer>' }]);
    const error = await agent.call(dialog, { signal: AbortSignal.abort() }).catch((caught: unknown) => caught);
    expect(AbortError.isInstance(error)).toBe(true);
    expect(invoker.requests).toHaveLength(0);
  });
});

describe('Agent: streaming, cost and setup', () => {
  it('streams text deltas to the stream and still returns the parsed message', async () => {
    const stream = createSilentStream();
    const { agent, dialog } = setup([{ content: '<answer>streamed</answer>', streamChunkSize: 5 }], { stream, streamReplies: true });
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('streamed');
    const deltas = stream.events.filter((event) => event.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((event) => ('text' in event ? event.text : '')).join('')).toBe('<answer>streamed</answer>');
  });

  it('prices the call exactly, failed attempts included', async () => {
    registerModelCard({ name: 'priced-model', provider: 'test', features: {}, pricing: { input: 2.5, output: 10, cachedInput: 1.25 } });
    const usage = { inputTokens: 1000, outputTokens: 100, cachedInputTokens: 1000 };
    const { agent, dialog } = setup(
      [
        { content: 'bad', usage, model: 'priced-model' },
        { content: '<answer>4</answer>', usage, model: 'priced-model' },
      ],
      { model: 'priced-model' },
    );
    const result = await agent.call(dialog);
    // (1000 × 2.5 + 1000 × 1.25 + 100 × 10) / 1e6 = 0.00475 per reply, two replies.
    expect(result.cost.totalUsd).toBe(0.0095);
    expect(result.cost.known).toBe(true);
    expect(dialog.cost.totalUsd).toBe(0.0095);
  });

  it('initDialog renders the system prompt into the named log session', async () => {
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'a',
      systemPrompt: testPrompt({ path: 'sys', template: 'You are {role}.' }),
      model: 'm',
      invoker: createScriptedInvoker(),
      log,
    });
    const dialog = agent.initDialog({ role: 'careful' }, 'my-session');
    expect(dialog.system?.content).toBe('You are careful.');
    expect(dialog.topPrompt?.path).toBe('sys');
    const messages = await log.read('messages', 'my-session');
    expect(messages).toHaveLength(1);
    expect(() => agent.initDialog({})).toThrow('needs {role}');
  });

  it('rejects nonsensical budgets', () => {
    expect(
      () => new Agent({ name: 'a', systemPrompt: testPrompt(), model: 'm', invoker: createScriptedInvoker(), maxExceptionRetry: -1 }),
    ).toThrow('maxExceptionRetry must be a whole number >= 0');
  });
});
