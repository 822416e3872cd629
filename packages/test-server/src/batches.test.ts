import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBatchApis } from './batches.js';
import { chatCompletion } from './bodies/openai-chat.js';
import { startWireServer, type WireServer } from './wire-server.js';

let server: WireServer;

beforeAll(async () => {
  server = await startWireServer();
});
afterAll(async () => {
  await server.close();
});

async function upload(text: string): Promise<{ id: string; bytes: number; purpose: string }> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([text]), 'in.jsonl');
  return (await (await fetch(`${server.url}/v1/files`, { method: 'POST', body: form })).json()) as {
    id: string;
    bytes: number;
    purpose: string;
  };
}

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('serveBatchApis', () => {
  it('runs an OpenAI batch job line by line against the scripted endpoint and stores the output file', async () => {
    server.reset();
    serveBatchApis(server, { processingMs: 10 });
    server.enqueue(
      '/v1/chat/completions',
      { json: chatCompletion({ content: 'first' }) },
      { status: 500, json: { error: { message: 'boom', type: 'server_error' } } },
    );
    const line = (id: string) =>
      JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/chat/completions', body: { model: 'm', messages: [] } });
    const file = await upload(`${line('a')}\n${line('b')}\n`);
    expect(file).toMatchObject({ purpose: 'batch', bytes: Buffer.byteLength(`${line('a')}\n${line('b')}\n`) });
    const created = await post('/v1/batches', { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(created.body).toMatchObject({ object: 'batch', status: 'validating', request_counts: { total: 2 } });
    let batch: Record<string, unknown> = created.body;
    for (let polls = 0; batch.status !== 'completed' && polls < 200; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      batch = (await (await fetch(`${server.url}/v1/batches/${created.body.id}`)).json()) as Record<string, unknown>;
    }
    expect(batch).toMatchObject({ status: 'completed', request_counts: { total: 2, completed: 1, failed: 1 } });
    const output = await (await fetch(`${server.url}/v1/files/${batch.output_file_id}/content`)).text();
    expect(JSON.parse(output.trim())).toMatchObject({
      custom_id: 'a',
      response: { status_code: 200, body: { object: 'chat.completion' } },
    });
    const errors = await (await fetch(`${server.url}/v1/files/${batch.error_file_id}/content`)).text();
    expect(JSON.parse(errors.trim())).toMatchObject({ custom_id: 'b', response: { status_code: 500 } });
  });

  it('rejects bad jobs in the documented error shapes', async () => {
    server.reset();
    serveBatchApis(server);
    const file = await upload('{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{}}\n');
    expect(await post('/v1/batches', { input_file_id: file.id, endpoint: '/v1/nope', completion_window: '24h' })).toMatchObject({
      status: 400,
      body: { error: { message: 'Invalid \'endpoint\': "/v1/nope".', param: 'endpoint' } },
    });
    expect(
      (await post('/v1/batches', { input_file_id: 'file-missing', endpoint: '/v1/chat/completions', completion_window: '24h' })).status,
    ).toBe(400);
    expect(await post('/v1/messages/batches', { requests: [{ custom_id: 'bad id!', params: {} }] })).toMatchObject({
      status: 400,
      body: { type: 'error', error: { type: 'invalid_request_error' } },
    });
    expect((await fetch(`${server.url}/v1/messages/batches/msgbatch_x`)).status).toBe(404);
  });
});
