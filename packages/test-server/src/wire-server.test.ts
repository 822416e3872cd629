import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureResponse, listFixtures } from './fixtures.js';
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

  it('serves recorded fixtures with their recorded status and headers', async () => {
    expect(listFixtures()).toContain('openai_chat_error400_1.json');
    server.enqueue('/v1/f', fixtureResponse('openai_chat_error400_1.json'));
    const response = await post('/v1/f', {});
    expect(response.status).toBe(400);
    expect(response.headers.get('openai-version')).toBe('2020-10-01');
  });
});
