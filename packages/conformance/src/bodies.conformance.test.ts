// Conformance of the project's own bodies (@lllm/test-server's builders, which the main suite uses)
// with the genuine recordings: every field a recorded body has, the built body has too, and every
// streaming event type a recording sends, the built stream sends too. Skipped when the recordings are absent.
import {
  anthropicMessage,
  anthropicStreamEvents,
  chatCompletion,
  chatCompletionChunks,
  functionCall,
  listFixtures,
  outputMessage,
  readFixture,
  readJsonFixture,
  reasoningItem,
  responseBody,
  responseStreamEvents,
  textBlock,
  thinkingBlock,
  toolUseBlock,
} from '@lllm/test-server';
import { describe, expect, it } from 'vitest';
import { noRecordings } from './recorded.js';

type Json = Record<string, unknown>;

/** Keys of `recorded` (at `path`) that `built` lacks, as dotted paths. */
function missingKeys(recorded: unknown, built: unknown, path = ''): string[] {
  if (!recorded || typeof recorded !== 'object' || Array.isArray(recorded)) return [];
  if (!built || typeof built !== 'object' || Array.isArray(built)) return [`${path || '.'} (not an object in the built body)`];
  return Object.entries(recorded as Json).flatMap(([key, value]) => {
    const here = path ? `${path}.${key}` : key;
    if (!(key in (built as Json))) return [here];
    return missingKeys(value, (built as Json)[key], here);
  });
}

/** The payloads of a recorded stream (`.sse` data lines or `.chunks.jsonl` lines), `[DONE]` left out. */
function streamPayloads(name: string): Json[] {
  const text = readFixture(name);
  const lines = name.endsWith('.sse')
    ? text
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
    : text.split('\n');
  return lines.filter((line) => line !== '' && line !== '[DONE]').map((line) => JSON.parse(line) as Json);
}

const recordedNames = (prefix: string, suffix: RegExp) =>
  noRecordings ? [] : listFixtures().filter((name) => name.startsWith(prefix) && suffix.test(name));

describe.skipIf(noRecordings)('built JSON bodies carry every recorded field', () => {
  it('Chat Completions: envelope, choice, message and usage', () => {
    const built = chatCompletion({ content: 'Paris.' }) as Json & { choices: Json[] };
    for (const name of ['openai_chat_text_1.json', 'openai_chat_text_2.json', 'openai_chat_jsonschema_1.json']) {
      const recorded = readJsonFixture<Json & { choices: Json[] }>(name);
      const { choices, ...envelope } = recorded;
      expect(missingKeys(envelope, built), name).toEqual([]);
      expect(missingKeys(choices[0], built.choices[0]), `${name} choices[0]`).toEqual([]);
    }
  });

  it('Chat Completions: a tool call', () => {
    const recorded = readJsonFixture<{ choices: { message: { tool_calls: Json[] } }[] }>('openai_chat_toolcalls_1.json');
    const built = chatCompletion({ toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }] }) as {
      choices: { message: { tool_calls: Json[] } }[];
    };
    expect(missingKeys(recorded.choices[0]?.message.tool_calls[0], built.choices[0]?.message.tool_calls[0])).toEqual([]);
  });

  it('Responses: the response object, message, function_call and reasoning items', () => {
    const items: Record<string, Json> = {
      message: outputMessage('Paris.'),
      function_call: functionCall({ callId: 'call_1', name: 'f', arguments: '{}' }),
      reasoning: reasoningItem({ summary: ['s'], encryptedContent: 'gAAAA' }),
    };
    for (const name of recordedNames('openai_responses_', /^(?!.*error).*\d\.json$/)) {
      const recorded = readJsonFixture<Json & { output: Json[] }>(name);
      const { output, ...envelope } = recorded;
      expect(missingKeys(envelope, responseBody({ output: [] })), name).toEqual([]);
      for (const item of output) {
        const built = items[String(item.type)];
        if (!built) continue;
        // Optional fields a request opts into (include: reasoning.encrypted_content, logprobs) count as present.
        expect(missingKeys(item, built), `${name} ${String(item.type)}`).toEqual([]);
      }
    }
  });

  it('Messages: the message object and its usage', () => {
    for (const name of ['anthropic_messages_text_1.json', 'anthropic_messages_cache_1.json', 'anthropic_messages_tooluse_2.json']) {
      const recorded = readJsonFixture<Json & { content: Json[] }>(name);
      const { content, ...envelope } = recorded;
      expect(missingKeys(envelope, anthropicMessage({ content: [textBlock('x')] })), name).toEqual([]);
      for (const block of content) {
        const built = block.type === 'tool_use' ? toolUseBlock('toolu_1', 'f') : textBlock('x');
        expect(missingKeys(block, built), `${name} ${String(block.type)}`).toEqual([]);
      }
    }
  });
});

