// Proxies served as MCP servers, driven by the SDK's own Client (and our McpConnection) over
// Streamable HTTP on 127.0.0.1 and over stdio with a spawned TypeScript runner. Nothing is mocked.
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@lllm/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProxy, type ProxyDefinition } from '../define.js';
import { ProxyRuntime } from '../runtime.js';
import { startTestApi, type TestApi } from '../test-api.js';
import { connectMcp } from './connect.js';
import type { McpConnection } from './connection.js';
import { createProxyMcpServer, serveProxyMcpStdio } from './serve.js';
import { type ProxyMcpHttpServer, serveProxyMcpHttp } from './serve-http.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const STDIO_ARGS = ['--conditions=lllm-source', '--import', tsxLoader, join(here, 'test-serve-stdio.ts')];
const TIMEOUT = { timeout: 30_000 };

/** Everything a test opens, closed in afterAll even when a test fails half-way. */
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
}, 30_000);

function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  return content.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('\n');
}

async function sdkClient(url: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'serve-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  cleanups.push(() => client.close());
  return { client, transport };
}

/** A raw HTTP request, for headers `fetch` will not let a caller set (Host). */
function rawPost(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

describe('serveProxyMcpHttp', () => {
  let api: TestApi;
  let weather: ProxyDefinition;
  let waiter: ProxyDefinition;
  let runtime: ProxyRuntime;
  let served: ProxyMcpHttpServer;
  let client: Client;
  const waits = { started: 0, aborted: 0, reasons: [] as unknown[] };

  beforeAll(async () => {
    api = await startTestApi();
    cleanups.push(() => api.close());
    weather = defineProxy({
      path: 'weather',
      name: 'Weather API',
      description: 'Forecasts for cities.',
      baseUrl: api.url,
      endpoints: [
        {
          category: 'forecast',
          endpoint: '/forecast/{city}',
          key: 'daily',
          name: 'Daily forecast',
          description: 'Daily temperatures for a city.',
          parameters: z.object({
            city: z.string().describe('City name'),
            days: z.number().int().min(1).max(5).optional().describe('How many days'),
          }),
          examples: { city: 'Oslo', days: 2 },
          removeKeys: ['debug'],
          dtCutoff: { key: 'list/date', format: '%Y-%m-%d' },
        },
        { category: 'tools', endpoint: '/status/500', key: 'fail', name: 'Failing', description: 'Always 500.' },
      ],
    });
    waiter = defineProxy({
      path: 'waiter',
      name: 'Waiter',
      description: 'Handlers that wait.',
      timeoutMs: 400,
      endpoints: [
        {
          category: 'wait',
          endpoint: '/forever',
          key: 'forever',
          name: 'Forever',
          description: 'Waits until aborted.',
          handler: (_params, { signal }) =>
            new Promise((_resolve, reject) => {
              waits.started += 1;
              signal.addEventListener('abort', () => {
                waits.aborted += 1;
                waits.reasons.push(signal.reason);
                reject(signal.reason);
              });
            }),
        },
      ],
    });
    runtime = new ProxyRuntime({ activate: [weather, waiter], cutoffDate: '2024-06-30' });
    served = await serveProxyMcpHttp(runtime, {
      name: 'weather-mcp',
      version: '9.9.9',
      proxies: ['weather'],
      instructions: 'Weather tools.',
    });
    cleanups.push(() => served.close());
    ({ client } = await sdkClient(served.url));
  }, 30_000);

  it('listens on 127.0.0.1 only and refuses other interfaces', async () => {
    const url = new URL(served.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/mcp');
    await expect(serveProxyMcpHttp(runtime, { host: '0.0.0.0' })).rejects.toSatisfy(
      (error: unknown) => InvalidArgumentError.isInstance(error) && /not a loopback interface/.test((error as Error).message),
    );
    await expect(serveProxyMcpHttp(runtime, { proxies: ['nowhere'] })).rejects.toThrow(/"nowhere".*not activated.*weather, waiter/);
  });

  it('introduces itself and lists one tool per endpoint with its input schema, plus api_docs', TIMEOUT, async () => {
    expect(client.getServerVersion()).toMatchObject({ name: 'weather-mcp', version: '9.9.9' });
    expect(client.getInstructions()).toBe('Weather tools.');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['weather__forecast__daily', 'weather__tools__fail', 'api_docs']);
    const [daily, fail, docs] = tools;
    const endpoint = runtime.endpoints(['weather'])[0];
    expect(daily?.inputSchema).toEqual(endpoint?.parameters);
    expect(daily?.inputSchema).toMatchObject({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
    expect(daily?.description).toBe('Daily forecast: Daily temperatures for a city. (weather/forecast/daily)');
    expect(fail?.description).toContain('weather/tools/fail');
    expect(docs?.inputSchema).toMatchObject({ type: 'object', required: ['paths'] });
  });

  it('calls an endpoint: the cutoff-filtered JSON as text and as structured content', TIMEOUT, async () => {
    const result = await client.callTool({ name: 'weather__forecast__daily', arguments: { city: 'Oslo' } });
    expect(result.isError).toBeFalsy();
    const parsed = JSON.parse(textOf(result)) as { city: string; list: { date: string }[]; debug?: unknown };
    expect(parsed.city).toBe('Oslo');
    // The runtime's cutoff 2024-06-30 withholds that day itself, as upstream's filter_by_dt_cutoff.
    expect(parsed.list.map((entry) => entry.date)).toEqual(['2024-06-28', '2024-06-29']);
    expect(parsed.debug).toBeUndefined();
    expect(result.structuredContent).toEqual(parsed);
    expect(api.requests.at(-1)?.path).toBe('/forecast/Oslo');
  });

  it('answers a failing endpoint with isError and the ProxyError message', TIMEOUT, async () => {
    const result = await client.callTool({ name: 'weather__tools__fail', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(
      /^weather\/tools\/fail failed with HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/status\/500: status 500 as asked/,
    );
  });

  it('answers bad arguments with isError naming the parameter, without calling the API', TIMEOUT, async () => {
    const before = api.requests.length;
    const wrongType = await client.callTool({ name: 'weather__forecast__daily', arguments: { city: 'Oslo', days: 'many' } });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/^Cannot call weather\/forecast\/daily: .*days/);
    const missing = await client.callTool({ name: 'weather__forecast__daily', arguments: {} });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^Cannot call weather\/forecast\/daily: .*city/);
    expect(api.requests.length).toBe(before);
  });

  it('serves api_docs for its proxies only', TIMEOUT, async () => {
    const result = await client.callTool({ name: 'api_docs', arguments: { paths: ['weather/forecast/daily', 'waiter/wait/forever'] } });
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toContain(runtime.retrieveApiDocs(['weather/forecast/daily']));
    expect(text).toContain('City name');
    expect(text).toMatch(/## waiter\/wait\/forever\nNo such endpoint here\. .*Served proxies: weather\./);
    const bad = await client.callTool({ name: 'api_docs', arguments: { paths: 'weather' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/"paths" must be a non-empty list/);
  });

  it('answers an unknown tool as the SDK McpServer does: isError, with suggestions', TIMEOUT, async () => {
    const result = await client.callTool({ name: 'weather__forecast__dialy', arguments: {} });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Tool weather__forecast__dialy not found\. Did you mean "weather__forecast__daily"/);
  });

  it('gives two clients separate sessions; DELETE ends one', TIMEOUT, async () => {
    const first = await sdkClient(served.url);
    const second = await sdkClient(served.url);
    const ours: McpConnection = await connectMcp({ name: 'weather-mcp', transport: { type: 'http', url: served.url }, timeoutMs: 10_000 });
    cleanups.push(() => ours.close());
    expect(first.transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.transport.sessionId).not.toBe(second.transport.sessionId);
    // The client from beforeAll, these two and ours.
    expect(served.sessions).toBe(4);
    const [a, b, c] = await Promise.all([
      first.client.callTool({ name: 'weather__forecast__daily', arguments: { city: 'Bergen', days: 1 } }),
      second.client.callTool({ name: 'weather__forecast__daily', arguments: { city: 'Tromsø', days: 2 } }),
      ours.callTool('weather__forecast__daily', { city: 'Oslo', days: 1 }),
    ]);
    expect((a.structuredContent as { city: string }).city).toBe('Bergen');
    expect((b.structuredContent as { list: unknown[] }).list).toHaveLength(2);
    expect(JSON.parse(textOf(c)).city).toBe('Oslo');

    const ended = first.transport.sessionId as string;
    await first.transport.terminateSession();
    expect(served.sessions).toBe(3);
    const stale = await rawPost(
      served.url,
      { 'mcp-session-id': ended, 'mcp-protocol-version': '2025-06-18' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    );
    expect(stale.status).toBe(404);
    expect(stale.body).toContain('Session not found');
    // The other sessions go on.
    expect((await second.client.listTools()).tools).toHaveLength(3);
    await ours.close();
    await second.client.close();
  });

  it('refuses requests without a session, and requests whose Host or Origin is not loopback', TIMEOUT, async () => {
    const { port } = new URL(served.url);
    const noSession = await rawPost(served.url, {}, { jsonrpc: '2.0', id: 2, method: 'tools/list' });
    expect(noSession.status).toBe(400);
    const rebinding = await rawPost(served.url, { host: `attacker.example:${port}` }, INITIALIZE);
    expect(rebinding.status).toBe(403);
    expect(rebinding.body).toContain('attacker.example');
    const crossOrigin = await rawPost(served.url, { origin: 'https://attacker.example' }, INITIALIZE);
    expect(crossOrigin.status).toBe(403);
    const elsewhere = await rawPost(served.url.replace(/\/mcp$/, '/other'), {}, INITIALIZE);
    expect(elsewhere.status).toBe(404);
    const sessions = served.sessions;
    const localhost = await rawPost(served.url, { host: `localhost:${port}`, origin: `http://localhost:${port}` }, INITIALIZE);
    expect(localhost.status).toBe(200);
    expect(served.sessions).toBe(sessions + 1);
  });

  it('cancels the endpoint call when the client cancels the request; times out as isError', TIMEOUT, async () => {
    const all = await serveProxyMcpHttp(runtime);
    cleanups.push(() => all.close());
    const { client: other } = await sdkClient(all.url);
    expect((await other.listTools()).tools.map((tool) => tool.name)).toContain('waiter__wait__forever');

    const timedOut = await other.callTool({ name: 'waiter__wait__forever', arguments: {} });
    expect(timedOut.isError).toBe(true);
    expect(textOf(timedOut)).toMatch(/^waiter\/wait\/forever timed out after 400 ms/);

    const controller = new AbortController();
    const before = { started: waits.started, aborted: waits.aborted };
    const call = other.callTool({ name: 'waiter__wait__forever', arguments: {} }, undefined, { signal: controller.signal });
    await expect.poll(() => waits.started, { timeout: 5_000 }).toBe(before.started + 1);
    controller.abort(new Error('user pressed stop'));
    await expect(call).rejects.toThrow(/user pressed stop/);
    await expect.poll(() => waits.aborted, { timeout: 5_000 }).toBe(before.aborted + 1);
    // Aborted by the client's cancellation, not by the proxy's 400 ms timeout.
    expect(String(waits.reasons.at(-1))).toContain('user pressed stop');
  });

  it('caps open sessions (503 with retry-after) and ends idle ones, keeping those with an open stream', TIMEOUT, async () => {
    const capped = await serveProxyMcpHttp(runtime, { proxies: ['weather'], maxSessions: 3, sessionIdleMs: 300 });
    cleanups.push(() => capped.close());
    // SDK clients keep a GET stream open for server notifications: they are never idle.
    const { client: first } = await sdkClient(capped.url);
    await sdkClient(capped.url);
    // A raw initialize opens a session and leaves it idle.
    expect((await rawPost(capped.url, {}, INITIALIZE)).status).toBe(200);
    expect(capped.sessions).toBe(3);
    const refused = await fetch(capped.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(INITIALIZE),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^Too many sessions: 3 are open \(maxSessions\)/,
    );
    await expect.poll(() => capped.sessions, { timeout: 5_000 }).toBe(2);
    expect((await first.listTools()).tools.length).toBeGreaterThan(0);
    expect((await rawPost(capped.url, {}, INITIALIZE)).status).toBe(200);
    await expect(serveProxyMcpHttp(runtime, { maxSessions: 0 })).rejects.toThrow(/maxSessions 0 must be a whole number/);
    await expect(serveProxyMcpHttp(runtime, { sessionIdleMs: -1 })).rejects.toThrow(/sessionIdleMs -1 must be a positive number/);
  });

  it('close() ends every session and refuses new connections', TIMEOUT, async () => {
    const closing = await serveProxyMcpHttp(runtime, { proxies: ['weather'] });
    cleanups.push(() => closing.close());
    const { client: one } = await sdkClient(closing.url);
    await sdkClient(closing.url);
    expect(closing.sessions).toBe(2);
    await closing.close();
    expect(closing.sessions).toBe(0);
    await expect(one.listTools()).rejects.toThrow();
    const late = new Client({ name: 'late', version: '1.0.0' });
    await expect(late.connect(new StreamableHTTPClientTransport(new URL(closing.url)))).rejects.toThrow(/ECONNREFUSED|fetch failed/);
    await late.close();
    // close() is idempotent.
    await closing.close();
  });
});

describe('createProxyMcpServer', () => {
  it('builds an unconnected SDK server and rejects proxies the runtime did not activate', async () => {
    const runtime = new ProxyRuntime({ activate: [] });
    const server = await createProxyMcpServer(runtime, { name: 'empty' });
    expect(typeof server.connect).toBe('function');
    await server.close();
    await expect(createProxyMcpServer(runtime, { proxies: ['weather'] })).rejects.toThrow(/"weather".*not activated.*activated: none/);
  });
});

describe('serveProxyMcpStdio', () => {
  it('serves a proxy to a spawned-command client and exits when the client closes stdin', TIMEOUT, async () => {
    const transport = new StdioClientTransport({ command: process.execPath, args: STDIO_ARGS, cwd: here, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'serve-test', version: '1.0.0' });
    cleanups.push(() => client.close());
    await client.connect(transport);
    const pid = transport.pid;
    expect(pid).toBeGreaterThan(0);
    expect(client.getServerVersion()).toMatchObject({ name: 'calc-server', version: '1.2.3' });

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['calc__math__add', 'api_docs']);
    expect(tools[0]?.inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] });
    const sum = await client.callTool({ name: 'calc__math__add', arguments: { a: 2, b: 3 } });
    expect(sum.structuredContent).toEqual({ sum: 5, pid });
    expect(JSON.parse(textOf(sum))).toEqual({ sum: 5, pid });
    const bad = await client.callTool({ name: 'calc__math__add', arguments: { a: 2 } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/^Cannot call calc\/math\/add: .*b/);

    const started = performance.now();
    await client.close();
    // The child left on its own when stdin ended (the SDK would send SIGTERM after 2 s).
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(() => process.kill(pid as number, 0)).toThrow();
    expect(stderr).toContain('stdio server ready');
    expect(stderr).toContain('stdio server closed');
    expect(stderr).toContain('stdio server exit 0');
    expect(stderr).not.toMatch(/Error/);
  });

  it('close() in process stops reading and settles `closed`', TIMEOUT, async () => {
    const calc = defineProxy({
      path: 'calc',
      name: 'Calculator',
      description: 'In code.',
      endpoints: [{ category: 'math', endpoint: '/one', key: 'one', name: 'One', description: 'Returns 1.', handler: () => 1 }],
    });
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const served = await serveProxyMcpStdio(new ProxyRuntime({ activate: [calc] }), { stdin, stdout });
    cleanups.push(() => served.close());
    const lines: unknown[] = [];
    stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    stdin.write(`${JSON.stringify(INITIALIZE)}\n`);
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'calc__math__one', arguments: {} } })}\n`);
    await expect.poll(() => lines.length, { timeout: 5_000 }).toBe(2);
    expect(lines[1]).toMatchObject({ id: 2, result: { content: [{ type: 'text', text: '1' }] } });
    expect((lines[1] as { result: Record<string, unknown> }).result.structuredContent).toBeUndefined();
    await served.close();
    await served.closed;
    expect(stdin.listenerCount('data')).toBe(0);
    await served.close();
  });

  it('works with our McpConnection client too', TIMEOUT, async () => {
    const connection = await connectMcp({
      name: 'calc',
      transport: { type: 'stdio', command: process.execPath, args: STDIO_ARGS, cwd: here },
      timeoutMs: 20_000,
    });
    cleanups.push(() => connection.close());
    const tools = await connection.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['calc__math__add', 'api_docs']);
    const docs = await connection.callTool('api_docs', { paths: ['calc'] });
    expect(textOf(docs)).toContain('calc/math/add');
    expect(textOf(docs)).toContain('Second addend');
    await connection.close();
  });
});
