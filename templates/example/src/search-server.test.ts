// The search MCP server (mcp/search-server.ts) through the SDK's own client: tools listed, search sent
// to a local Exa with the key and the cutoff, fetch reading a local page. No test reaches the internet.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSearchServer, pageText } from '../mcp/search-server.js';

const EXA_KEY = 'exa-mcp-test-key-1234';
let site: Server;
let base = '';
const exaBodies: Record<string, unknown>[] = [];

beforeAll(async () => {
  site = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      if (request.url === '/exa/search') {
        if (request.headers['x-api-key'] !== EXA_KEY) {
          response.writeHead(401, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: 'Invalid API key' }));
          return;
        }
        exaBodies.push(JSON.parse(body) as Record<string, unknown>);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            requestId: 'r1',
            results: [
              { id: `${base}/page`, url: `${base}/page`, title: 'Tokyo population', text: `Tokyo ${'is large '.repeat(60)}` },
              { id: `${base}/short`, url: `${base}/short`, title: 'Paris', text: 'Paris is smaller.' },
            ],
          }),
        );
        return;
      }
      if (request.url === '/page') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          '<html><head><title>Tokyo &amp; Paris</title><style>p{}</style></head><body><p>Tokyo has 37.4&nbsp;million people.</p><script>x()</script></body></html>',
        );
        return;
      }
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('missing');
    });
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => site.close(resolve));
});

async function connected(options: Parameters<typeof createSearchServer>[0]) {
  const server = createSearchServer(options);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    client,
    [Symbol.asyncDispose]: async () => {
      await client.close();
      await server.close();
    },
  };
}

const textOf = (result: Awaited<ReturnType<Client['callTool']>>) => JSON.parse((result.content as { text: string }[])[0]?.text ?? 'null');

describe('search MCP server', () => {
  it('lists search and fetch; search asks Exa with the key and the cutoff and returns upstream-shaped snippets', async () => {
    await using session = await connected({ exaApiKey: EXA_KEY, exaBaseUrl: `${base}/exa`, cutoffDate: '2024-06-01' });
    const tools = await session.client.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual(['fetch', 'search']);
    const found = textOf(await session.client.callTool({ name: 'search', arguments: { query: 'Tokyo population' } }));
    expect(found.results).toHaveLength(2);
    expect(found.results[0]).toMatchObject({ id: `${base}/page`, title: 'Tokyo population', url: `${base}/page` });
    expect(found.results[0].text).toHaveLength(203);
    expect(found.results[0].text.endsWith('...')).toBe(true);
    expect(found.results[1].text).toBe('Paris is smaller.');
    expect(exaBodies.at(-1)).toMatchObject({
      query: 'Tokyo population',
      type: 'keyword',
      numResults: 25,
      endPublishedDate: '2024-06-01T00:00:00.000Z',
    });
    expect(textOf(await session.client.callTool({ name: 'search', arguments: { query: '   ' } }))).toEqual({ results: [] });
  });

  it('fetch returns the page text and title; bad ids and failures are tool errors, and a wrong key never shows', async () => {
    await using session = await connected({ exaApiKey: 'exa-wrong-key-999999', exaBaseUrl: `${base}/exa` });
    const page = textOf(await session.client.callTool({ name: 'fetch', arguments: { id: `${base}/page` } }));
    expect(page).toEqual({
      id: `${base}/page`,
      title: 'Tokyo & Paris',
      text: 'Tokyo & Paris Tokyo has 37.4 million people.',
      url: `${base}/page`,
      metadata: null,
    });
    const missing = await session.client.callTool({ name: 'fetch', arguments: { id: `${base}/gone` } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing).error).toContain('HTTP 404');
    expect((await session.client.callTool({ name: 'fetch', arguments: { id: 'file:///etc/passwd' } })).isError).toBe(true);
    expect((await session.client.callTool({ name: 'fetch', arguments: { id: 'not a url' } })).isError).toBe(true);
    const rejected = await session.client.callTool({ name: 'search', arguments: { query: 'x' } });
    expect(rejected.isError).toBe(true);
    expect(textOf(rejected).error).toContain('HTTP 401');
    expect(JSON.stringify(rejected)).not.toContain('exa-wrong-key-999999');
  });

  it('refuses a cutoff that is not a date, and strips markup', () => {
    expect(() => createSearchServer({ cutoffDate: '06/01/2024' })).toThrow('"06/01/2024" is not a date: write it YYYY-MM-DD');
    expect(pageText('<p>a</p><script>evil()</script><b>b &lt;c&gt;</b>')).toBe('a b <c>');
  });
});
