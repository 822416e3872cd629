// The egress proxy at the wire, driven by plain Node sockets (the browser tests drive it with Chromium):
// what it forwards, what it refuses, and that refusals never reach the destination.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { InvalidArgumentError } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { OriginAllowlist } from './allowlist.js';
import { EgressProxy, type RefusedEgress } from './egress-proxy.js';
import { type RecordingProxy, startRecordingProxy } from './test-egress.js';

let allowed: Server;
let foreign: Server;
let allowedOrigin: string;
let foreignOrigin: string;
const foreignHits: string[] = [];
const refused: RefusedEgress[] = [];
let proxy: EgressProxy;
let chained: EgressProxy;
let recorder: RecordingProxy;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** An absolute-form request through `proxyUrl`. */
function viaProxy(proxyUrl: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port: Number(port), path: target, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** The status line a `CONNECT authority` gets. */
function tunnel(proxyUrl: string, authority: string): Promise<string> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    });
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      head += chunk;
      if (head.includes('\r\n')) {
        socket.destroy();
        resolve(head.split('\r\n')[0] ?? '');
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(head.split('\r\n')[0] ?? ''));
  });
}

/** A socket tunnelled through `proxyUrl` to `authority` (after its `200`). */
function openTunnel(proxyUrl: string, authority: string): Promise<Socket> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 200')) reject(new Error(head.toString('latin1')));
      else resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  allowed = createServer((request, response) => response.end(`allowed ${request.url}`));
  const sockets = new WebSocketServer({ server: allowed });
  sockets.on('connection', (ws) => ws.on('message', (data) => ws.send(`echo ${String(data)}`)));
  foreign = createServer((request, response) => {
    foreignHits.push(request.url ?? '');
    response.end('foreign');
  });
  foreign.on('upgrade', (request, socket) => {
    foreignHits.push(`upgrade ${request.url}`);
    socket.destroy();
  });
  allowedOrigin = await listen(allowed);
  foreignOrigin = await listen(foreign);
  const allowlist = new OriginAllowlist([allowedOrigin]);
  proxy = await EgressProxy.start({ allowlist, onRefused: (item) => refused.push(item) });
  recorder = await startRecordingProxy();
  chained = await EgressProxy.start({ allowlist, upstreamProxy: recorder.url });
});

afterAll(async () => {
  await proxy?.close();
  await chained?.close();
  await recorder?.close();
  allowed?.closeAllConnections();
  foreign?.closeAllConnections();
  await Promise.all([allowed, foreign].map((server) => new Promise((resolve) => server?.close(resolve))));
});

describe('OriginAllowlist', () => {
  test('exact origins, wildcard hosts, WebSocket schemes and tunnels', () => {
    const list = new OriginAllowlist(['http://127.0.0.1:8080', 'https://*.example.com']);
    expect(list.allows('http://127.0.0.1:8080/a?b')).toBe(true);
    expect(list.allows('ws://127.0.0.1:8080/socket')).toBe(true);
    expect(list.allows('http://127.0.0.1:8081/')).toBe(false);
    expect(list.allows('http://localhost:8080/')).toBe(false);
    expect(list.allows('https://api.example.com/x')).toBe(true);
    expect(list.allows('wss://api.example.com/x')).toBe(true);
    expect(list.allows('https://example.com.evil.test/')).toBe(false);
    expect(list.allows('http://api.example.com/')).toBe(false);
    expect(list.allows('about:blank')).toBe(true);
    expect(list.allows('data:text/html,hi')).toBe(false);
    expect(list.allowsTunnel('127.0.0.1:8080')).toBe(true);
    expect(list.allowsTunnel('api.example.com:443')).toBe(true);
    expect(list.allowsTunnel('api.example.com:8443')).toBe(false);
    expect(list.describe()).toBe('http://127.0.0.1:8080, https://*.example.com');
    expect(() => new OriginAllowlist(['*.example.com'])).toThrow(InvalidArgumentError);
    expect(() => new OriginAllowlist(['not a url'])).toThrow(
      'Allowed origin "not a url" is not a URL; write it like "http://127.0.0.1:8080".',
    );
  });
});

