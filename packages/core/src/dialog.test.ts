import { describe, expect, it } from 'vitest';
import { Dialog } from './dialog.js';
import { MemoryLogStore } from './log-store.js';
import { FunctionCall, Message } from './message.js';
import { registerModelCard } from './model-card.js';
import { testPrompt } from './test-prompt.js';

const user = (content: string) => new Message({ role: 'user', content, creator: 'user' });
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');

describe('Dialog.fork', () => {
  it('shares the prefix and isolates what each side appends', () => {
    const root = Dialog.create({ system: 'sys' });
    root.append(user('a'));
    const fork = root.fork();
    fork.append(user('fork-only'));
    root.append(user('root-only'));
    expect(fork.messages.map((m) => m.content)).toEqual(['sys', 'a', 'fork-only']);
    expect(root.messages.map((m) => m.content)).toEqual(['sys', 'a', 'root-only']);
    expect(fork.at(1)).toBe(root.at(1));
    expect(fork.parent).toBe(root);
    expect(fork.forkIndex).toBe(2);
  });

  it('does not copy the history: forking a long dialog is constant work', () => {
    const root = Dialog.create();
    for (let i = 0; i < 20_000; i++) root.append(user(String(i)));
    const fork = root.fork();
    // The fork holds no copy: its own storage is empty until it appends.
    fork.append(user('x'));
    expect(fork.length).toBe(20_001);
    expect(fork.at(12_345)?.content).toBe('12345');
    expect(fork.at(-1)?.content).toBe('x');
  });

  it('keeps forks of forks consistent, and repeated empty forks do not deepen the chain', () => {
    const root = Dialog.create({ system: 's' });
    let current = root;
    for (let i = 0; i < 5_000; i++) current = current.fork();
    current.append(user('deep'));
    expect(current.messages.map((m) => m.content)).toEqual(['s', 'deep']);
    const a = root.fork();
    a.append(user('a1'));
    const b = a.fork();
    b.append(user('b1'));
    a.append(user('a2'));
    expect(b.messages.map((m) => m.content)).toEqual(['s', 'a1', 'b1']);
    expect(a.messages.map((m) => m.content)).toEqual(['s', 'a1', 'a2']);
  });
});

