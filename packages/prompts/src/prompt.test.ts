import { Agent, TemplateError } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerPromptsFromModule } from './discovery.js';
import { tool } from './function.js';
import { definePrompt, Prompt } from './prompt.js';
import { getPrompt, listPrompts, prompts, registerPrompt, unregisterPrompt } from './registry.js';

afterEach(() => unregisterPrompt());

describe('templates', () => {
  it('renders placeholders and literal braces, leaving JSON examples alone', () => {
    const prompt = new Prompt({ path: 'x/t', prompt: 'Hi {name}! {{literal}} and {"json": 1} and {name}' });
    expect(prompt.placeholders).toEqual(['name']);
    expect(prompt.render({ name: 'Ada' })).toBe('Hi Ada! {literal} and {"json": 1} and Ada');
  });

  it('names every missing argument and what was given', () => {
    const prompt = new Prompt({ path: 'vanilla/task', prompt: '{task} about {topic} for {audience}' });
    expect(() => prompt.render({ topic: 'AI' })).toThrow('Prompt "vanilla/task" needs {task}, {audience}, but only {topic} was given.');
    try {
      prompt.render();
    } catch (error) {
      expect(TemplateError.isInstance(error)).toBe(true);
      expect((error as TemplateError).missing).toEqual(['task', 'topic', 'audience']);
    }
  });

  it('requires {error_message} and {call_results} in handler templates', () => {
    expect(() => new Prompt({ path: 'p', prompt: 'x', exceptionPrompt: 'try again' })).toThrow('must contain {error_message}');
    expect(() => new Prompt({ path: 'p', prompt: 'x', interruptPrompt: 'results' })).toThrow('must contain {call_results}');
  });
});

describe('structured output', () => {
  const Weather = z.object({ city: z.string(), celsius: z.number() });

  it('builds a strict JSON schema and validates replies with zod', () => {
    const prompt = new Prompt({ path: 'weather/report', prompt: 'Weather in {city}?', format: Weather });
    expect(prompt.format?.strict).toBe(true);
    expect(prompt.format?.name).toBe('weather_report');
    expect(prompt.format?.schema).toMatchObject({ type: 'object', required: ['city', 'celsius'], additionalProperties: false });
    expect(prompt.parse('```json\n{"city": "Oslo", "celsius": -3}\n```')).toEqual({ city: 'Oslo', celsius: -3 });
    expect(() => prompt.parse('{"city": "Oslo"}')).toThrow('celsius: Invalid input: expected number');
    expect(() => prompt.parse('sunny')).toThrow('not valid JSON');
  });

  it('is not strict when a field is optional (strict mode needs every field required)', () => {
    const prompt = new Prompt({ path: 'p', prompt: 'x', format: z.object({ a: z.string().optional() }) });
    expect(prompt.format?.strict).toBe(false);
  });

  it('hands the validated object to a custom parser', () => {
    const prompt = new Prompt({
      path: 'p',
      prompt: 'x',
      format: Weather,
      parser: (_content, { parsed }) => `${(parsed as { city: string }).city}!`,
    });
    expect(prompt.parse('{"city": "Rome", "celsius": 20}')).toBe('Rome!');
  });
});

describe('handlers', () => {
  const add = tool({
    name: 'add',
    description: 'Add',
    parameters: z.object({ a: z.number(), b: z.number() }),
    execute: ({ a, b }) => a + b,
  });
  const prompt = new Prompt({ path: 'math/task', prompt: '{q}', functions: [add], requiredXmlTags: ['answer'] });

  it('derive exception and interrupt handlers that inherit parser and tools', () => {
    const exception = prompt.exceptionHandler;
    expect(exception.path).toBe('math/task::exception');
    expect(exception.render({ error_message: 'boom' })).toContain('boom');
    expect(exception.tools.map((t) => t.name)).toEqual(['add']);
    expect(() => exception.parse('no tags')).toThrow('<answer>');
    expect(prompt.interruptHandler.render({ call_results: '42' })).toBe('42');
    expect(exception.exceptionHandler).toBe(exception);
    expect(exception.interruptHandler).toBe(prompt.interruptHandler);
  });

  it('derive a final handler with no tools, whose own handlers have none either', () => {
    const final = prompt.finalHandler;
    expect(final.tools).toEqual([]);
    expect(final.exceptionHandler.tools).toEqual([]);
    expect(final.finalHandler).toBe(final);
    expect(final.parse('<answer>1</answer>')).toMatchObject({ xmlTags: { answer: ['1'] } });
  });
});

describe('tools', () => {
  it('produce JSON schema with zod converter, validate and run typed', async () => {
    const search = tool({
      name: 'search',
      description: 'Search the web',
      parameters: z.object({ query: z.string().describe('What to look for'), limit: z.number().int().default(5) }),
      execute: ({ query, limit }) => `${query}:${limit}`,
    });
    expect(search.parameters).toEqual({
      type: 'object',
      properties: { query: { type: 'string', description: 'What to look for' }, limit: { type: 'integer', default: 5 } },
      required: ['query'],
      additionalProperties: false,
    });
    const valid = search.validate({ query: 'ai' });
    expect(valid).toEqual({ success: true, data: { query: 'ai', limit: 5 } });
    expect(search.validate({ query: 3 })).toMatchObject({ success: false, error: expect.stringContaining('query') });
    const context = { signal: new AbortController().signal, callId: 'c', agentName: 'a' };
    expect(await search.execute({ query: 'ai', limit: 5 }, context)).toBe('ai:5');
  });

  it('can be declared unlinked and linked later through the prompt', async () => {
    const declared = tool({
      name: 'lookup',
      description: 'Look up',
      parameters: { type: 'object', properties: { id: { type: 'string' } } },
    });
    expect(declared.linked).toBe(false);
    const prompt = new Prompt({ path: 'p', prompt: 'x', functions: [declared] });
    const linked = prompt.link('lookup', (args) => `found ${String(args.id)}`);
    expect(linked.tools[0]?.linked).toBe(true);
    expect(prompt.tools[0]?.linked).toBe(false);
    expect(() => prompt.link('nope', () => 1)).toThrow('has no tool "nope"');
  });

  it('reject names providers would reject and non-object parameters', () => {
    expect(() => tool({ name: 'has space', description: '', parameters: z.object({}) })).toThrow('is not allowed');
    expect(() => tool({ name: 'n', description: '', parameters: { type: 'string' } })).toThrow('must describe an object');
  });

  it('use a result processor for what the model sees', () => {
    const listing = tool({ name: 'ls', description: '', parameters: z.object({}), processResult: (r) => (r as string[]).join('\n') });
    expect(listing.formatResult(['a', 'b'])).toBe('a\nb');
  });
});

