// The agent's hooks for the project model: a context manager trims each request (never the dialog)
// and logs the trim; agent-level tools (skills, the API interpreter) are offered besides the prompt's.
import { describe, expect, it } from 'vitest';
import { Agent } from '../agent.js';
import { MemoryLogStore } from '../log-store.js';
import { Message } from '../message.js';
import type { ToolLike } from '../prompt-like.js';
import { createScriptedInvoker } from '../scripted-invoker.js';
import { testPrompt } from '../test-prompt.js';
import { ContextManager } from './context-manager.js';

const words = (n: number) => Array.from({ length: n }, () => 'word').join(' ');

describe('Agent with a context manager', () => {
  it('sends the trimmed dialog, keeps the dialog whole, and logs the dropped span', async () => {
    const invoker = createScriptedInvoker([{ content: 'short answer', usage: { inputTokens: 120, outputTokens: 3 } }]);
    const log = new MemoryLogStore();
    const agent = new Agent({
      name: 'writer',
      systemPrompt: testPrompt({ path: 'sys', template: 'Be brief.' }),
      model: 'm',
      invoker,
      log,
      session: 's1',
      contextManager: new ContextManager({ contextWindow: 600, reserveOutputTokens: 100 }),
    });
    const dialog = agent.initDialog();
    dialog.append(new Message({ role: 'user', content: words(800), creator: 'user' }));
    dialog.append(new Message({ role: 'assistant', content: words(800), creator: 'writer' }));
    dialog.sendMessage(testPrompt({ path: 'task', template: 'Now summarise.' }));
    await agent.call(dialog);
    const sent = invoker.requests[0]?.messages.map((message) => message.role);
    expect(sent).toEqual(['system', 'user']);
    expect(invoker.requests[0]?.messages[1]?.content).toBe('Now summarise.');
    expect(dialog.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    await log.flush();
    const frontend = await log.read('frontend', 's1');
    const trim = frontend.find((entry) => entry.data.type === 'context-trim')?.data;
    expect(trim).toMatchObject({ agent: 'writer', strategy: 'drop_oldest', from: 1, to: 2, droppedMessages: 2 });
  });
});

describe('Agent tools', () => {
  it('offers its own tools besides the prompt’s, runs them, and offers none after "answer now"', async () => {
    const seen: unknown[] = [];
    const own: ToolLike = {
      name: 'activate_skill',
      description: 'Load a skill.',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      linked: true,
      execute: (args) => {
        seen.push(args.name);
        return 'SKILL TEXT';
      },
    };
    const invoker = createScriptedInvoker([
      { toolCalls: [{ name: 'activate_skill', arguments: { name: 'haiku' } }] },
      { toolCalls: [{ name: 'activate_skill', arguments: { name: 'again' } }] },
      { content: 'done' },
    ]);
    const agent = new Agent({
      name: 'a',
      systemPrompt: testPrompt({ path: 'sys', template: 'S' }),
      model: 'm',
      invoker,
      tools: [own],
      maxInterruptTimes: 1,
    });
    const dialog = agent.initDialog();
    dialog.sendMessage(testPrompt({ path: 'task', template: 'T' }));
    const result = await agent.call(dialog);
    expect(seen).toEqual(['haiku']);
    expect(invoker.requests[0]?.tools.map((tool) => tool.name)).toEqual(['activate_skill']);
    expect(dialog.messages.some((message) => message.content.includes('SKILL TEXT'))).toBe(true);
    // After the "answer now" prompt no tool is offered or accepted.
    expect(invoker.requests.at(-1)?.tools).toEqual([]);
    expect(result.message.content).toBe('done');
  });
});