describe('Dialog messages', () => {
  it('sendMessage renders a prompt, sets the top prompt and records who sent it', () => {
    const dialog = Dialog.create();
    const prompt = testPrompt({ path: 'p/task', template: 'Do {task}' });
    const message = dialog.sendMessage(prompt, { task: 'x' }, { creator: 'planner' });
    expect(message).toMatchObject({ content: 'Do x', creator: 'planner', role: 'user', promptPath: 'p/task' });
    expect(dialog.topPrompt).toBe(prompt);
    dialog.sendMessage('plain text', undefined, { keepTopPrompt: true });
    expect(dialog.topPrompt).toBe(prompt);
    expect(dialog.tail?.content).toBe('plain text');
  });

  it('sendImage accepts PNG/JPEG/WebP/GIF by magic bytes and rejects anything else', () => {
    const dialog = Dialog.create();
    expect(dialog.sendImage(PNG, 'a chart').mediaType).toBe('image/png');
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]).toString('base64');
    expect(dialog.sendImage(`data:image/jpeg;base64,${jpeg}`).mediaType).toBe('image/jpeg');
    const gif = Buffer.from('GIF89a\x01\x00', 'latin1').toString('base64');
    expect(dialog.sendImage(gif).mediaType).toBe('image/gif');
    const webp = Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1').toString('base64');
    expect(dialog.sendImage(webp).mediaType).toBe('image/webp');
    const pdf = Buffer.from('%PDF-1.7 hello').toString('base64');
    expect(() => dialog.sendImage(pdf)).toThrow('not PNG, JPEG, WebP or GIF (first bytes: 25 50 44 46');
    expect(() => dialog.sendImage('not base64 at all!')).toThrow('is not base64');
    expect(dialog.length).toBe(4);
  });

  it('round-trips through JSON with tool calls, attempts and the top prompt', () => {
    const prompt = testPrompt({ path: 'p/task' });
    const dialog = Dialog.create({ system: 'sys', topPrompt: prompt });
    const call = new FunctionCall({ id: 'c1', name: 'add', arguments: { a: 1, nested: { b: [1, 2] } }, rawArguments: '{"a":1}' });
    const failed = new Message({ role: 'assistant', content: 'bad', creator: 'agent' });
    dialog.append(
      new Message({
        role: 'tool_call',
        content: '',
        creator: 'agent',
        toolCalls: [call],
        usage: { inputTokens: 1, outputTokens: 2 },
        attempts: [{ kind: 'parse', error: 'nope', message: failed, at: 5 }],
      }),
    );
    dialog.append(new Message({ role: 'tool', content: '2', creator: 'function', toolCallId: 'c1' }));
    const json = JSON.parse(JSON.stringify(dialog.toJSON()));
    const restored = Dialog.fromJSON(json, (path) => (path === 'p/task' ? prompt : undefined));
    expect(restored.toJSON()).toEqual(dialog.toJSON());
    expect(restored.at(1)?.toolCalls[0]?.equals(call)).toBe(true);
    expect(restored.at(1)?.attempts[0]?.message?.content).toBe('bad');
    expect(restored.topPrompt).toBe(prompt);
    expect(() => Dialog.fromJSON(json, () => undefined)).toThrow('top prompt "p/task"');
  });

  it('writes dialogs and messages to its log session, forks included', async () => {
    const store = new MemoryLogStore();
    const dialog = Dialog.create({ system: 'sys', log: { store, session: 'run-1' } });
    const fork = dialog.fork();
    fork.append(user('in fork'));
    const dialogs = await store.read('dialogs', 'run-1');
    expect(dialogs.map((entry) => entry.data.branch)).toEqual(['root', 'fork']);
    expect(dialogs[1]?.data.parentDialogId).toBe(dialog.id);
    const messages = await store.read('messages', 'run-1');
    expect(messages.map((entry) => [entry.data.dialogId, entry.data.index])).toEqual([
      [dialog.id, 0],
      [fork.id, 1],
    ]);
  });

  it('sums the exact cost of every reply and says when some are unpriced', () => {
    registerModelCard({ name: 'dialog-cost-model', provider: 't', features: {}, pricing: { input: 0.1, output: 0.4 } });
    const dialog = Dialog.create();
    for (let i = 0; i < 3; i++) {
      dialog.append(
        new Message({
          role: 'assistant',
          content: 'x',
          creator: 'a',
          model: 'dialog-cost-model',
          usage: { inputTokens: 1, outputTokens: 1 },
        }),
      );
    }
    // 0.1 + 0.2 in floating point is 0.30000000000000004; three replies of 0.5e-6 each must be exact.
    expect(dialog.cost.totalUsd).toBe(0.0000015);
    expect(dialog.cost.known).toBe(true);
    dialog.append(
      new Message({ role: 'assistant', content: 'x', creator: 'a', model: 'no-such-model', usage: { inputTokens: 1, outputTokens: 1 } }),
    );
    expect(dialog.cost.known).toBe(false);
    expect(dialog.cost.totalUsd).toBe(0.0000015);
  });

  it('overview shows roles, creators, prompts, tool calls and retries', () => {
    const dialog = Dialog.create({ system: 'You are helpful.' });
    dialog.sendMessage(testPrompt({ path: 'p/task' }), { task: 'sum' });
    dialog.append(
      new Message({
        role: 'tool_call',
        content: '',
        creator: 'agent',
        toolCalls: [new FunctionCall({ id: '1', name: 'add', arguments: { a: 1 } })],
        attempts: [{ kind: 'parse', error: 'x', at: 1 }],
      }),
    );
    expect(dialog.overview()).toBe(
      ['0. system: You are helpful.', '1. user [p/task]: Task: sum', '2. tool_call (agent) ⟲1: calls add({"a":1})'].join('\n'),
    );
  });
});
