// The streamed bodies of @lllm/test-server checked against the `openai` SDK's own stream accumulators
// (`chat.completions.stream`, `responses.stream`): the events must rebuild exactly the JSON body built
// from the same spec, so the main suite's streams are the API's documented event sequences.
import {
  type ChatCompletionSpec,
  chatCompletion,
  chatStream,
  chatTokenLogprobs,
  functionCall,
  outputMessage,
  type ResponseSpec,
  reasoningItem,
  responseBody,
  responseStream,
  startWireServer,
  type WireServer,
} from '@lllm/test-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: WireServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startWireServer();
  client = new OpenAI({ apiKey: 'sk-test-bodies-key-000000000000', baseURL: server.openaiBaseURL, maxRetries: 0 });
});
afterAll(() => server.close());

describe('chatStream events, accumulated by the SDK, equal chatCompletion', () => {
  const SPECS: Record<string, ChatCompletionSpec> = {
    text: { content: 'Paris is the capital of France.', usage: { prompt_tokens: 20, completion_tokens: 7, cached_tokens: 4 } },
    'text with logprobs': { content: 'Hello there!', logprobs: chatTokenLogprobs(['Hello', ' there', '!'], 2) },
    'parallel tool calls': {
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { id: 'call_b', name: 'get_time', arguments: '{"timezone":"Europe/Oslo"}' },
      ],
    },
  };
  for (const [name, spec] of Object.entries(SPECS)) {
    it(name, async () => {
      server.enqueue('/v1/chat/completions', chatStream(spec));
      const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      const final = await stream.finalChatCompletion();
      const expected = chatCompletion(spec) as {
        choices: { message: Record<string, unknown>; finish_reason: string; logprobs: unknown }[];
        usage: unknown;
      };
      const [choice] = final.choices;
      const [wanted] = expected.choices;
      expect(choice?.finish_reason).toBe(wanted?.finish_reason);
      expect(choice?.message.content ?? null).toEqual(spec.toolCalls ? null : spec.content);
      expect(choice?.message.tool_calls ?? []).toEqual((wanted?.message.tool_calls as unknown[] | undefined) ?? []);
      expect(choice?.logprobs?.content ?? null).toEqual(spec.logprobs ?? null);
      expect(final.usage).toEqual(expected.usage);
    });
  }
});

describe('responseStream events, accumulated by the SDK, equal responseBody', () => {
  const SPECS: Record<string, ResponseSpec> = {
    text: { output: [outputMessage('Paris is the capital of France.')], usage: { input_tokens: 30, output_tokens: 7 } },
    'reasoning then a function call': {
      model: 'gpt-5-2025-08-07',
      output: [
        reasoningItem({ summary: ['Checking the weather first.'], encryptedContent: 'gAAAAABopaque' }),
        functionCall({ callId: 'call_w', name: 'get_weather', arguments: '{"location":"Oslo","unit":"c"}' }),
      ],
      usage: { input_tokens: 90, output_tokens: 70, reasoning_tokens: 48 },
    },
  };
  for (const [name, spec] of Object.entries(SPECS)) {
    it(name, async () => {
      server.enqueue('/v1/responses', responseStream(spec));
      const stream = client.responses.stream({ model: 'gpt-4.1', input: 'Hi' });
      const seen: string[] = [];
      stream.on('event', (event) => seen.push(event.type));
      const final = await stream.finalResponse();
      const expected = responseBody(spec) as { output: unknown[]; usage: unknown; status: string };
      // The SDK adds its own `parsed` / `parsed_arguments` (structured-output helpers) to what it accumulated.
      expect(withoutParsed(final.output)).toEqual(expected.output);
      expect(final.usage).toEqual(expected.usage);
      expect(final.status).toBe('completed');
      expect(seen[0]).toBe('response.created');
      expect(seen.at(-1)).toBe('response.completed');
    });
  }
});

function withoutParsed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutParsed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'parsed' && key !== 'parsed_arguments')
        .map(([key, inner]) => [key, withoutParsed(inner)]),
    );
  }
  return value;
}