describe('EgressProxy', () => {
  test('forwards allowed HTTP and refuses the rest without touching it', async () => {
    expect(await viaProxy(proxy.url, `${allowedOrigin}/page?x=1`)).toEqual({ status: 200, body: 'allowed /page?x=1' });
    const blocked = await viaProxy(proxy.url, `${foreignOrigin}/secret`);
    expect(blocked.status).toBe(403);
    expect(blocked.body).toContain(`${foreignOrigin} is not in this browser's origin allowlist`);
    const navigation = await viaProxy(proxy.url, `${foreignOrigin}/nav`, { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    expect(navigation.status).toBe(204);
    expect(refused).toContainEqual({ target: `${foreignOrigin}/nav`, method: 'GET', fetchDest: 'document', fetchMode: 'navigate' });
    // Origin-form requests are not proxy requests.
    expect((await viaProxy(proxy.url, '/relative')).status).toBe(400);
    expect(foreignHits).toEqual([]);
  });

  test('tunnels open only to allowed host:port; authority tricks are refused', async () => {
    const allowedAuthority = allowedOrigin.replace('http://', '');
    const foreignAuthority = foreignOrigin.replace('http://', '');
    expect(await tunnel(proxy.url, allowedAuthority)).toBe('HTTP/1.1 200 Connection Established');
    expect(await tunnel(proxy.url, foreignAuthority)).toBe('HTTP/1.1 403 Forbidden');
    expect(await tunnel(proxy.url, `${foreignAuthority}@${allowedAuthority}`)).toBe('HTTP/1.1 403 Forbidden');
    expect(await tunnel(proxy.url, `${allowedAuthority}/path`)).toBe('HTTP/1.1 403 Forbidden');
    expect(refused.map((item) => item.target)).toEqual(
      expect.arrayContaining([foreignAuthority, `${foreignAuthority}@${allowedAuthority}`]),
    );
    expect(foreignHits).toEqual([]);
  });

  test('WebSockets: through a tunnel to an allowed server they work; an absolute-form upgrade off the list is refused', async () => {
    const authority = allowedOrigin.replace('http://', '');
    const tunnelled = await openTunnel(proxy.url, authority);
    const socket = new WebSocket(`ws://${authority}/ws`, { createConnection: () => tunnelled });
    const echo = await new Promise<string>((resolve, reject) => {
      socket.once('open', () => socket.send('hi'));
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    expect(echo).toBe('echo hi');
    socket.close();
    const { hostname, port } = new URL(proxy.url);
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({
        host: hostname,
        port: Number(port),
        path: `${foreignOrigin.replace('http', 'ws')}/socket`,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
        agent: false,
      });
      request.on('response', (response) => resolve(response.statusCode ?? 0));
      request.on('upgrade', () => resolve(101));
      request.on('error', reject);
      request.end();
    });
    expect(status).toBe(403);
    expect(foreignHits).toEqual([]);
  });

  test('a listener that throws neither stops the refusal nor the proxy', async () => {
    const throwing = await EgressProxy.start({
      allowlist: new OriginAllowlist([allowedOrigin]),
      onRefused: () => {
        throw new Error('listener bug');
      },
    });
    try {
      expect((await viaProxy(throwing.url, `${foreignOrigin}/x`)).status).toBe(403);
      expect(await tunnel(throwing.url, foreignOrigin.replace('http://', ''))).toBe('HTTP/1.1 403 Forbidden');
      expect((await viaProxy(throwing.url, `${allowedOrigin}/still`)).body).toBe('allowed /still');
    } finally {
      await throwing.close();
    }
    expect(foreignHits).toEqual([]);
  });

  test('with an upstream proxy, allowed traffic goes through it and refused traffic never reaches it', async () => {
    expect(await viaProxy(chained.url, `${allowedOrigin}/via-upstream`)).toEqual({ status: 200, body: 'allowed /via-upstream' });
    expect((await viaProxy(chained.url, `${foreignOrigin}/nope`)).status).toBe(403);
    expect(await tunnel(chained.url, allowedOrigin.replace('http://', ''))).toBe('HTTP/1.1 200 Connection Established');
    expect(await tunnel(chained.url, foreignOrigin.replace('http://', ''))).toBe('HTTP/1.1 403 Forbidden');
    expect(recorder.hosts()).toEqual([allowedOrigin.replace('http://', '')]);
    expect(recorder.requests.map((request) => request.kind).sort()).toEqual(['connect', 'http']);
    expect(foreignHits).toEqual([]);
    await expect(EgressProxy.start({ allowlist: new OriginAllowlist([]), upstreamProxy: 'http://user:pw@host:1' })).rejects.toThrow(
      /upstreamProxy "http:\/\/user:pw@host:1" is not an HTTP proxy address/,
    );
  });
});
