// End to end: no secret reaches anything LLLM writes. Distinctive values are planted everywhere a
// secret lives — environment variables of each family, a registered secret, a proxy key with + / = and
// a space, a database URL password, a webhook URL, the provider key — and a real flow runs: an agent
// call through the real `openai` client against the wire server, with a tool that calls a proxy whose
// API echoes the key (percent-encoded, form-encoded, base64), logged to SQLite and JSONL, with a proxy
// cache on disk, printed on a stream, replayed as a transcript, and a provider error that echoes the
// key. Then every file the run wrote, everything printed and every error message is searched for the
// planted values in every encoding. Only the servers may have seen them: the API got its key, the
// wire server the provider key.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, ConsoleStream, type LogStore, registerSecret } from '@lllm/core';
import { JsonlLogStore, ReplaySession, renderTranscript, SqliteLogStore } from '@lllm/log';
import { createOpenAI } from '@lllm/openai';
import { Prompt } from '@lllm/prompts';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineProxy } from './define.js';
import { ProxyRuntime } from './runtime.js';
import { proxyTools } from './tools.js';

const CHAT = '/v1/chat/completions';
const PROVIDER_KEY = 'sk-proj-PLANTED10openaiKey000000000000';
const PROXY_KEY = 'k+y/= PLANTED09 &%2F';
const REGISTERED = 'registered-PLANTED11-secret';
const DB_PASSWORD = 'db-PLANTED07-pw';
const HOOK_TOKEN = 'hook-PLANTED08-token';
const ENV: Record<string, string> = {
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+PLANTED01aws',
  PGPASSWORD: 'pg-PLANTED02-pass',
  LLLM_E2E_SERVICE_KEY: 'svc-PLANTED03-key',
  LLLM_E2E_GITHUB_PAT: 'github-PLANTED04-pat',
  LLLM_E2E_CREDENTIALS: 'cred-PLANTED05-json',
  LLLM_E2E_API_TOKEN: 'tok-PLANTED06-value',
  LLLM_E2E_DATABASE_URL: `postgres://app:${DB_PASSWORD}@db.internal:5432/prod`,
  LLLM_E2E_SLACK_WEBHOOK_URL: `https://hooks.slack.com/services/T000/B000/${HOOK_TOKEN}`,
  LLLM_E2E_ECHO_KEY: PROXY_KEY,
};
/** Every planted secret value (for URLs: the secret part of them). */
const SECRETS = [
  PROVIDER_KEY,
  PROXY_KEY,
  REGISTERED,
  DB_PASSWORD,
  HOOK_TOKEN,
  ...Object.entries(ENV)
    .filter(([name]) => !name.endsWith('_URL'))
    .map(([, value]) => value),
];

/** The forms a value takes when something encodes it, computed here independently of the library. */
function encodings(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]);
  forms.add(encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  forms.add(JSON.stringify(value).slice(1, -1));
  forms.add(JSON.stringify(JSON.stringify(value)).slice(3, -3));
  const bytes = Buffer.from(value);
  for (let offset = 0; offset < 3; offset++) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // The characters that depend on the value's bytes only, whatever precedes or follows it.
    const core = text.slice(offset === 0 ? 0 : offset + 1, Math.floor((offset + bytes.length) / 3) * 4);
    forms.add(core);
    forms.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms].filter((form) => form.length >= 8);
}
const FORBIDDEN = [...new Set(SECRETS.flatMap(encodings))];

/** Planted values (or their encodings) found in `text`. */
function leaks(text: string): string[] {
  return FORBIDDEN.filter((form) => text.includes(form));
}

