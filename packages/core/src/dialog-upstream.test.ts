// Dialog semantics ported from the Python LLLM (Productive-Superintelligence/lllm): `context_copy` and
// `send_message` of `Dialog` in lllm/llm.py at f810ffb, and `Dialog.fork(last_n, first_k)` in
// lllm/core/dialog.py at HEAD. Each test names the upstream behaviour it pins down.
import { describe, expect, it } from 'vitest';
import { Agent } from './agent.js';
import { Dialog } from './dialog.js';
import { InvalidArgumentError } from './errors.js';
import { MemoryLogStore } from './log-store.js';
import { FunctionCall, Message } from './message.js';
import { createScriptedInvoker } from './scripted-invoker.js';
import { answerTagParser, testPrompt, testTool } from './test-prompt.js';
import { DEFAULT_EXCEPTION_PROMPT } from './text-prompt.js';

const user = (content: string) => new Message({ role: 'user', content, creator: 'user' });
const contents = (dialog: Dialog) => dialog.messages.map((message) => message.content);

/** sys, u1, a1, u2, a2 */
function fiveMessages(): Dialog {
  const dialog = Dialog.create({ system: 'sys' });
  for (const content of ['u1', 'a1', 'u2', 'a2']) dialog.append(user(content));
  return dialog;
}

/** sys, ask, tool_call (c1, c2), result c1, result c2, answer */
function withToolCalls(): Dialog {
  const dialog = Dialog.create({ system: 'sys' });
  dialog.append(user('ask'));
  dialog.append(
    new Message({
      role: 'tool_call',
      content: '',
      creator: 'agent',
      toolCalls: [new FunctionCall({ id: 'c1', name: 'f', arguments: {} }), new FunctionCall({ id: 'c2', name: 'f', arguments: {} })],
    }),
  );
  dialog.append(new Message({ role: 'tool', content: 'r1', creator: 'function', toolCallId: 'c1' }));
  dialog.append(new Message({ role: 'tool', content: 'r2', creator: 'function', toolCallId: 'c2' }));
  dialog.append(new Message({ role: 'assistant', content: 'answer', creator: 'agent' }));
  return dialog;
}

