// `agent.call(dialog.ask(prompt))` knows what `parsed` holds: the prompt's zod `format`, its custom
// parser's return type, or the default tag parse. The type assertions are checked by `pnpm typecheck`
// (tsc over the tests); the runtime assertions check the values really have that shape.
import { Agent, type AgentCallResult, type Dialog } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { ParsedReply } from './parser.js';
import { definePrompt, Prompt } from './prompt.js';

const system = new Prompt({ path: 'typed/system', prompt: 'You answer.' });

function agentReplying(...contents: string[]): Agent {
  return new Agent({
    name: 'typed',
    systemPrompt: system,
    model: 'scripted',
    invoker: createScriptedInvoker(contents.map((content) => ({ content }))),
  });
}

describe('typed results', () => {
  it('infers parsed from a zod format given to new Prompt', async () => {
    const weather = new Prompt({
      path: 'typed/weather',
      prompt: 'Weather in {city}?',
      format: z.object({ city: z.string(), celsius: z.number() }),
    });
    expectTypeOf(weather).toEqualTypeOf<Prompt<{ city: string; celsius: number }>>();
    const agent = agentReplying('{"city": "Oslo", "celsius": 4}');
    const dialog = agent.initDialog().ask(weather, { city: 'Oslo' });
    expectTypeOf(dialog).toEqualTypeOf<Dialog<{ city: string; celsius: number }>>();
    const { parsed } = await agent.call(dialog);
    expectTypeOf(parsed).toEqualTypeOf<{ city: string; celsius: number }>();
    expect(parsed.celsius + 1).toBe(5);
    expect(parsed.city.toUpperCase()).toBe('OSLO');
  });

  it("infers parsed from a custom parser's return type", async () => {
    const count = new Prompt({
      path: 'typed/count',
      prompt: 'Count the words.',
      parser: (content) => content.trim().split(/\s+/).length,
    });
    const agent = agentReplying('three little words');
    const result = await agent.call(agent.initDialog().ask(count));
    expectTypeOf(result).toEqualTypeOf<AgentCallResult<number>>();
    expect(result.parsed).toBe(3);
  });

  it('gives the default tag parse its type, and definePrompt agrees with new Prompt', async () => {
    const tags = definePrompt({ path: 'typed/tags', prompt: 'Answer in <answer>.', xmlTags: ['answer'] });
    expectTypeOf(tags).toEqualTypeOf<Prompt<ParsedReply>>();
    const agent = agentReplying('<answer>42</answer>');
    const { parsed } = await agent.call(agent.initDialog().ask(tags));
    expectTypeOf(parsed).toEqualTypeOf<ParsedReply>();
    expect(parsed.xmlTags.answer).toEqual(['42']);
  });

  it('types a fork by the prompt it is topped with, and keeps the explicit cast for untyped dialogs', async () => {
    const numbers = new Prompt({ path: 'typed/numbers', prompt: 'Numbers?', format: z.object({ values: z.array(z.number()) }) });
    const agent = agentReplying('{"values": [1, 2]}');
    const dialog = agent.initDialog();
    dialog.sendMessage(numbers);
    expectTypeOf(dialog).toEqualTypeOf<Dialog<unknown>>();
    const forked = dialog.fork({ topPrompt: numbers });
    expectTypeOf(forked).toEqualTypeOf<Dialog<{ values: number[] }>>();
    const cast = await agent.call<{ values: number[] }>(dialog);
    expect(cast.parsed.values).toEqual([1, 2]);
  });
});