const saved = new Map<string, string | undefined>();
let wire: WireServer;
let apiUrl = '';
const apiReceived: { appid: string | null; note: string | null }[] = [];
let closeApi: () => Promise<void>;
const folder = mkdtempSync(join(tmpdir(), 'lllm-secrets-'));

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  registerSecret(REGISTERED);
  wire = await startWireServer();
  // An API that echoes everything: the request URL as sent and decoded, the key in base64 as a
  // Basic header would carry it, and a debug line with the connection string and the webhook.
  const server = createServer((request, response) => {
    const rawUrl = request.url ?? '/';
    const url = new URL(rawUrl, 'http://api');
    const key = url.searchParams.get('appid') ?? '';
    apiReceived.push({ appid: url.searchParams.get('appid'), note: url.searchParams.get('note') });
    const body = {
      request: { url: rawUrl, decoded: decodeURIComponent(rawUrl), query: url.searchParams.toString() },
      auth: `Basic ${Buffer.from(`user:${key}`).toString('base64')}`,
      keyBase64: Buffer.from(key).toString('base64'),
      debug: `db=${process.env.LLLM_E2E_DATABASE_URL} hook=${process.env.LLLM_E2E_SLACK_WEBHOOK_URL}`,
      price: 101.5,
    };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  closeApi = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
});

afterAll(async () => {
  await wire?.close();
  await closeApi?.();
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(folder, { recursive: true, force: true });
});

function completion(message: Record<string, unknown>, finish = 'stop') {
  return {
    json: {
      id: 'chatcmpl-secrets',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null },
      ],
      usage: { prompt_tokens: 50, completion_tokens: 10 },
    },
  };
}

