import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceLine, fixtureResponse, fixturesDir, listFixtures, recordedPayloads, recordedStatus } from './fixtures.js';
import { startWireServer, type WireServer } from './wire-server.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());

const post = (path: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    signal,
  });

describe('wire server', () => {
  it('binds to 127.0.0.1, replays queued responses in order and captures requests', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    server.enqueue('/v1/x', { json: { n: 1 } }, () => ({ json: { n: 2 }, status: 201, headers: { 'x-request-id': 'req_1' } }));
    const first = await post('/v1/x', { a: 1 });
    const second = await post('/v1/x?k=v', { a: 2 });
    expect(await first.json()).toEqual({ n: 1 });
    expect(second.status).toBe(201);
    expect(second.headers.get('x-request-id')).toBe('req_1');
    const captured = server.requestsTo('/v1/x');
    expect(captured.map((request) => request.body)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(captured[1]?.query).toEqual({ k: 'v' });
    expect(captured[0]?.headers.authorization).toBe('Bearer k');
  });

  it('answers an unscripted request with a clear 500', async () => {
    const response = await post('/v1/nothing', {});
    expect(response.status).toBe(500);
    expect(JSON.stringify(await response.json())).toContain('No scripted response for POST /v1/nothing');
  });

  it('frames SSE events, drops connections, and counts clients that leave during a delay', async () => {
    server.enqueue('/v1/s', { events: [{ data: { a: 1 } }, { event: 'e', data: 'x' }], done: true });
    const text = await (await post('/v1/s', {})).text();
    expect(text).toBe('data: {"a":1}\n\nevent: e\ndata: x\n\ndata: [DONE]\n\n');
    server.enqueue('/v1/d', { drop: 'immediately' });
    await expect(post('/v1/d', {})).rejects.toThrow();
    server.enqueue('/v1/slow', { json: {}, delayMs: 5_000 });
    const before = server.disconnects;
    await expect(post('/v1/slow', {}, AbortSignal.timeout(50))).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.disconnects).toBe(before + 1);
  });

  it('serves a payload folder: JSON with its recorded status and headers (both recorder formats), chunk files framed per API', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lllm-payloads-'));
    const saved = { dir: process.env.LLLM_FIXTURES_DIR, off: process.env.LLLM_FIXTURES };
    try {
      await writeFile(
        join(dir, 'openai_chat_error400_9.json'),
        JSON.stringify({ error: { message: 'bad', type: 'invalid_request_error' } }),
      );
      await writeFile(
        join(dir, 'openai_chat_error400_9.headers.json'),
        JSON.stringify({ status: { code: 400 }, headers: { 'openai-version': ['2020-10-01'], 'content-length': ['99'] } }),
      );
      await writeFile(join(dir, 'anthropic_messages_error429_9.headers.json'), JSON.stringify({ 'request-id': 'req_9' }));
      await writeFile(join(dir, 'anthropic_messages_stream_9.chunks.jsonl'), '{"type":"message_stop"}\n\n');
      process.env.LLLM_FIXTURES_DIR = dir;
      delete process.env.LLLM_FIXTURES;
      expect(recordedPayloads()).toEqual({ available: true, dir });
      expect(listFixtures()).toContain('openai_chat_error400_9.json');
      server.enqueue('/v1/f', fixtureResponse('openai_chat_error400_9.json'));
      const response = await post('/v1/f', {});
      expect(response.status).toBe(400);
      expect(response.headers.get('openai-version')).toBe('2020-10-01');
      expect(response.headers.get('content-length')).not.toBe('99');
      expect(recordedStatus('anthropic_messages_error429_9')).toEqual({ status: 200, headers: { 'request-id': 'req_9' } });
      expect(fixtureResponse('anthropic_messages_stream_9.chunks.jsonl')).toEqual({
        events: [{ event: 'message_stop', data: { type: 'message_stop' } }],
        done: false,
      });
      process.env.LLLM_FIXTURES = 'off';
      expect(recordedPayloads()).toEqual({ available: false, dir: undefined, reason: 'hidden by LLLM_FIXTURES=off' });
      expect(conformanceLine()).toBe('conformance: skipped — hidden by LLLM_FIXTURES=off');
      expect(() => fixturesDir()).toThrow('point LLLM_FIXTURES_DIR at the folder');
      delete process.env.LLLM_FIXTURES;
      process.env.LLLM_FIXTURES_DIR = join(dir, 'missing');
      expect(conformanceLine()).toBe(
        `conformance: skipped — no recorded payloads at ${join(dir, 'missing')} (LLLM_FIXTURES_DIR=${join(dir, 'missing')} does not exist)`,
      );
      expect(recordedPayloads({ LLLM_FIXTURES_DIR: 'off' })).toMatchObject({ available: false, reason: 'hidden by LLLM_FIXTURES_DIR=off' });
    } finally {
      for (const [name, value] of [
        ['LLLM_FIXTURES_DIR', saved.dir],
        ['LLLM_FIXTURES', saved.off],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});