describe('Dialog.contextCopy', () => {
  // upstream lllm/llm.py (f810ffb), Dialog.context_copy: `_dialog = self.fork(); if n > 0: _dialog._messages = _dialog._messages[:-n]`
  it("as upstream's Dialog.context_copy(n): a copy without the last n messages, n defaulting to 1", () => {
    const dialog = fiveMessages();
    expect(contents(dialog.contextCopy(2))).toEqual(['sys', 'u1', 'a1']);
    expect(contents(dialog.contextCopy())).toEqual(['sys', 'u1', 'a1', 'u2']);
    // The system message is not special: a large n removes it too.
    expect(contents(dialog.contextCopy(4))).toEqual(['sys']);
    expect(dialog.length).toBe(5);
  });

  it("as upstream's Dialog.context_copy(n): n = 0 copies everything, n >= length leaves nothing", () => {
    const dialog = fiveMessages();
    expect(contents(dialog.contextCopy(0))).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
    expect(dialog.contextCopy(5).length).toBe(0);
    expect(dialog.contextCopy(50).messages).toEqual([]);
  });

  it("as upstream's Dialog.context_copy: the copy is a child of the dialog, keeps its top prompt, and is independent of it", () => {
    const prompt = testPrompt({ path: 'p/task' });
    const dialog = fiveMessages();
    dialog.topPrompt = prompt;
    const copy = dialog.contextCopy(2);
    expect(copy.parent).toBe(dialog);
    expect(copy.branch).toBe('context_copy');
    expect(copy.topPrompt).toBe(prompt);
    copy.append(user('retry'));
    dialog.append(user('later'));
    expect(contents(copy)).toEqual(['sys', 'u1', 'a1', 'retry']);
    expect(contents(dialog)).toEqual(['sys', 'u1', 'a1', 'u2', 'a2', 'later']);
    // Shared, not copied: the kept messages are the same objects.
    expect(copy.at(1)).toBe(dialog.at(1));
  });

  it('copies of copies and of forks see exactly their prefix', () => {
    const dialog = fiveMessages();
    const fork = dialog.fork();
    fork.append(user('f1'));
    fork.append(user('f2'));
    expect(contents(fork.contextCopy(3))).toEqual(['sys', 'u1', 'a1', 'u2']);
    const copy = fork.contextCopy(4).contextCopy(1);
    expect(contents(copy)).toEqual(['sys', 'u1']);
    copy.append(user('x'));
    expect(contents(copy)).toEqual(['sys', 'u1', 'x']);
    expect(copy.at(-1)?.content).toBe('x');
    expect(copy.fork().messages.map((message) => message.content)).toEqual(['sys', 'u1', 'x']);
  });

  it('is logged as a context_copy branch at its cut, without re-writing the kept messages', async () => {
    const store = new MemoryLogStore();
    const dialog = Dialog.create({ system: 'sys', log: { store, session: 's' } });
    dialog.append(user('u1'));
    dialog.append(user('u2'));
    const copy = dialog.contextCopy(1);
    copy.append(user('again'));
    const dialogs = (await store.read('dialogs', 's')).map((entry) => entry.data);
    expect(dialogs[1]).toMatchObject({ dialogId: copy.id, parentDialogId: dialog.id, branch: 'context_copy', forkIndex: 2 });
    const messages = (await store.read('messages', 's')).map((entry) => entry.data);
    expect(messages.map((data) => [data.dialogId === copy.id, data.index])).toEqual([
      [false, 0],
      [false, 1],
      [false, 2],
      [true, 2],
    ]);
  });

  it('refuses (beyond upstream) a cut between a tool call and its results, naming the counts that work', () => {
    const dialog = withToolCalls();
    // Dropping `answer` and `r2` would leave the call c2 unanswered.
    expect(() => dialog.contextCopy(2)).toThrow(
      'contextCopy(2) would cut between a tool call (message 2) and its result (message 4); providers reject a call without its results. Use contextCopy(4) to drop the call too, or contextCopy(1) to keep its results.',
    );
    expect(contents(dialog.contextCopy(4))).toEqual(['sys', 'ask']);
    expect(contents(dialog.contextCopy(1))).toEqual(['sys', 'ask', '', 'r1', 'r2']);
  });

  it('takes n as a whole number >= 0, as a typed error otherwise', () => {
    const dialog = fiveMessages();
    for (const bad of [-1, 1.5, Number.NaN]) {
      try {
        dialog.contextCopy(bad);
        expect.unreachable();
      } catch (error) {
        expect(InvalidArgumentError.isInstance(error)).toBe(true);
        expect((error as Error).message).toBe(`contextCopy() needs n as a whole number >= 0, got ${String(bad)}.`);
      }
    }
  });
});

