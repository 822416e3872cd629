// The replay viewer over real HTTP: a token on every request, loopback only, foreign Host and Origin
// refused (DNS rebinding, other sites' pages), a busy port reported clearly, secrets redacted.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Dialog, Message, registerSecret } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteLogStore } from './sqlite-store.js';
import { type ReplayViewer, serveReplayViewer } from './viewer.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-viewer-'));
const store = new SqliteLogStore({ directory: folder });
let viewer: ReplayViewer;
// A value that becomes known as a secret only after it was logged (a key set later, say).
const lateSecret = `late-secret-${Date.now()}-value`;

beforeAll(async () => {
  const dialog = Dialog.create({ log: { store, session: 'private-run' }, system: 'You are helpful.' });
  dialog.append(new Message({ role: 'user', content: `my key is ${lateSecret}`, creator: 'user' }));
  await store.flush();
  registerSecret(lateSecret);
  viewer = await serveReplayViewer({ store });
});
afterAll(async () => {
  await viewer.close();
  await store.close();
  rmSync(folder, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so Host and Origin can be anything (fetch would not let a test forge Host). */
function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  const { port } = new URL(viewer.origin);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port: Number(port), path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('replay viewer access', () => {
  it('prints a URL with a long random token, on 127.0.0.1', () => {
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    expect(viewer.url).toBe(`${viewer.origin}/?token=${viewer.token}`);
  });

  it('refuses every request without the token, or with a wrong one', async () => {
    for (const path of ['/', '/api/sessions', '/api/sessions/private-run']) {
      const reply = await get(path);
      expect(reply.status).toBe(401);
      expect(reply.body).not.toContain('private-run');
    }
    expect((await get(`/api/sessions?token=${viewer.token.slice(0, -1)}x`)).status).toBe(401);
    expect((await get('/api/sessions', { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    expect((await get('/api/sessions', { cookie: 'lllm_replay=whatever' })).status).toBe(401);
  });

  it('the first visit trades the token in the URL for a cookie, which then opens the page and the API', async () => {
    const first = await get(`/?token=${viewer.token}&session=private-run`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/?session=private-run');
    const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
    const page = await get('/?session=private-run', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>LLLM replay</title>');
    expect(page.headers['x-frame-options']).toBe('DENY');
    const sessions = JSON.parse((await get('/api/sessions', { cookie })).body) as { session: string }[];
    expect(sessions.map((info) => info.session)).toEqual(['private-run']);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, even with the token', async () => {
    const auth = { authorization: `Bearer ${viewer.token}` };
    const { port } = new URL(viewer.origin);
    const rebound = await get('/api/sessions/private-run', { ...auth, host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).not.toContain('helpful');
    expect((await get('/api/sessions', { ...auth, origin: 'http://attacker.example' })).status).toBe(403);
    expect((await get('/api/sessions', { ...auth, origin: `http://localhost:${Number(port) + 1}` })).status).toBe(403);
    expect((await get('/api/sessions', { ...auth, host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('serves transcripts redacted of secrets known now, even ones logged before they were known', async () => {
    const reply = await get('/api/sessions/private-run', { authorization: `Bearer ${viewer.token}` });
    expect(reply.status).toBe(200);
    expect(reply.body).not.toContain(lateSecret);
    expect(reply.body).toContain('my key is [REDACTED]');
    expect(JSON.parse(reply.body).end).toBeNull();
  });
});

describe('replay viewer setup mistakes', () => {
  it('refuses a host that is not loopback unless allowNonLoopback is set', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      const error = await serveReplayViewer({ store, host }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(`host ${JSON.stringify(host)} is not loopback`);
      expect((error as Error).message).toContain('allowNonLoopback: true');
    }
  });

  it('a busy port is a clear error naming it and the fix', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as AddressInfo;
    try {
      const error = await serveReplayViewer({ store, port }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(ConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(
        `Port ${port} on 127.0.0.1 is already in use: choose another with --port, or --port 0 for a free one.`,
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
