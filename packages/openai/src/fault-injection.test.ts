// Fault injection: a few hundred agent calls through the real `openai` SDK and our Chat Completions
// invoker against a loopback wire server that answers at random (fixed seed) with 429s carrying
// retry-after, 500s, 503s, connection resets, bodies cut mid-way, stalls before the headers and in
// the middle of a stream, malformed JSON, wrong-typed fields and bad usage. Every call must end in a
// result or a typed AgentCallError within its budgets, and every request the server saw must be in
// the SQLite log — whether its call succeeded or failed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AGENT_CALL_ERROR_EVENT,
  Agent,
  AgentCallError,
  type AgentCallErrorRecord,
  createSilentStream,
  Message,
  type MessageJSON,
} from '@lllm/core';
import { ReplaySession, SqliteLogStore } from '@lllm/log';
import { Prompt } from '@lllm/prompts';
import { type CapturedRequest, type ScriptedResponse, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAI } from './provider.js';

const CHAT = '/v1/chat/completions';
const CALLS = 200;
const CONCURRENCY = 8;
const SESSION = 'fault-injection';

/** mulberry32: a small seeded generator, so the fault mix is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const usage = { prompt_tokens: 20, completion_tokens: 5 };
const completion = (content: unknown, extra: Record<string, unknown> = {}) => ({
  json: {
    id: 'chatcmpl-fault',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage,
    ...extra,
  },
});
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  data: {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, finish_reason: finish }],
  },
});
const streamed = (content: string): ScriptedResponse => ({
  events: [
    chunk({ role: 'assistant', content: '' }),
    chunk({ content }),
    chunk({}, 'stop'),
    { data: { ...chunk({}).data, choices: [], usage } },
  ],
  done: true,
});
const error = (status: number, type: string, headers: Record<string, string> = {}): ScriptedResponse => ({
  status,
  headers,
  json: { error: { message: `injected ${status}`, type, code: null, param: null } },
});

type Fault =
  | 'ok'
  | 'unparsable'
  | 'rate_limit'
  | 'server_500'
  | 'server_503'
  | 'reset'
  | 'cut_body'
  | 'stall'
  | 'stream_stall'
  | 'malformed_json'
  | 'wrong_type'
  | 'no_choices'
  | 'bad_usage';

const FAULTS: readonly [Fault, number][] = [
  ['ok', 42],
  ['unparsable', 6],
  ['rate_limit', 8],
  ['server_500', 6],
  ['server_503', 5],
  ['reset', 5],
  ['cut_body', 4],
  ['stall', 4],
  ['stream_stall', 3],
  ['malformed_json', 4],
  ['wrong_type', 5],
  ['no_choices', 4],
  ['bad_usage', 4],
];
const TOTAL_WEIGHT = FAULTS.reduce((sum, [, weight]) => sum + weight, 0);

function pick(random: () => number): Fault {
  let roll = random() * TOTAL_WEIGHT;
  for (const [fault, weight] of FAULTS) {
    roll -= weight;
    if (roll < 0) return fault;
  }
  return 'ok';
}

function respond(fault: Fault, streaming: boolean): ScriptedResponse {
  const answer = '<answer>42</answer>';
  switch (fault) {
    case 'ok':
      return streaming ? streamed(answer) : completion(answer);
    case 'unparsable':
      return streaming ? streamed('forty-two') : completion('forty-two');
    case 'rate_limit':
      return error(429, 'rate_limit_exceeded', { 'retry-after-ms': '3' });
    case 'server_500':
      return error(500, 'server_error');
    case 'server_503':
      return error(503, 'service_unavailable');
    case 'reset':
      return { drop: 'immediately' };
    case 'cut_body':
      return { drop: 'mid-body' };
    case 'stall':
      return { ...completion(answer), delayMs: 20_000 };
    case 'stream_stall':
      // Headers and one event, then silence: only streaming requests can stall mid-stream.
      return streaming
        ? { events: [chunk({ role: 'assistant', content: '<ans' })], eventDelayMs: 20_000, done: true }
        : { ...completion(answer), delayMs: 20_000 };
    case 'malformed_json':
      return { raw: '{"id": "chatcmpl-fault", "choices": [{"index": 0, "message": {"content": "<answer>4' };
    case 'wrong_type':
      return completion(12345);
    case 'no_choices':
      return completion(answer, { choices: [] });
    case 'bad_usage':
      return completion(answer, { usage: { prompt_tokens: 20 } });
  }
}

let server: WireServer;
let directory: string;
let opened: SqliteLogStore | undefined;
const injected = new Map<Fault, number>();

beforeAll(async () => {
  server = await startWireServer();
  directory = mkdtempSync(join(tmpdir(), 'lllm-fault-injection-'));
  const random = seeded(20_261_126);
  server.respondAlways(CHAT, (request: CapturedRequest) => {
    const fault = pick(random);
    injected.set(fault, (injected.get(fault) ?? 0) + 1);
    return respond(fault, (request.body as { stream?: boolean } | undefined)?.stream === true);
  });
});
afterAll(async () => {
  await opened?.close();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('agent calls under injected faults', () => {
  it(`${CALLS} calls: each resolves or fails typed, in bounds, and every request is in the log`, async () => {
    const store = new SqliteLogStore({ path: join(directory, 'faults.sqlite') });
    opened = store;
    const provider = createOpenAI({ apiKey: 'sk-test-fault-injection-00000000000', baseURL: server.openaiBaseURL });
    const system = new Prompt({ path: 'faults/system', prompt: 'You answer questions.' });
    const task = new Prompt({ path: 'faults/task', prompt: 'Question {n}: what is six times seven?', requiredXmlTags: ['answer'] });
    // Short enough to keep the test quick, long enough that a loaded machine does not time out healthy requests.
    const limits = { timeoutMs: 1_000, streamIdleTimeoutMs: 1_000 };
    const makeAgent = (streaming: boolean) =>
      new Agent({
        name: streaming ? 'streamer' : 'caller',
        systemPrompt: system,
        model: 'gpt-4o-mini',
        invoker: provider.chat(),
        log: store,
        session: SESSION,
        maxLlmRecall: 3,
        maxExceptionRetry: 2,
        backoff: { initialDelayMs: 1, maxDelayMs: 4 },
        ...limits,
        ...(streaming ? { streamReplies: true, stream: createSilentStream() } : {}),
      });
    const agents = [makeAgent(false), makeAgent(true)];

    type Outcome = { ok: true; ms: number } | { ok: false; kind: string; typed: boolean; ms: number };
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CALLS) {
        const index = next++;
        const agent = agents[index % 2] as Agent;
        const dialog = agent.initDialog();
        dialog.sendMessage(task, { n: index });
        const started = Date.now();
        try {
          const result = await agent.call(dialog);
          expect(result.parsed).toMatchObject({ xmlTags: { answer: ['42'] } });
          outcomes.push({ ok: true, ms: Date.now() - started });
        } catch (caught) {
          const typed = AgentCallError.isInstance(caught);
          outcomes.push({ ok: false, kind: typed ? caught.kind : String(caught), typed, ms: Date.now() - started });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await store.flush();

    // Every call ended, typed, within its budgets.
    expect(outcomes).toHaveLength(CALLS);
    const failures = outcomes.filter((outcome): outcome is Extract<Outcome, { ok: false }> => !outcome.ok);
    expect(failures.filter((failure) => !failure.typed)).toEqual([]);
    expect(failures.filter((failure) => failure.kind !== 'provider' && failure.kind !== 'parse')).toEqual([]);
    // At most (1 + maxExceptionRetry) replies × (1 + maxLlmRecall) timeouts of 1 s, plus rate-limit waits of a few ms.
    const bound = 3 * 4 * 1_000 + 8 * 10 + 2_000;
    expect(Math.max(...outcomes.map((outcome) => outcome.ms))).toBeLessThan(bound);
    expect(outcomes.some((outcome) => outcome.ok)).toBe(true);
    expect(failures.length).toBeGreaterThan(0);
    for (const [fault] of FAULTS) expect(injected.get(fault) ?? 0, `fault ${fault} injected`).toBeGreaterThan(0);

    // Every request the server saw is one logged reply: accepted, pruned (unparsable), or a logged fault.
    const entries = await store.read('messages', SESSION);
    const replies = entries
      .filter((entry) => entry.data.message !== undefined && entry.data.copied !== true)
      .map((entry) => Message.fromJSON(entry.data.message as unknown as MessageJSON))
      .filter((message) => message.role === 'assistant' || message.role === 'tool_call');
    const requests = server.requestsTo(CHAT).length;
    expect(replies).toHaveLength(requests);
    const faults = replies.filter((message) => message.finishReason === 'error');
    const faultKinds = new Set(faults.map((message) => message.attempts[0]?.provider?.errorKind));
    expect(faultKinds).toEqual(new Set(['rate_limit', 'server', 'connection', 'timeout', 'invalid_response']));
    expect(faults.every((message) => typeof message.attempts[0]?.provider?.durationMs === 'number')).toBe(true);
    expect(
      faults
        .filter((message) => message.attempts[0]?.provider?.errorKind === 'rate_limit')
        .every((message) => message.attempts[0]?.provider?.retryAfterMs === 3),
    ).toBe(true);

    // Every failed call left its final error, with its attempts; a replay reads them all.
    const records = entries
      .filter((entry) => entry.data.event === AGENT_CALL_ERROR_EVENT)
      .map((entry) => entry.data as unknown as AgentCallErrorRecord);
    expect(records).toHaveLength(failures.length);
    expect(records.every((record) => record.attempts.length > 0)).toBe(true);
    const replay = await ReplaySession.load(store, SESSION);
    expect(replay.callErrors).toHaveLength(failures.length);
    const replayed = replay.agents.reduce((sum, agent) => sum + agent.replies + agent.retries, 0);
    expect(replayed).toBe(requests);
  }, 120_000);
});
