// The init cell against a real Jupyter server: values reach the kernel exactly, CALL_API speaks the
// bridge protocol (to a local fake and to a real proxy over serveProxy), metadata round-trips.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, REDACTED } from '@lllm/core';
import { defineProxy, ProxyRuntime, serveProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JupyterSandbox } from './sandbox.js';
import { SessionMetadata } from './session-metadata.js';
import { startTestJupyter, stdout, type TestJupyter } from './test-jupyter.js';

let jupyter: TestJupyter;
let root: string;
let sandbox: JupyterSandbox;

beforeAll(async () => {
  jupyter = await startTestJupyter();
  ({ root, sandbox } = jupyter);
});

afterAll(async () => {
  await jupyter?.close();
});

describe('init cell and metadata', () => {
  test('values reach the kernel exactly, however they are spelled', async () => {
    const proxies = [
      'plain',
      'quote"s',
      "apos'trophe",
      'back\\slash',
      'line\nbreak',
      '"""; import os #',
      'emoji 😀',
      'sep\u2028x',
      '{curly}',
    ];
    const session = await sandbox.createSession({ id: 'init-values', proxies, cutoffDate: '2024-06-30', projectRoot: root });
    const result = await session.runCell(
      await session.appendCode('import json, sys\nprint(json.dumps({"p": ACTIVATED_PROXIES, "c": CUTOFF_DATE, "root": sys.path[0]}))'),
    );
    expect(JSON.parse(stdout(result))).toEqual({ p: proxies, c: '2024-06-30', root });
    expect(session.cell(0).source).not.toContain('emoji 😀');
    // The bridge token never appears in the notebook.
    await session.configure({ bridge: { url: 'http://127.0.0.1:9', token: 'secret-token-abc123' } });
    expect(await readFile(session.notebookPath, 'utf8')).not.toContain('secret-token-abc123');
    // The kernel has the token (reversed here: printed as is, it is redacted like any registered secret).
    const env = await session.runCell(
      await session.appendCode('import os\nprint(os.environ.get("LLLM_BRIDGE_TOKEN")[::-1])\nprint(os.environ.get("LLLM_BRIDGE_TOKEN"))'),
    );
    expect(stdout(env)).toBe(`${'secret-token-abc123'.split('').reverse().join('')}\n${REDACTED}\n`);
    const unreachable = await session.runCell(await session.appendCode('CALL_API("plain/x", {"a": 1})'));
    expect(unreachable.error?.ename).toBe('ProxyCallError');
    expect(unreachable.error?.evalue).toMatch(/could not reach the proxy bridge/);
    const notActivated = await session.runCell(await session.appendCode('CALL_API("other/x")'));
    expect(notActivated.error?.evalue).toMatch(/Proxy 'other' is not activated/);
  });

  test('CALL_API speaks the bridge protocol: bearer token, {path, params, proxies, cutoffDate}, result or error', async () => {
    // A stand-in endpoint speaking the documented bridge contract (POST /call), to check the kernel's side of it.
    const received: { auth: string | undefined; session: string | undefined; body: unknown }[] = [];
    const bridge = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        const body = JSON.parse(text) as { path: string; params: Record<string, unknown> };
        received.push({ auth: request.headers.authorization, session: request.headers['x-lllm-session'] as string, body });
        response.setHeader('content-type', 'application/json');
        if (request.url !== '/call' || request.headers.authorization !== 'Bearer bridge-token-123456') {
          response.statusCode = 401;
          response.end(JSON.stringify({ error: { message: 'bad token' } }));
        } else if (body.path === 'weather/forecast') {
          response.end(JSON.stringify({ result: { city: body.params.city, temperature: 21.5 } }));
        } else {
          response.statusCode = 404;
          response.end(JSON.stringify({ error: { message: `unknown endpoint ${body.path}` } }));
        }
      });
    });
    await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`;
    try {
      const session = await sandbox.createSession({
        id: 'bridge-contract',
        proxies: ['weather'],
        cutoffDate: '2024-06-30',
        bridge: { url, token: 'bridge-token-123456' },
      });
      const ok = await session.runCell(await session.appendCode('CALL_API("weather/forecast", {"city": "Oslo"})'));
      expect(ok.status).toBe('ok');
      expect(ok.outputs[0]).toMatchObject({
        output_type: 'execute_result',
        data: { 'text/plain': "{'city': 'Oslo', 'temperature': 21.5}" },
      });
      expect(received[0]).toEqual({
        auth: 'Bearer bridge-token-123456',
        session: 'bridge-contract',
        body: { path: 'weather/forecast', params: { city: 'Oslo' }, proxies: ['weather'], cutoffDate: '2024-06-30' },
      });
      const missing = await session.runCell(await session.appendCode('CALL_API("weather/nowcast")'));
      expect(missing.error?.ename).toBe('ProxyCallError');
      expect(missing.error?.evalue).toBe("CALL_API('weather/nowcast') failed (HTTP 404): unknown endpoint weather/nowcast");
      await session.configure({ bridge: { url, token: 'wrong-token-000000' } });
      const refused = await session.runCell(await session.appendCode('CALL_API("weather/forecast", {"city": "Oslo"})'));
      expect(refused.error?.evalue).toMatch(/HTTP 401\): bad token/);
    } finally {
      bridge.closeAllConnections();
      await new Promise((resolve) => bridge.close(resolve));
    }
  });

  test('CALL_API reaches a real proxy over serveProxy: the session’s proxies and cutoff date apply, errors are typed', async () => {
    // A REST API on loopback behind a declared proxy, served to the kernel by the proxy package's bridge.
    const api = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://api');
      response.setHeader('content-type', 'application/json');
      if (url.pathname.startsWith('/forecast/')) {
        const city = decodeURIComponent(url.pathname.slice('/forecast/'.length));
        response.end(
          JSON.stringify({
            city,
            key: url.searchParams.get('appid'),
            days: [
              { date: '2024-06-29', celsius: 18 },
              { date: '2024-06-30', celsius: 20 },
              { date: '2024-07-01', celsius: 22 },
            ],
          }),
        );
      } else {
        response.statusCode = 404;
        response.end('{"error": "no route"}');
      }
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const secret = 'weather-secret-key-31337abcdef';
    const weather = defineProxy({
      path: 'weather',
      name: 'Weather',
      description: 'Forecasts.',
      baseUrl: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      apiKey: { env: 'SANDBOX_WEATHER_KEY', in: 'query', name: 'appid' },
      endpoints: [
        {
          category: 'forecast',
          endpoint: '/forecast/{city}',
          key: 'daily',
          name: 'Daily forecast',
          description: 'Daily temperatures.',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          examples: { city: 'Oslo' },
          dtCutoff: { key: 'days/date' },
        },
      ],
    });
    const news = defineProxy({
      path: 'news',
      name: 'News',
      description: 'Headlines.',
      endpoints: [{ category: 'headlines', endpoint: 'top', name: 'Top', description: 'Top headlines.', handler: () => ['a', 'b'] }],
    });
    const runtime = new ProxyRuntime({ activate: [weather, news], cutoffDate: '2024-07-31', env: { SANDBOX_WEATHER_KEY: secret } });
    const bridge = await serveProxy(runtime);
    try {
      const session = await sandbox.createSession({ id: 'real-proxy', proxies: ['weather'], cutoffDate: '2024-06-30', bridge });
      const ok = await session.runCell(
        await session.appendCode(
          'result = CALL_API("weather/forecast/daily", {"city": "Oslo"})\nprint(result["city"], [day["date"] for day in result["days"]], result["key"])',
        ),
      );
      expect(ok.status).toBe('ok');
      // The session's cutoff withholds its own day, as upstream's filter_by_dt_cutoff.
      expect(stdout(ok)).toBe("Oslo ['2024-06-29'] [REDACTED]\n");
      const notActivated = await session.runCell(await session.appendCode('CALL_API("news/headlines/top")'));
      expect(notActivated.error?.evalue).toMatch(/Proxy 'news' is not activated for this session; activated: weather/);
      const bad = await session.runCell(await session.appendCode('CALL_API("weather/forecast/daily", {"town": "Oslo"})'));
      expect(bad.error?.ename).toBe('ProxyCallError');
      expect(bad.error?.evalue).toMatch(/HTTP 400\): Cannot call weather\/forecast\/daily: .*"town" is not a parameter/);
      const typo = await session.runCell(await session.appendCode('CALL_API("weather/forecast/dayly", {"city": "Oslo"})'));
      expect(typo.error?.evalue).toMatch(/HTTP 404\): No endpoint "weather\/forecast\/dayly"\. Did you mean "weather\/forecast\/daily"/);
      const notebook = await readFile(session.notebookPath, 'utf8');
      expect(notebook).toContain('CALL_API(\\"weather/forecast/daily\\"');
      expect(notebook).not.toContain(secret);
      expect(notebook).not.toContain(bridge.token);
      expect(bridge.calls).toBe(3);
    } finally {
      await bridge.close();
      api.closeAllConnections();
      await new Promise((resolve) => api.close(resolve));
    }
  });

  test('metadata round-trips through toJSON/fromJSON and bad files list every problem', () => {
    const metadata = new SessionMetadata({
      id: 'm1',
      name: 'M',
      createdAt: '2025-01-01T00:00:00.000Z',
      kernelName: 'python3',
      notebook: 'notebook.ipynb',
      proxies: ['a'],
      cutoffDate: '2024-01-01',
      projectRoot: null,
      cellTimeoutMs: 1000,
    });
    expect(SessionMetadata.fromJSON(JSON.parse(JSON.stringify(metadata))).toJSON()).toEqual(metadata.toJSON());
    try {
      SessionMetadata.fromJSON({ ...metadata.toJSON(), id: '../escape', cellTimeoutMs: -1, extra: true }, 'session.json');
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.isInstance(error)).toBe(true);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^id:/m);
      expect(problems).toMatch(/^cellTimeoutMs:/m);
      expect(problems).toMatch(/extra/);
      expect((error as Error).message).toContain('session.json');
    }
  });
});