/** Everything a model could repeat: every planted value, some inside URLs and assignments. */
const EVERYTHING = [
  `key ${PROXY_KEY}`,
  `registered ${REGISTERED}`,
  `provider ${PROVIDER_KEY}`,
  `PGPASSWORD=${ENV.PGPASSWORD}`,
  `url ${ENV.LLLM_E2E_DATABASE_URL}`,
  `hook ${ENV.LLLM_E2E_SLACK_WEBHOOK_URL}`,
  ...Object.values(ENV),
].join('; ');

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('no planted secret reaches anything LLLM writes', () => {
  it.each(['sqlite', 'jsonl'] as const)(
    'an agent call with a proxy tool and a provider error, logged to %s',
    { timeout: 30_000 },
    async (kind) => {
      const root = join(folder, kind);
      const logDir = join(root, 'logs');
      const cacheDir = join(root, 'cache');
      const store: LogStore = kind === 'sqlite' ? new SqliteLogStore({ directory: logDir }) : new JsonlLogStore({ directory: logDir });
      const printed: string[] = [];
      const stream = new ConsoleStream({ output: { write: (chunk: string) => printed.push(chunk) } });
      const captured: string[] = [];
      const originalStdout = process.stdout.write.bind(process.stdout);
      const originalStderr = process.stderr.write.bind(process.stderr);
      const capture =
        (original: typeof process.stdout.write) =>
        (chunk: unknown, ...rest: unknown[]): boolean => {
          captured.push(String(chunk));
          return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
        };
      process.stdout.write = capture(originalStdout) as typeof process.stdout.write;
      process.stderr.write = capture(originalStderr) as typeof process.stderr.write;
      const errors: string[] = [];
      try {
        const echo = defineProxy({
          path: 'echo',
          name: 'Echo',
          description: 'Prices, echoing the request.',
          baseUrl: `${apiUrl}/v1`,
          apiKey: { env: 'LLLM_E2E_ECHO_KEY', in: 'query', name: 'appid' },
          endpoints: [
            {
              category: 'quotes',
              endpoint: '/quote/{symbol}',
              key: 'quote',
              name: 'Quote',
              description: 'A price.',
              parameters: z.object({ symbol: z.string(), note: z.string().optional() }),
              examples: { symbol: 'AAPL', note: 'x' },
            },
          ],
        });
        const runtime = new ProxyRuntime({ activate: [echo], cache: { dir: cacheDir }, onWarning: (warning) => printed.push(warning) });
        const provider = createOpenAI({ apiKey: PROVIDER_KEY, baseURL: wire.openaiBaseURL });
        const agent = new Agent({
          name: 'analyst',
          systemPrompt: new Prompt({ path: 'secrets/system', prompt: 'You answer with prices.' }),
          model: 'gpt-4o-mini',
          invoker: provider.chat(),
          log: store,
          session: `secrets-${kind}`,
          stream,
          maxLlmRecall: 0,
        });
        wire.reset();
        wire.enqueue(
          CHAT,
          completion(
            {
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: 'echo__quotes__quote', arguments: JSON.stringify({ symbol: 'AAPL', note: EVERYTHING }) },
                },
              ],
            },
            'tool_calls',
          ),
          completion({ content: `Done. I saw: ${EVERYTHING}` }),
          // The provider refuses the next call and echoes the key and more, as some APIs do.
          {
            status: 401,
            json: {
              error: {
                message: `Incorrect API key provided: ${PROVIDER_KEY}. Context: ${EVERYTHING}`,
                type: 'invalid_request_error',
                code: 'invalid_api_key',
              },
            },
          },
        );
        const dialog = agent.initDialog();
        dialog.sendMessage(new Prompt({ path: 'secrets/task', prompt: 'Price of AAPL?', functions: proxyTools(runtime) }));
        const result = await agent.call(dialog);
        stream.markdown(result.message.content);
        // The cached call again: served from the cache.
        await runtime.call('echo/quotes/quote', { symbol: 'AAPL', note: EVERYTHING });

        const failing = agent.initDialog();
        failing.sendMessage(new Prompt({ path: 'secrets/task', prompt: 'Again?' }));
        const failure = await agent.call(failing).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(Error);
        const error = failure as Error & { body?: unknown; cause?: unknown };
        errors.push(error.message, String(error), String(error.stack), JSON.stringify(error.body ?? null));
        if (error.cause instanceof Error) errors.push(error.cause.message);
        stream.error(error.message);

        await store.flush();
        const replay = await ReplaySession.load(store, `secrets-${kind}`);
        printed.push(renderTranscript(replay));
        await store.close();
      } finally {
        process.stdout.write = originalStdout;
        process.stderr.write = originalStderr;
      }

      // The flow happened: the API got its key intact, the model's arguments arrived, the cache and log were written.
      expect(apiReceived.at(-1)).toEqual({ appid: PROXY_KEY, note: EVERYTHING });
      expect(apiReceived.filter((request) => request.note === EVERYTHING).length).toBeGreaterThan(0);
      expect(wire.requestsTo(CHAT).every((request) => request.headers.authorization === `Bearer ${PROVIDER_KEY}`)).toBe(true);
      const written = [...files(logDir), ...files(cacheDir)];
      expect(files(cacheDir).length).toBe(1);
      expect(written.length).toBeGreaterThan(1);
      const transcript = printed.join('');
      expect(transcript).toContain('Done. I saw:');
      expect(transcript).toContain('[REDACTED]');

      // Nothing written, printed or thrown holds a planted value in any encoding.
      for (const file of written) {
        expect(leaks(file), `file name ${file}`).toEqual([]);
        expect(leaks(readFileSync(file).toString('latin1')), `file ${file}`).toEqual([]);
        expect(leaks(readFileSync(file, 'utf8')), `file ${file}`).toEqual([]);
      }
      expect(leaks(transcript), 'printed on the stream').toEqual([]);
      expect(leaks(captured.join('')), 'stdout and stderr').toEqual([]);
      for (const message of errors) expect(leaks(message), 'error').toEqual([]);

      // The model never saw the proxy key or an environment secret in a tool result.
      const toolResults = wire
        .requestsTo(CHAT)
        .flatMap((request) => (request.body as { messages: { role: string; content: unknown }[] }).messages)
        .filter((message) => message.role === 'tool')
        .map((message) => String(message.content));
      expect(toolResults.length).toBeGreaterThan(0);
      for (const content of toolResults) {
        expect(content).toContain('101.5');
        expect(leaks(content), 'tool result sent to the model').toEqual([]);
      }
    },
  );
});