describe('Dialog.fork(lastN, firstK)', () => {
  // upstream lllm/core/dialog.py (HEAD), Dialog.fork: `if last_n >= len: last_n = 0`; with last_n > 0 the child
  // holds `messages[:first_k] + messages[len - last_n:]`, first_k clamped to the start of that tail.
  it("as upstream HEAD's Dialog.fork(last_n, first_k): the first k and the last n messages", () => {
    const dialog = fiveMessages();
    expect(contents(dialog.fork(2))).toEqual(['sys', 'u2', 'a2']);
    expect(contents(dialog.fork(2, 2))).toEqual(['sys', 'u1', 'u2', 'a2']);
    expect(contents(dialog.fork(1, 0))).toEqual(['a2']);
    expect(contents(dialog.fork({ lastN: 3, firstK: 1 }))).toEqual(['sys', 'a1', 'u2', 'a2']);
  });

  it("as upstream HEAD's Dialog.fork: last_n = 0 or last_n >= length keeps everything; first_k is clamped to the tail", () => {
    const dialog = fiveMessages();
    expect(contents(dialog.fork(0, 3))).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
    expect(contents(dialog.fork(5))).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
    expect(contents(dialog.fork(9, 0))).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
    // first_k 4 overlaps the tail starting at 3: clamped to 3, every message once.
    expect(contents(dialog.fork(2, 4))).toEqual(['sys', 'u1', 'a1', 'u2', 'a2']);
  });

  it('shares the first part, copies the last part (logged as copies), and stays independent of its parent', async () => {
    const store = new MemoryLogStore();
    const dialog = Dialog.create({ system: 'sys', log: { store, session: 'f' } });
    for (const content of ['u1', 'a1', 'u2']) dialog.append(user(content));
    const fork = dialog.fork(1);
    expect(fork.parent).toBe(dialog);
    expect(fork.forkIndex).toBe(1);
    expect(fork.at(0)).toBe(dialog.at(0));
    expect(fork.at(1)).toBe(dialog.at(3));
    fork.append(user('next'));
    dialog.append(user('parent only'));
    expect(contents(fork)).toEqual(['sys', 'u2', 'next']);
    const written = (await store.read('messages', 'f')).map((entry) => entry.data).filter((data) => data.dialogId === fork.id);
    expect(written.map((data) => [data.index, data.copied === true])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('keeps the old options form: a plain fork shares everything, branch and topPrompt still apply', () => {
    const prompt = testPrompt({ path: 'p/other' });
    const dialog = fiveMessages();
    const fork = dialog.fork({ branch: 'exception', topPrompt: prompt });
    expect(fork.branch).toBe('exception');
    expect(fork.topPrompt).toBe(prompt);
    expect(fork.length).toBe(5);
    const trimmed = dialog.fork({ lastN: 1, branch: 'exception' });
    expect(trimmed.branch).toBe('exception');
    expect(contents(trimmed)).toEqual(['sys', 'a2']);
  });

  it('refuses (beyond upstream) a tail that starts at a tool result or a head that ends inside a call', () => {
    const dialog = withToolCalls();
    expect(() => dialog.fork(2)).toThrow(
      'fork(2, 1) would start its last part at message 4, a tool result whose tool call (message 2) is left out; providers reject a result without its call. Use fork(4, 1) to keep the call.',
    );
    expect(() => dialog.fork(1, 4)).toThrow(
      'fork(1, 4) would end its first part between a tool call (message 2) and its result (message 4); providers reject a call without its results. Use fork(1, 2) to leave the call out.',
    );
    expect(contents(dialog.fork(4))).toEqual(['sys', '', 'r1', 'r2', 'answer']);
    expect(contents(dialog.fork(1, 2))).toEqual(['sys', 'ask', 'answer']);
    expect(() => dialog.fork(-2)).toThrow('fork() needs lastN as a whole number >= 0, got -2.');
    expect(() => dialog.fork(2, 0.5)).toThrow('fork() needs firstK as a whole number >= 0, got 0.5.');
  });
});

describe('Dialog.sendMessage(text)', () => {
  // upstream lllm/llm.py (f810ffb), Dialog.send_message: a str becomes
  // `Prompt(path='__temp_prompt_…', prompt=text)` and that prompt becomes the top prompt.
  it("as upstream's Dialog.send_message(str): a temporary prompt with no tools and the default parser goes on top", () => {
    const task = testPrompt({ path: 'p/task', tools: [testTool('lookup', () => 'x')] });
    const dialog = Dialog.create({ system: 'sys', topPrompt: task });
    const message = dialog.sendMessage('Just chat.');
    expect(message).toMatchObject({ role: 'user', content: 'Just chat.', creator: 'user', promptPath: undefined });
    const top = dialog.topPrompt;
    expect(top).not.toBe(task);
    expect(top?.path).toBe('__temp_prompt');
    expect(top?.tools).toEqual([]);
    expect(top?.format).toBeUndefined();
    expect(top?.hostedTools).toEqual({ mcpServers: [], webSearch: false });
    expect(top?.render()).toBe('Just chat.');
    expect(top?.parse('<answer>x</answer> anything')).toEqual({
      raw: '<answer>x</answer> anything',
      xmlTags: {},
      mdTags: {},
      signalTags: {},
    });
    expect(top?.exceptionHandler.render({ error_message: 'bad call' })).toBe(
      DEFAULT_EXCEPTION_PROMPT.replace('{error_message}', 'bad call'),
    );
    expect(top?.exceptionHandler.tools).toEqual([]);
    expect(top?.finalHandler.tools).toEqual([]);
  });

  it("as upstream's Dialog.send_message(str): prompt arguments with a string are refused", () => {
    const dialog = Dialog.create();
    expect(() => dialog.sendMessage('Hello {name}', { name: 'Ada' })).toThrow(
      'sendMessage("Hello {name}", { name }): a plain string is sent as it is, so arguments have nothing to fill. Pass a prompt to render them, or drop the arguments.',
    );
    expect(dialog.length).toBe(0);
    dialog.sendMessage('Hello {name}', {});
    expect(dialog.tail?.content).toBe('Hello {name}');
  });

  it('an agent call after a string offers no tools and accepts any reply; keepTopPrompt keeps the prompt', async () => {
    const system = testPrompt({ path: 'sys', template: 'You help.', parse: answerTagParser, tools: [testTool('lookup', () => 'x')] });
    const invoker = createScriptedInvoker([{ content: 'no tags at all' }, { content: 'untagged' }, { content: '<answer>7</answer>' }]);
    const agent = new Agent({ name: 'upstream', systemPrompt: system, model: 'm', invoker, maxExceptionRetry: 1 });
    const dialog = agent.initDialog();
    agent.sendMessage(dialog, 'How are you?');
    const chat = await agent.call(dialog);
    expect(chat.parsed).toEqual({ raw: 'no tags at all', xmlTags: {}, mdTags: {}, signalTags: {} });
    expect(chat.attempts).toEqual([]);
    expect(invoker.requests[0]?.tools).toEqual([]);
    expect(invoker.requests[0]?.promptPath).toBe('__temp_prompt');

    // With keepTopPrompt the system prompt still parses (and retries) and offers its tools.
    dialog.sendMessage(system, {});
    agent.sendMessage(dialog, 'Answer in <answer>.', undefined, { keepTopPrompt: true });
    const tagged = await agent.call(dialog);
    expect(tagged.parsed).toBe('7');
    expect(tagged.attempts.map((attempt) => attempt.kind)).toEqual(['parse']);
    expect(invoker.requests[1]?.tools.map((tool) => tool.name)).toEqual(['lookup']);
  });

  it('a dialog topped by a temporary prompt round-trips through JSON without a prompt lookup', () => {
    const dialog = Dialog.create({ system: 'sys' });
    dialog.sendMessage('hi');
    const json = JSON.parse(JSON.stringify(dialog.toJSON()));
    expect(json.topPrompt).toBe('__temp_prompt');
    const restored = Dialog.fromJSON(json);
    expect(restored.topPrompt?.path).toBe('__temp_prompt');
    expect(restored.topPrompt?.tools).toEqual([]);
    expect(restored.topPrompt?.parse('x')).toEqual({ raw: 'x', xmlTags: {}, mdTags: {}, signalTags: {} });
    // Upstream's own random names (`__temp_prompt_` + 6 characters) restore the same way.
    expect(Dialog.fromJSON({ ...json, topPrompt: '__temp_prompt_a1b2c3' }).topPrompt?.path).toBe('__temp_prompt_a1b2c3');
    expect(() => Dialog.fromJSON({ ...json, topPrompt: '__temp_prompt_but_not_really!' })).toThrow('which the prompt lookup does not know');
  });
});
