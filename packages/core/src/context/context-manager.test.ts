import { describe, expect, it } from 'vitest';
import { FunctionCall, Message } from '../message.js';
import { ContextManager, ContextOverflowError } from './context-manager.js';
import { estimateMessageTokens, estimateTextTokens } from './token-estimate.js';

const msg = (role: Message['role'], content: string, extra: Partial<ConstructorParameters<typeof Message>[0]> = {}) =>
  new Message({ role, content, creator: role, ...extra });
const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');

describe('token estimate', () => {
  it('counts about four characters per token of prose, digits in threes, punctuation one each', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('hello world')).toBe(4);
    expect(estimateTextTokens('123456, ok!')).toBe(5);
    // A 2,000-word English text is 2,000-3,000 tokens in every BPE tokenizer; the estimate is in that range.
    expect(estimateTextTokens(words(2000))).toBeGreaterThanOrEqual(2000);
    expect(estimateTextTokens(words(2000))).toBeLessThanOrEqual(3000);
    expect(estimateMessageTokens(msg('user', 'hi'))).toBe(5);
  });
});

describe('ContextManager', () => {
  const dialog = [
    msg('system', 'You are terse.'),
    msg('user', words(400)),
    msg('assistant', words(400)),
    msg('tool_call', '', { toolCalls: [new FunctionCall({ id: 'c1', name: 'look', arguments: { q: 'x' } })] }),
    msg('tool', words(400), { toolCallId: 'c1' }),
    msg('user', 'And now?'),
  ];

  it('sends everything when it fits, and drops the oldest whole turns (a call with its results) when it does not', async () => {
    const roomy = new ContextManager({ contextWindow: 10_000, reserveOutputTokens: 1000 });
    expect((await roomy.fit(dialog)).messages).toBe(dialog);
    const tight = new ContextManager({ contextWindow: 900, reserveOutputTokens: 100 });
    const fit = await tight.fit(dialog);
    expect(fit.messages.map((m) => m.role)).toEqual(['system', 'tool_call', 'tool', 'user']);
    expect(fit.trim).toMatchObject({ strategy: 'drop_oldest', from: 1, to: 2, droppedMessages: 2 });
    expect(fit.trim?.tokensAfter).toBeLessThanOrEqual(800);
    const tighter = new ContextManager({ contextWindow: 400, reserveOutputTokens: 100 });
    expect((await tighter.fit(dialog)).messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('keeps the latest user message through a long tool loop', async () => {
    const loop = [
      msg('system', 'S'),
      msg('user', words(400)),
      msg('assistant', words(400)),
      msg('user', 'Find the answer.'),
      msg('tool_call', '', { toolCalls: [new FunctionCall({ id: 'c1', name: 'look', arguments: { q: 'x' } })] }),
      msg('tool', words(50), { toolCallId: 'c1' }),
    ];
    const fit = await new ContextManager({ contextWindow: 400, reserveOutputTokens: 100 }).fit(loop);
    expect(fit.messages.map((m) => m.content.slice(0, 16))).toEqual(['S', 'Find the answer.', '', 'word word word w']);
  });

  it('summarises the dropped span, and fails with the sizes when even the kept turns do not fit', async () => {
    const seen: number[] = [];
    const manager = new ContextManager({
      contextWindow: 400,
      reserveOutputTokens: 100,
      strategy: 'summarize',
      summarize: async (span) => {
        seen.push(span.length);
        return 'They talked about words.';
      },
    });
    const fit = await manager.fit(dialog);
    expect(seen).toEqual([4]);
    expect(fit.messages[1]?.content).toContain('They talked about words.');
    expect(fit.trim?.summary).toBe('They talked about words.');
    const failing = new ContextManager({ contextWindow: 200, reserveOutputTokens: 100, strategy: 'fail' });
    await expect(failing.fit(dialog)).rejects.toThrow(/over the budget of 100.*"fail"/);
    const small = new ContextManager({ contextWindow: 120, reserveOutputTokens: 100 });
    const error = await small.fit([msg('system', words(100)), msg('user', 'q')]).catch((thrown) => thrown);
    expect(ContextOverflowError.isInstance(error)).toBe(true);
  });

  it('calibrates the estimate from the prompt tokens the provider reported for the previous request', async () => {
    const manager = new ContextManager({ contextWindow: 100_000 });
    const first = [msg('system', 'S'), msg('user', words(100))];
    const sent = await manager.fit(first);
    const reply = msg('assistant', 'ok', { usage: { inputTokens: sent.tokens * 2, outputTokens: 1 } });
    await manager.fit([...first, reply, msg('user', 'more')]);
    expect(manager.calibration).toBeCloseTo(2, 5);
  });
});

describe('contextManagerFor', () => {
  it('takes the window from the config or the model card, and summarises with the agent’s own model', async () => {
    const { contextManagerFor } = await import('./context-config.js');
    const { createScriptedInvoker } = await import('../scripted-invoker.js');
    const { registerModelCard } = await import('../model-card.js');
    const invoker = createScriptedInvoker([{ content: 'Earlier: they counted words.' }]);
    expect(contextManagerFor('a', 'm', undefined, invoker)).toBeUndefined();
    expect(() => contextManagerFor('a', 'h14-no-card', { strategy: 'drop_oldest' }, invoker)).toThrow(
      /agent_configs\.a\.context_manager: model "h14-no-card" has no model card with a context window; set context_manager\.context_window/,
    );
    registerModelCard({ name: 'h14-small', provider: 'test', features: {} as never, contextWindow: 400 });
    const manager = contextManagerFor('a', 'h14-small', { strategy: 'summarize', reserve_output_tokens: 100 }, invoker);
    expect(manager?.contextWindow).toBe(400);
    const fit = await manager?.fit([
      new Message({ role: 'system', content: 'S', creator: 'system' }),
      new Message({ role: 'user', content: words(400), creator: 'user' }),
      new Message({ role: 'assistant', content: words(400), creator: 'a' }),
      new Message({ role: 'user', content: 'next', creator: 'user' }),
    ]);
    expect(fit?.trim?.summary).toBe('Earlier: they counted words.');
    expect(invoker.requests[0]?.model).toBe('h14-small');
    expect(invoker.requests[0]?.messages[1]?.content).toContain('[user · user] word word');
  });
});
