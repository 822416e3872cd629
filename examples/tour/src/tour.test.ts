// Each example against the local OpenAI wire server, through the real `openai` client.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOpenAI } from '@lllm/openai';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chat } from './chat.ts';
import { forkedPlans } from './fork.ts';
import { writeWithReview } from './multi-agent.ts';
import { structuredRecipe } from './structured.ts';
import { convertWithTools } from './tools.ts';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const PATH = '/v1/chat/completions';
const invoker = () => createOpenAI({ apiKey: 'sk-test-tour-key-0000000000000', baseURL: server.openaiBaseURL }).chat();
function reply(message: Record<string, unknown>) {
  return {
    json: {
      id: 'chatcmpl-tour',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: null, refusal: null, ...message },
          finish_reason: message.tool_calls ? 'tool_calls' : 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 20, completion_tokens: 10 },
    },
  };
}
const text = (content: string) => reply({ content });
const bodies = () =>
  server
    .requestsTo(PATH)
    .map((request) => request.body as { messages: { role: string; content: unknown }[]; tools?: unknown[]; response_format?: unknown });

describe('examples', () => {
  it('chat: one question, the answer parsed out of its tags', async () => {
    server.enqueue(PATH, text('Sure. <answer>Canberra</answer>'));
    expect(await chat(invoker(), 'Capital of Australia?')).toBe('Canberra');
    expect(bodies()[0]?.messages.at(-1)?.content).toBe('Capital of Australia?\nPut the answer in <answer></answer>.');
  });

  it('fork: two follow-ups share the first turn and never see each other', async () => {
    server.enqueue(PATH, text('Lisbon and Porto.'), text('Algarve beaches.'), text('Serra da Estrela.'));
    const plans = await forkedPlans(invoker());
    expect(plans).toEqual({ shared: 'Lisbon and Porto.', beach: 'Algarve beaches.', mountains: 'Serra da Estrela.', sharedLength: 3 });
    const [, beach, mountains] = bodies();
    expect(beach?.messages.map((m) => m.content)).toContain('Lisbon and Porto.');
    expect(mountains?.messages.map((m) => m.content)).not.toContain('Plan it around beaches.');
    expect(mountains?.messages.at(-1)?.content).toBe('Plan it around mountains.');
  });

  it('tools: the call runs and its result goes back to the model', async () => {
    server.enqueue(
      PATH,
      reply({
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'convert_currency', arguments: '{"amount":250,"from":"USD","to":"JPY"}' } },
        ],
      }),
      text('<answer>37500 JPY</answer>'),
    );
    const result = await convertWithTools(invoker(), 'How many yen is 250 US dollars?');
    expect(result).toEqual({ answer: '37500 JPY', calls: ['convert_currency({"amount":250,"from":"USD","to":"JPY"}) = 37500'] });
    expect(bodies()[0]?.tools).toHaveLength(1);
    expect(bodies()[1]?.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'call_1', content: '37500' });
  });

  it('structured output: a reply that breaks the schema is fed back, the valid one parsed', async () => {
    server.enqueue(
      PATH,
      text('{"title": "Pancakes", "servings": "four", "ingredients": []}'),
      text('{"title": "Pancakes", "servings": 4, "ingredients": [{"name": "flour", "grams": 200}]}'),
    );
    const result = await structuredRecipe(invoker(), 'pancakes');
    expect(result).toEqual({ recipe: { title: 'Pancakes', servings: 4, ingredients: [{ name: 'flour', grams: 200 }] }, retries: 1 });
    expect(bodies()[0]?.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'tour_recipe', strict: true } });
  });

  it('multi-agent: the critic rejects, the writer revises, the critic approves', async () => {
    server.enqueue(
      PATH,
      text('<text>A lantern. It glows.</text>'),
      text('{"approved": false, "issues": ["mention the solar panel"]}'),
      text('<text>A solar-powered lantern that charges by day and glows all night.</text>'),
      text('{"approved": true, "issues": []}'),
    );
    const result = await writeWithReview(invoker(), 'a solar lantern');
    expect(result.text).toBe('A solar-powered lantern that charges by day and glows all night.');
    expect(result.reviews.map((review) => review.approved)).toEqual([false, true]);
    expect(bodies()[2]?.messages.at(-1)?.content).toContain('Revise it to fix: mention the solar panel.');
  });
});

describe('the provider comes from the environment', () => {
  it('with only ANTHROPIC_API_KEY a script runs on the Anthropic Messages API (claude-haiku-4-5)', async () => {
    server.enqueue('/v1/messages', {
      json: {
        id: 'msg_tour',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: [{ type: 'text', text: '<answer>Canberra</answer>' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 20, output_tokens: 5 },
      },
    });
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !/^(OPENAI_|ANTHROPIC_|LLLM_)/.test(key)) env[key] = value;
    }
    Object.assign(env, { ANTHROPIC_API_KEY: 'sk-ant-tour-test-0000000000', ANTHROPIC_BASE_URL: server.anthropicBaseURL });
    const script = fileURLToPath(new URL('./chat.ts', import.meta.url));
    const output = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script, 'Capital of Australia?'], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(output.stderr).toBe('');
    expect(output.stdout.trim()).toBe('Canberra');
    expect(output.code).toBe(0);
    expect((server.requestsTo('/v1/messages')[0]?.body as { model?: string } | undefined)?.model).toBe('claude-haiku-4-5');
  }, 30_000);
});
