import { spawn } from 'node:child_process';
import { getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch, LINKED_SIGNAL, readsLinkedSignal, sharedFetch } from './index.js';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base: string;
const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const handler = routes.get(new URL(request.url ?? '/', 'http://x').pathname);
      if (handler) handler(request, body, response);
      else response.writeHead(404).end('no route');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const fetchy = createFetch();

/** Fetch `url` with `sharedFetch()` in a new Node process (with `env` added); resolves to the body text. */
async function fetchInChild(url: string, env: Record<string, string> = {}): Promise<string> {
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
  const source = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'index.ts')).href;
  const script = `const { sharedFetch } = await import(${JSON.stringify(source)}); const r = await sharedFetch()(${JSON.stringify(url)}); console.log(await r.text());`;
  const child = spawn(process.execPath, ['--conditions=lllm-source', '--import', tsx, '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_USE_ENV_PROXY: '', HTTP_PROXY: '', HTTPS_PROXY: '', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number];
  expect(code).toBe(0);
  return output.trim();
}
const lastSeen = () => seen[seen.length - 1];

describe('createFetch', () => {
  it('sends the method, headers and body an SDK gives, and returns status, headers, url and body as fetch does', async () => {
    routes.set('/echo', (_request, body, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.writeHead(201, 'Made It', { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '41' });
      response.end(JSON.stringify({ got: JSON.parse(body) }));
    });
    const headers = new Headers({ 'Content-Type': 'application/json', Authorization: 'Bearer sk-secret', 'X-Stainless-Retry-Count': '0' });
    const response = await fetchy(`${base}/echo?x=1`, { method: 'post', headers, body: JSON.stringify({ model: 'm' }) });

    expect(lastSeen()).toMatchObject({
      method: 'POST',
      url: '/echo?x=1',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-secret',
        'x-stainless-retry-count': '0',
        'accept-encoding': 'gzip, deflate, br',
      },
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made It');
    expect(response.ok).toBe(true);
    expect(response.url).toBe(`${base}/echo?x=1`);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('41');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ got: { model: 'm' } });
  });

  it('takes headers as a record or as pairs, and bodies as bytes or URLSearchParams, with the content types fetch gives', async () => {
    routes.set('/plain', (_request, _body, response) => response.end('ok'));
    await fetchy(`${base}/plain`, {
      method: 'POST',
      headers: [
        ['X-One', 'a'],
        ['x-one', 'b'],
      ],
      body: new TextEncoder().encode('bytes'),
    });
    expect(lastSeen()?.headers['x-one']).toBe('a, b');
    expect(lastSeen()?.body).toBe('bytes');
    await fetchy(`${base}/plain`, { method: 'POST', body: new URLSearchParams({ q: 'a b' }) });
    expect(lastSeen()).toMatchObject({ body: 'q=a+b', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } });
    await fetchy(new URL(`${base}/plain`), { method: 'POST', headers: { 'x-two': 'c' }, body: 'text' });
    expect(lastSeen()).toMatchObject({ body: 'text', headers: { 'x-two': 'c', 'content-type': 'text/plain;charset=UTF-8' } });
  });

  it.each([
    ['gzip', gzipSync],
    ['br', brotliCompressSync],
    ['deflate', deflateRawSync],
  ] as const)('decodes a %s body, as fetch does', async (encoding, compress) => {
    routes.set('/zipped', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      response.end(compress(Buffer.from(JSON.stringify({ encoding }))));
    });
    expect(await (await fetchy(`${base}/zipped`)).json()).toEqual({ encoding });
  });

  it('hands an event stream over as it arrives, not when it ends', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    routes.set('/events', (_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      void released.then(() => response.end('data: two\n\n'));
    });
    const response = await fetchy(`${base}/events`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    release();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('rejects with the signal’s reason when it aborts before the response, and before sending when it already has', async () => {
    routes.set('/slow', (_request, _body, response) => {
      setTimeout(() => response.end('late'), 5_000).unref();
    });
    const controller = new AbortController();
    const started = performance.now();
    const pending = fetchy(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe('AbortError');
    expect(performance.now() - started).toBeLessThan(1_000);

    const count = seen.length;
    const reason = new Error('stopped by the caller');
    await expect(fetchy(`${base}/plain`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(seen.length).toBe(count);
  });

  it('fails as fetch fails when nothing listens: TypeError "fetch failed" with the cause', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = (await fetchy(`http://127.0.0.1:${port}/`).catch((caught: unknown) => caught)) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('fetch failed');
    expect(String((error.cause as { code?: string }).code)).toBe('ECONNREFUSED');
  });

  it('follows redirects: a 307 keeps the method and body, a 303 becomes a GET', async () => {
    routes.set('/moved', (_request, _body, response) => response.writeHead(307, { location: '/echo' }).end());
    routes.set('/see-other', (_request, _body, response) => response.writeHead(303, { location: '/plain' }).end());
    const moved = await fetchy(`${base}/moved`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await moved.json()).toEqual({ got: { a: 1 } });
    const other = await fetchy(`${base}/see-other`, { method: 'POST', body: 'x' });
    expect(await other.text()).toBe('ok');
    expect(lastSeen()?.method).toBe('GET');
  });

  it('gives a body-less status a null body, and reads no body for HEAD', async () => {
    routes.set('/empty', (_request, _body, response) => response.writeHead(204).end());
    const empty = await fetchy(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
    const head = await fetchy(`${base}/plain`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('hands what it does not speak to the fallback unchanged: a FormData upload, a Request, redirect "manual"', async () => {
    const handed: unknown[] = [];
    const withFallback = createFetch({
      fallback: (input, init) => {
        handed.push(init?.body ?? input);
        return globalThis.fetch(input, init);
      },
    });
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob(['{"custom_id":"0"}\n']), 'batch.jsonl');
    await withFallback(`${base}/plain`, { method: 'POST', body: form });
    expect(handed).toEqual([form]);
    expect(lastSeen()?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(lastSeen()?.body).toContain('{"custom_id":"0"}');

    const request = new Request(`${base}/plain`);
    await withFallback(request);
    const manual = await withFallback(`${base}/moved`, { method: 'POST', body: 'x', redirect: 'manual' });
    expect(handed.slice(1)).toEqual([request, 'x']);
    expect(manual.status).toBe(307);
  });

  describe('a linked signal (LINKED_SIGNAL in the init: one the SDK never sees)', () => {
    it('ends the request when it aborts, with its reason, and leaves no listener on either signal', async () => {
      expect(readsLinkedSignal(fetchy)).toBe(true);
      expect(readsLinkedSignal(sharedFetch())).toBe(true);
      expect(readsLinkedSignal(globalThis.fetch)).toBe(false);

      const sdkSignal = new AbortController().signal;
      const caller = new AbortController();
      const done = await fetchy(`${base}/plain`, { signal: sdkSignal, [LINKED_SIGNAL]: caller.signal } as RequestInit);
      expect(await done.text()).toBe('ok');
      expect(getEventListeners(sdkSignal, 'abort')).toHaveLength(0);
      expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);

      const reason = new Error('the batch was stopped');
      const pending = fetchy(`${base}/slow`, { signal: sdkSignal, [LINKED_SIGNAL]: caller.signal } as RequestInit);
      setTimeout(() => caller.abort(reason), 50);
      const started = performance.now();
      await expect(pending).rejects.toBe(reason);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(getEventListeners(sdkSignal, 'abort')).toHaveLength(0);
    });

    it('the SDK’s own signal still ends it, and an already aborted linked signal sends nothing', async () => {
      const sdk = new AbortController();
      const pending = fetchy(`${base}/slow`, { signal: sdk.signal, [LINKED_SIGNAL]: new AbortController().signal } as RequestInit);
      setTimeout(() => sdk.abort(), 50);
      expect(((await pending.catch((caught: unknown) => caught)) as DOMException).name).toBe('AbortError');

      const count = seen.length;
      const reason = new Error('already stopped');
      await expect(fetchy(`${base}/plain`, { [LINKED_SIGNAL]: AbortSignal.abort(reason) } as RequestInit)).rejects.toBe(reason);
      expect(seen.length).toBe(count);
    });

    it('stays linked while an event stream is read, and reaches the fallback too', async () => {
      routes.set('/endless', (_request, _body, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: one\n\n');
      });
      const caller = new AbortController();
      const response = await fetchy(`${base}/endless`, { [LINKED_SIGNAL]: caller.signal } as RequestInit);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      expect(getEventListeners(caller.signal, 'abort').length).toBeGreaterThan(0);
      caller.abort(new Error('enough'));
      await expect(reader.read()).rejects.toBeDefined();

      const form = new FormData();
      form.append('file', new Blob(['x']), 'x.jsonl');
      const stop = new Error('stopped before the upload');
      await expect(
        fetchy(`${base}/plain`, { method: 'POST', body: form, [LINKED_SIGNAL]: AbortSignal.abort(stop) } as RequestInit),
      ).rejects.toBe(stop);
    });
  });

  it('lets the process exit once its requests are done: idle keep-alive connections hold nothing open', async () => {
    const started = performance.now();
    expect(await fetchInChild(`${base}/plain`)).toBe('ok');
    // Node's keep-alive for an idle socket here is 4 s: an exit well before that means it held nothing.
    expect(performance.now() - started).toBeLessThan(3_500);
  });

  it('goes through HTTP_PROXY when Node is told to use the environment’s proxies (NODE_USE_ENV_PROXY=1), as Node’s fetch then does', async () => {
    // A proxy as undici speaks to one: a CONNECT tunnel to the target.
    const proxied: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
      proxied.push(`${request.method} ${request.url}`);
      const [host, port] = (request.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const proxyURL = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const target = `${base}/plain`;
      expect(await fetchInChild(target, { HTTP_PROXY: proxyURL, NO_PROXY: '', NODE_USE_ENV_PROXY: '1' })).toBe('ok');
      expect(proxied).toEqual([`CONNECT ${new URL(target).host}`]);
      // Without it, HTTP_PROXY is not read (Node's own fetch does not read it either).
      expect(await fetchInChild(target, { HTTP_PROXY: proxyURL, NO_PROXY: '' })).toBe('ok');
      expect(proxied).toHaveLength(1);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
