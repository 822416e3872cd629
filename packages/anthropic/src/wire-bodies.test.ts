// The streamed bodies of @lllm/test-server checked against the `@anthropic-ai/sdk` stream accumulator
// (`messages.stream(...).finalMessage()`): the events must rebuild exactly the `message` built from the
// same spec, so the main suite's streams are the API's documented event sequences.

import Anthropic from '@anthropic-ai/sdk';
import {
  type AnthropicMessageSpec,
  anthropicMessage,
  anthropicStream,
  startWireServer,
  textBlock,
  thinkingBlock,
  toolUseBlock,
  type WireServer,
} from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: WireServer;
let client: Anthropic;
beforeAll(async () => {
  server = await startWireServer();
  client = new Anthropic({ apiKey: 'sk-ant-test-bodies-key-00000000000', baseURL: server.anthropicBaseURL, maxRetries: 0 });
});
afterAll(() => server.close());

const SPECS: Record<string, AnthropicMessageSpec> = {
  text: { content: [textBlock('Hello! Paris is the capital of France.')], usage: { input_tokens: 14, output_tokens: 11 } },
  'thinking then text, with prompt-cache usage': {
    model: 'claude-sonnet-4-20250514',
    content: [thinkingBlock('A short friendly answer fits.', 'EqQBCkgIBxABGAIiQOpaqueSignature=='), textBlock('Hello!')],
    usage: { input_tokens: 3, output_tokens: 40, cache_read_input_tokens: 2_048, cache_creation_input_tokens: 512 },
  },
  'text then tool_use with input, and an empty-input tool_use': {
    content: [
      textBlock("I'll check."),
      toolUseBlock('toolu_a', 'get_weather', { location: 'San Francisco, CA', unit: 'fahrenheit' }),
      toolUseBlock('toolu_b', 'get_time'),
    ],
  },
};

describe('anthropicStream events, accumulated by the SDK, equal anthropicMessage', () => {
  for (const [name, spec] of Object.entries(SPECS)) {
    it(name, async () => {
      server.enqueue('/v1/messages', anthropicStream(spec, { jsonPieces: 4 }));
      const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] });
      const seen: string[] = [];
      stream.on('streamEvent', (event) => seen.push(event.type));
      const final = await stream.finalMessage();
      // The SDK adds its own `parsed_output` (structured-output helper) to what it accumulated.
      const { parsed_output: _parsed, ...accumulated } = final as typeof final & { parsed_output?: unknown };
      expect(accumulated).toEqual(anthropicMessage(spec));
      expect(seen[0]).toBe('message_start');
      expect(seen.at(-1)).toBe('message_stop');
    });
  }
});
