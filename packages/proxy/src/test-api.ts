// A small REST API on 127.0.0.1 for the proxy tests: dated lists, nested lists, single objects, slow and
// failing routes. It records every request (with its query string, where an API key would travel).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string[]>;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

export interface TestApi extends AsyncDisposable {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const FORECAST = [
  { date: '2024-06-28', celsius: 19 },
  { date: '2024-06-29', celsius: 21 },
  { date: '2024-06-30', celsius: 23 },
  { date: '2024-07-01', celsius: 25 },
  { date: '2024-07-02', celsius: 24 },
];

const NEWS = {
  data: {
    sections: [
      {
        name: 'markets',
        items: [
          { title: 'Old news', published: '29/06/2024 08:00', raw: 'x' },
          { title: 'Late news', published: '01/07/2024 09:30', raw: 'y' },
          { title: 'Undated news', raw: 'z' },
        ],
      },
      { name: 'tech', items: [{ title: 'Chips', published: '30/06/2024 23:59', raw: 'w' }] },
    ],
  },
  meta: { requestId: 'abc', internal: true },
};

function json(response: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType });
  response.end(text);
}

export async function startTestApi(): Promise<TestApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://api');
      const query: Record<string, string[]> = {};
      for (const [key, value] of url.searchParams) query[key] = [...(query[key] ?? []), value];
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {}
      requests.push({ method: request.method ?? 'GET', path: url.pathname, query, headers: request.headers, body });
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const first = parts[0];
      if (first === 'forecast' && parts[1]) {
        const days = Number(url.searchParams.get('days') ?? 5);
        return json(response, 200, {
          city: parts[1],
          units: url.searchParams.get('units') ?? 'metric',
          list: FORECAST.slice(0, days),
          debug: { server: 'test' },
        });
      }
      if (first === 'news') return json(response, 200, NEWS);
      if (first === 'quote' && parts[1]) {
        const date = parts[1] === 'LATE' ? 1_720_000_000 : 1_719_000_000; // 2024-07-03 and 2024-06-21 (unix seconds)
        return json(response, 200, { symbol: parts[1], price: 101.5, asOf: date });
      }
      if (first === 'echo' && request.method === 'POST')
        return json(response, 200, { received: body, auth: request.headers.authorization ?? null });
      if (first === 'slow') {
        const timer = setTimeout(() => json(response, 200, { late: true }), 3_000);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      if (first === 'status' && parts[1]) return json(response, Number(parts[1]), { error: { message: `status ${parts[1]} as asked` } });
      if (first === 'api-error') return json(response, 200, { 'Error Message': 'Invalid API call: unknown symbol XYZ' });
      if (first === 'broken-json') return json(response, 200, '{"half": ', 'application/json');
      if (first === 'text') return json(response, 200, 'plain text answer', 'text/plain');
      if (first === 'echo-key') return json(response, 200, { youSent: url.searchParams.get('appid') });
      return json(response, 404, { error: `no route ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, requests, close, [Symbol.asyncDispose]: close };
}

/** A port nothing listens on: bound, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