describe('registry', () => {
  it('finds prompts by path and suggests the closest on a miss', () => {
    registerPrompt(new Prompt({ path: 'research/task_query', prompt: 'x' }));
    registerPrompt(new Prompt({ path: 'research/system', prompt: 'y' }));
    expect(prompts('research')('system').render()).toBe('y');
    expect(() => getPrompt('research/task_querry')).toThrow('Closest: "research/task_query"');
    expect(listPrompts()).toEqual(['research/system', 'research/task_query']);
  });

  it('refuses a different prompt under a taken path unless overriding', () => {
    registerPrompt(new Prompt({ path: 'a/b', prompt: '1' }));
    expect(() => registerPrompt(new Prompt({ path: 'a/b', prompt: '2' }))).toThrow('already registered as "a/b"');
    registerPrompt(new Prompt({ path: 'a/b', prompt: '2' }), { override: true });
    expect(getPrompt('a/b').render()).toBe('2');
  });

  it('namespaces discovered prompts by module path so equal names never collide', () => {
    const info = (modulePath: string) => ({ section: 'prompts', file: `/p/${modulePath}.ts`, folder: '/p', modulePath });
    registerPromptsFromModule({ task: new Prompt({ path: 'task', prompt: 'A' }), other: 42 }, info('a/x'));
    registerPromptsFromModule({ task: new Prompt({ path: 'task', prompt: 'B' }) }, info('b/x'));
    registerPromptsFromModule({ kept: new Prompt({ path: 'shared/exact', prompt: 'C' }) }, info('c'));
    expect(getPrompt('a/x/task').render()).toBe('A');
    expect(getPrompt('b/x/task').render()).toBe('B');
    expect(getPrompt('shared/exact').render()).toBe('C');
  });

  it('discovering the same module again (a second discover() in one process) registers the same prompts', () => {
    const info = { section: 'prompts', file: '/p/again.ts', folder: '/p', modulePath: 'again' };
    const exports = { task: new Prompt({ path: 'task', prompt: 'Once' }) };
    registerPromptsFromModule(exports, info);
    const first = getPrompt('again/task');
    expect(() => registerPromptsFromModule(exports, info)).not.toThrow();
    expect(getPrompt('again/task')).toBe(first);
    expect(() => registerPromptsFromModule({ task: new Prompt({ path: 'task', prompt: 'Other' }) }, info)).toThrow('already registered');
  });
});

describe('with the agent-call state machine', () => {
  it('drives a tool loop and structured output end to end with real prompts', async () => {
    const add = tool({
      name: 'add',
      description: 'Add',
      parameters: z.object({ a: z.number(), b: z.number() }),
      execute: ({ a, b }) => a + b,
    });
    const system = new Prompt({ path: 'math/system', prompt: 'You are a calculator.' });
    const task = new Prompt({
      path: 'math/task',
      prompt: 'Compute {expression}.',
      functions: [add],
      format: z.object({ result: z.number() }),
    });
    const invoker = createScriptedInvoker([
      { toolCalls: [{ name: 'add', arguments: { a: '2', b: 2 } }] },
      { toolCalls: [{ name: 'add', arguments: { a: 2, b: 2 } }] },
      { content: '{"result": "four"}' },
      { content: '{"result": 4}' },
    ]);
    const agent = new Agent({ name: 'calc', systemPrompt: system, model: 'scripted', invoker });
    const dialog = agent.initDialog();
    dialog.sendMessage(task, { expression: '2 + 2' });
    const result = await agent.call<{ result: number }>(dialog);
    expect(result.parsed).toEqual({ result: 4 });
    expect(result.calls.map((call) => call.result)).toEqual(['4']);
    expect(result.attempts.map((attempt) => attempt.kind)).toEqual(['tool_call', 'parse']);
    expect(invoker.requests[0]?.format?.name).toBe('math_task');
    expect(invoker.requests[1]?.messages.at(-1)?.content).toContain('Invalid arguments for "add": a: Invalid input: expected number');
    expect(dialog.messages.map((m) => m.role)).toEqual(['system', 'user', 'tool_call', 'tool', 'assistant']);
  });
});

describe('definePrompt', () => {
  it('infers the parsed type from the format or the parser', () => {
    const weather = definePrompt({ path: 'w', prompt: 'x', format: z.object({ celsius: z.number() }) });
    const celsius: number = weather.parse('{"celsius": 3}').celsius;
    expect(celsius).toBe(3);
    const counted = definePrompt({ path: 'c', prompt: 'x', parser: (content) => content.length });
    const length: number = counted.parse('four');
    expect(length).toBe(4);
    const tags = definePrompt({ path: 't', prompt: 'x', xmlTags: ['a'] });
    expect(tags.parse('<a>1</a>').xmlTags.a).toEqual(['1']);
  });
});
