// A secret the model streams back, split across two deltas at every possible boundary, never reaches
// the terminal or the frontend log: the real `openai` client against the local wire server, the
// agent call with `streamReplies`, a `ConsoleStream` writing to a captured output and a log store.
import { Agent, ConsoleStream, MemoryLogStore, REDACTED, registerSecret } from '@lllm/core';
import { Prompt } from '@lllm/prompts';
import { chatStream, outputMessage, responseStreamEvents, type SseEvent, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

const SECRET = 'sk-proj-streamed9d3b1f7a0c2e48b6';
const REPLY = `<answer>The deploy value is ${SECRET} — rotate it.</answer>`;
const SHOWN = `<answer>The deploy value is ${REDACTED} — rotate it.</answer>`;

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
  registerSecret(SECRET);
});
afterAll(() => server.close());

const system = new Prompt({ path: 'stream/system', prompt: 'You answer in tags.' });
const task = new Prompt({ path: 'stream/task', prompt: 'Which value? Answer in <answer></answer>.', requiredXmlTags: ['answer'] });

async function streamedCall(api: 'chat' | 'responses') {
  let printed = '';
  const store = new MemoryLogStore();
  const stream = new ConsoleStream({
    output: {
      write: (chunk: string) => {
        printed += chunk;
        return true;
      },
    },
    log: { store, session: 'frontend' },
    color: false,
  });
  const provider = createOpenAI({ apiKey: 'sk-test-stream-key-000000000000', baseURL: server.openaiBaseURL });
  const agent = new Agent({
    name: 'streamer',
    systemPrompt: system,
    model: 'gpt-4o-mini',
    invoker: api === 'chat' ? provider.chat() : provider.responses(),
    stream,
    streamReplies: true,
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(task);
  const result = await agent.call(dialog);
  const logged = (await store.read('frontend', 'frontend')).filter((entry) => entry.data.type === 'text-delta');
  return { result, printed, logged: logged.map((entry) => String(entry.data.text)), stream };
}

describe('streamed replies and secrets split across deltas', () => {
  it('Chat Completions: a known secret split at every boundary is redacted on screen and in the frontend log', async () => {
    const start = REPLY.indexOf(SECRET);
    for (let split = start + 1; split < start + SECRET.length; split++) {
      server.enqueue('/v1/chat/completions', chatStream({ content: REPLY }, { pieces: [REPLY.slice(0, split), REPLY.slice(split)] }));
      const { result, printed, logged, stream } = await streamedCall('chat');
      // The reply itself is the model's, whole; what is shown and logged is redacted.
      expect(result.message.content).toBe(REPLY);
      expect(printed, `split at ${split - start}`).toBe(SHOWN);
      expect(logged.join('')).toBe(SHOWN);
      for (const piece of [printed, ...logged]) expect(piece).not.toMatch(/streamed9d3b|sk-proj-s/);
      // The stream was handed the two deltas as they came.
      expect(stream.events.filter((event) => event.type === 'text-delta')).toHaveLength(2);
    }
  });

  it('Chat Completions: one character per delta', async () => {
    server.enqueue('/v1/chat/completions', chatStream({ content: REPLY }, { pieces: [...REPLY] }));
    const { printed, logged } = await streamedCall('chat');
    expect(printed).toBe(SHOWN);
    expect(logged.join('')).toBe(SHOWN);
  });

  it('Responses API: the word-by-word stream with the secret split at every boundary', async () => {
    const events = responseStreamEvents({ output: [outputMessage(REPLY)] });
    for (let split = 1; split < SECRET.length; split++) {
      // The delta that carries the secret, cut in two at `split` characters into the secret.
      const pieces = events.flatMap((event): SseEvent[] => {
        const data = event.data as Record<string, unknown>;
        const delta = typeof data.delta === 'string' ? data.delta : '';
        const at = delta.indexOf(SECRET);
        if (data.type !== 'response.output_text.delta' || at < 0) return [event];
        return [delta.slice(0, at + split), delta.slice(at + split)].map((part) => ({ ...event, data: { ...data, delta: part } }));
      });
      const renumbered = pieces.map((event, index) => ({ ...event, data: { ...(event.data as object), sequence_number: index } }));
      server.enqueue('/v1/responses', { events: renumbered });
      const { result, printed, logged, stream } = await streamedCall('responses');
      expect(result.message.content).toBe(REPLY);
      expect(printed, `split at ${split}`).toBe(SHOWN);
      expect(logged.join('')).toBe(SHOWN);
      const deltas = stream.events.flatMap((event) => (event.type === 'text-delta' ? [event.text] : []));
      expect(deltas).toContain(SECRET.slice(split));
    }
  });
});
