// The API interpreter against a real Jupyter server (Debian's) and a real proxy over the proxy
// package's HTTP bridge: run_python reaches the agent's proxies with its cutoff, query_api_doc
// returns their docs, and closing shuts the session and the bridge.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineProxy, ProxyRuntime, serveProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JupyterSandbox } from '../jupyter/sandbox.js';
import { type JupyterServer, startJupyterServer } from '../jupyter/server.js';
import { type ApiInterpreterHost, createApiInterpreter } from './api-interpreter.js';

let root: string;
let server: JupyterServer;
let sandbox: JupyterSandbox;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lllm-interpreter-'));
  server = await startJupyterServer({ rootDir: root });
  sandbox = new JupyterSandbox({ root, server, cellTimeoutMs: 30_000, interruptGraceMs: 2_000 });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

const prices = defineProxy({
  path: 'prices',
  name: 'Prices',
  description: 'Daily closing prices.',
  endpoints: [
    {
      category: 'daily',
      endpoint: 'close',
      name: 'Closing prices',
      description: 'Closing price per day for a ticker.',
      parameters: { type: 'object', properties: { ticker: { type: 'string' } }, required: ['ticker'], additionalProperties: false },
      examples: { ticker: 'ACME' },
      dtCutoff: { key: 'days/date' },
      handler: (params: Record<string, unknown>) => ({
        ticker: params.ticker,
        days: [
          { date: '2024-06-28', close: 10 },
          { date: '2024-06-30', close: 11 },
          { date: '2024-07-02', close: 12 },
        ],
      }),
    },
  ],
});
const secret = defineProxy({
  path: 'secret',
  name: 'Secret',
  description: 'Not for this agent.',
  endpoints: [{ category: 'x', endpoint: 'y', name: 'Y', description: 'Y.', handler: () => 'no' }],
});

function host(runtime: ProxyRuntime): ApiInterpreterHost & { bridgeCalls(): number } {
  let bridge: ReturnType<typeof serveProxy> | undefined;
  let calls = 0;
  return {
    proxies: ['prices'],
    apiDirectory: () => runtime.apiDirectory(['prices']),
    proxyNames: () => ['prices'],
    apiDocs: (path) => runtime.retrieveApiDocs([path]),
    bridge: () => {
      bridge ??= serveProxy(runtime);
      return bridge;
    },
    bridgeCalls: () => calls,
    async close() {
      if (bridge) {
        const started = await bridge;
        calls = started.calls;
        await started.close();
      }
    },
  };
}

describe('API interpreter', () => {
  test('run_python reaches the agent’s proxies through CALL_API with its cutoff; query_api_doc and the directory describe them', async () => {
    const runtime = new ProxyRuntime({ activate: [prices, secret] });
    const proxyHost = host(runtime);
    const interpreter = createApiInterpreter({
      agentName: 'analyst',
      host: proxyHost,
      sandbox,
      cutoffDate: '2024-06-30',
      maxOutputChars: 400,
    });
    expect(interpreter.tools.map((tool) => tool.name)).toEqual(['run_python', 'query_api_doc']);
    expect(interpreter.promptAddendum).toContain('<api_directory>');
    expect(interpreter.promptAddendum).toContain('prices');
    expect(interpreter.promptAddendum).not.toContain('Not for this agent');
    const doc = interpreter.tools[1] as (typeof interpreter.tools)[number];
    const context = { signal: new AbortController().signal, callId: 'c1', agentName: 'analyst' };
    expect(await doc.execute({ proxy_name: 'prices' }, context)).toContain('ticker');
    expect(await doc.execute({ proxy_name: 'weather' }, context)).toBe('Proxy "weather" not found. Available proxies: prices.');
    expect(interpreter.session).toBeUndefined();

    const run = interpreter.tools[0] as (typeof interpreter.tools)[number];
    const first = await run.execute(
      { code: 'data = CALL_API("prices/daily/close", {"ticker": "ACME"})\nprint([d["date"] for d in data["days"]])' },
      context,
    );
    // Strictly before the cutoff, as upstream's filter_by_dt_cutoff: the cutoff day 2024-06-30 is withheld.
    expect(first).toBe("['2024-06-28']\n");
    // Variables persist between calls; other proxies are refused by the bridge.
    expect(await interpreter.run('print(sum(d["close"] for d in data["days"]))')).toBe('10\n');
    const refused = await interpreter.run('CALL_API("secret/x/y")');
    expect(refused).toMatch(/ProxyCallError.*'secret' is not activated/s);
    expect(await interpreter.run('x = 1')).toBe('(no output: print() what you want to see)');
    const long = await interpreter.run('print("a" * 1000)');
    expect(long).toContain('characters left out');
    expect(long.replace(/\n\[… \d+ characters left out …\]\n/, '').length).toBe(400);
    const sessionId = interpreter.session?.id as string;
    await interpreter.close();
    // One call served; the refused one never reached a proxy.
    expect(proxyHost.bridgeCalls()).toBe(1);
    expect(sandbox.getSession(sessionId)).toBeUndefined();
  }, 120_000);

  test('exec_env jupyter gives only query_api_doc, and null only the directory', () => {
    const runtime = new ProxyRuntime({ activate: [prices] });
    expect(createApiInterpreter({ agentName: 'a', host: host(runtime), sandbox, execEnv: 'jupyter' }).tools.map((t) => t.name)).toEqual([
      'query_api_doc',
    ]);
    const none = createApiInterpreter({ agentName: 'a', host: host(runtime), sandbox, execEnv: null });
    expect(none.tools).toEqual([]);
    expect(none.promptAddendum).toContain('query_api_doc');
  });
});