describe.skipIf(noRecordings)('built streams send every recorded event type and field', () => {
  it('Responses: the typed events of text and function-call streams', () => {
    const built = new Set(
      responseStreamEvents({
        output: [
          reasoningItem({ summary: ['s'] }),
          outputMessage('Paris is.'),
          functionCall({ callId: 'call_1', name: 'f', arguments: '{"a":1}' }),
        ],
      }).map((event) => event.event),
    );
    for (const name of recordedNames('openai_responses_stream', /\.sse$/)) {
      const types = new Set(streamPayloads(name).map((payload) => String(payload.type)));
      expect(
        [...types].filter((type) => !built.has(type)),
        name,
      ).toEqual([]);
    }
  });

  it('Responses: the fields of each delta and done event', () => {
    const events = responseStreamEvents({
      output: [outputMessage('Paris is.'), functionCall({ callId: 'call_1', name: 'f', arguments: '{"a":1}' })],
    });
    // Keyed by event type and, for item events, the item's type.
    const keyOf = (payload: Json) => `${String(payload.type)}:${String((payload.item as Json | undefined)?.type ?? '')}`;
    const byType = new Map(events.map((event) => [keyOf(event.data as Json), event.data as Json]));
    for (const name of recordedNames('openai_responses_stream', /\.sse$/)) {
      for (const payload of streamPayloads(name)) {
        const key = keyOf(payload);
        if (!/\.(delta|done):/.test(key) || !byType.has(key)) continue;
        expect(missingKeys(payload, byType.get(key)), `${name} ${key}`).toEqual([]);
      }
    }
  });

  it('Messages: the events and delta types of text, thinking and tool-use streams', () => {
    const events = anthropicStreamEvents({
      content: [thinkingBlock('t', 'sig'), textBlock('Hello there.'), toolUseBlock('toolu_1', 'f', { a: 1 })],
    });
    const built = new Set(
      events.flatMap((event) => [String(event.event), String(((event.data as Json).delta as Json | undefined)?.type ?? '')]),
    );
    for (const name of recordedNames('anthropic_messages_stream', /\.(sse|chunks\.jsonl)$/)) {
      const types = new Set(
        streamPayloads(name).flatMap((payload) => [
          String(payload.type),
          ...(payload.delta ? [String((payload.delta as Json).type ?? '')] : []),
        ]),
      );
      types.delete('');
      expect(
        [...types].filter((type) => !built.has(type)),
        name,
      ).toEqual([]);
    }
  });

  it('Chat Completions: chunk envelopes and delta fields', () => {
    const chunks = chatCompletionChunks({ content: 'Paris is.', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{"a":1}' }] });
    const builtDeltaKeys = new Set(
      chunks.flatMap((chunk) => ((chunk.choices as Json[])[0] ? Object.keys((chunk.choices as Json[])[0]?.delta as Json) : [])),
    );
    for (const name of recordedNames('openai_chat_stream', /\.(sse|chunks\.jsonl)$/)) {
      for (const payload of streamPayloads(name)) {
        const { choices, usage, ...envelope } = payload as Json & { choices: Json[]; usage?: unknown };
        expect(missingKeys(envelope, chunks[0]), name).toEqual([]);
        for (const key of Object.keys((choices[0]?.delta as Json | undefined) ?? {}))
          expect(builtDeltaKeys, `${name} delta.${key}`).toContain(key);
      }
    }
  });
});
