import { describe, expect, it } from 'vitest';
import { FunctionCall, Message } from './message.js';

describe('FunctionCall equality', () => {
  const call = (args: Record<string, unknown>, name = 'f') => new FunctionCall({ id: Math.random().toString(), name, arguments: args });

  it('is strict: same name, same key set, equal values', () => {
    expect(call({}).equals(call({ x: 1 }))).toBe(false);
    expect(call({ x: 1 }).equals(call({}))).toBe(false);
    expect(call({ x: 1, y: [1, { z: 2 }] }).equals(call({ y: [1, { z: 2 }], x: 1 }))).toBe(true);
    expect(call({ x: undefined }).equals(call({}))).toBe(false);
    expect(call({ x: 1 }).equals(call({ x: 1 }, 'g'))).toBe(false);
    expect(call({ x: '1' }).equals(call({ x: 1 }))).toBe(false);
  });

  it('is immutable, even in nested arguments', () => {
    const args = { nested: { a: 1 } };
    const frozen = call(args);
    args.nested.a = 2;
    expect(frozen.arguments).toEqual({ nested: { a: 1 } });
    expect(() => {
      (frozen.arguments.nested as { a: number }).a = 3;
    }).toThrow();
  });
});

describe('Message', () => {
  it('is immutable and derives variants with with()', () => {
    const message = new Message({ role: 'assistant', content: 'hi', creator: 'bot', extra: { k: 1 } });
    expect(Object.isFrozen(message)).toBe(true);
    expect(() => {
      (message as { content: string }).content = 'x';
    }).toThrow();
    const changed = message.with({ content: 'bye' });
    expect(changed.content).toBe('bye');
    expect(changed.creator).toBe('bot');
    expect(message.content).toBe('hi');
    expect(message.modality).toBe('text');
  });

  it('round-trips through JSON', () => {
    const message = new Message({
      role: 'assistant',
      content: 'x',
      creator: 'bot',
      logprobs: [{ token: 'x', logprob: -0.1, topLogprobs: [{ token: 'y', logprob: -2 }] }],
      usage: { inputTokens: 3, outputTokens: 4, reasoningTokens: 1 },
      parsed: { a: [1] },
      model: 'm',
      finishReason: 'stop',
    });
    const restored = Message.fromJSON(JSON.parse(JSON.stringify(message)));
    expect(restored.toJSON()).toEqual(message.toJSON());
    expect(restored.createdAt).toBe(message.createdAt);
  });
});

describe('Message JSON keeps a long reply once', () => {
  it('refers to the content from raw and parsed, and restores them exactly', () => {
    const content = 'x'.repeat(1_000_000);
    const raw = { id: 'resp_1', output_text: content, output: [{ type: 'message', content: [{ type: 'output_text', text: content }] }] };
    const message = new Message({ role: 'assistant', content, creator: 'agent', raw, parsed: content });
    const text = JSON.stringify(message.toJSON());
    // One copy of the reply, not four (content, output_text, output[0].content[0].text, parsed).
    expect(text.length).toBeLessThan(content.length + 1000);
    const restored = Message.fromJSON(JSON.parse(text));
    expect(restored.raw).toEqual(raw);
    expect(restored.parsed).toBe(content);
    expect(restored.content).toBe(content);
    // The message itself is unchanged.
    expect((message.raw as typeof raw).output_text).toBe(content);
  });

  it('leaves short replies and other strings alone', () => {
    const message = new Message({ role: 'assistant', content: 'short', creator: 'agent', raw: { text: 'short' } });
    expect(message.toJSON().raw).toEqual({ text: 'short' });
    const long = 'y'.repeat(300);
    const other = new Message({ role: 'assistant', content: long, creator: 'agent', raw: { text: `${long}!` } });
    expect(other.toJSON().raw).toEqual({ text: `${long}!` });
  });
});
