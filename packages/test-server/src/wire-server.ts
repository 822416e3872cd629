import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request the server received. */
export interface CapturedRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, parsed (or the raw text when it is not JSON). */
  readonly body: unknown;
  readonly rawBody: string;
  readonly receivedAt: number;
}

/** One SSE event: `event:` (optional) and `data:` (an object is JSON-encoded). */
export interface SseEvent {
  readonly event?: string;
  readonly data: unknown;
}

interface Common {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before sending the status line (a client timeout shorter than this fires). */
  readonly delayMs?: number;
}

/** A scripted response. */
export type ScriptedResponse =
  | (Common & { readonly json: unknown })
  | (Common & {
      /** A raw `text/event-stream` body, sent as is. */
      readonly sse: string;
      /** Pause between events (split on blank lines). */
      readonly eventDelayMs?: number;
      /** Destroy the socket after this many events. */
      readonly dropAfterEvents?: number;
    })
  | (Common & {
      /** Events to frame as SSE; `done: true` appends `data: [DONE]` (Chat Completions). */
      readonly events: readonly SseEvent[];
      readonly done?: boolean;
      readonly eventDelayMs?: number;
      readonly dropAfterEvents?: number;
    })
  | (Common & {
      /** A body sent verbatim (e.g. truncated or malformed JSON). */
      readonly raw: string;
      readonly contentType?: string;
    })
  | {
      /** Drop the connection: before any response, or after the headers and part of the body. */
      readonly drop: 'immediately' | 'mid-body';
      readonly delayMs?: number;
    };

/** A response, or a function deciding it from the request. */
export type ResponseStep = ScriptedResponse | ((request: CapturedRequest) => ScriptedResponse | Promise<ScriptedResponse>);

/** A running wire server. */
export interface WireServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `url + '/v1'`: the `baseURL` for the `openai` client. */
  readonly openaiBaseURL: string;
  /** `url`: the `baseURL` for the `@anthropic-ai/sdk` client (it appends `/v1/messages`). */
  readonly anthropicBaseURL: string;
  /** Every request received, in order. */
  readonly requests: readonly CapturedRequest[];
  /** How many clients went away while a response was being delayed or streamed (aborts, timeouts). */
  readonly disconnects: number;
  /** Requests to one path. */
  requestsTo(path: string): CapturedRequest[];
  /** Queue responses for `path` (e.g. `/v1/chat/completions`), served in order. */
  enqueue(path: string, ...responses: ResponseStep[]): void;
  /** Answer every request to `path` with `step` once its queue is empty (benchmarks, load tests). */
  respondAlways(path: string, step: ResponseStep): void;
  /** Answer requests whose path matches `pattern` (paths with ids, e.g. `/v1/batches/{id}`), when nothing is queued for the exact path. */
  route(pattern: RegExp, step: ResponseStep): void;
  /** Responses still queued for `path`. */
  pending(path: string): number;
  /** Forget captured requests and queued responses. */
  reset(): void;
  /** Stop listening and destroy open connections. */
  close(): Promise<void>;
}

/** Start a wire server on 127.0.0.1 and a random free port. */
export async function startWireServer(
  options: {
    port?: number;
    /** Keep captured requests (default true; off for load tests). */
    capture?: boolean;
    /** How long an idle keep-alive socket stays open, in ms (Node's default: 5,000). Load tests raise it so a stalled client never reuses a socket the server just closed. */
    keepAliveTimeoutMs?: number;
  } = {},
): Promise<WireServer> {
  const queues = new Map<string, ResponseStep[]>();
  const fallbacks = new Map<string, ResponseStep>();
  const routes: { readonly pattern: RegExp; readonly step: ResponseStep }[] = [];
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  let disconnects = 0;

  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `test server failure: ${String(error)}`, type: 'server_error' } }));
      } else response.destroy();
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let body: unknown = rawBody;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      // Keep the raw text: a test may send a body that is not JSON on purpose.
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const captured: CapturedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      rawBody,
      receivedAt: Date.now(),
    };
    if (options.capture !== false) requests.push(captured);
    const step =
      queues.get(url.pathname)?.shift() ?? fallbacks.get(url.pathname) ?? routes.find((route) => route.pattern.test(url.pathname))?.step;
    if (!step) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          error: { message: `No scripted response for ${captured.method} ${url.pathname}: enqueue one first.`, type: 'test_server_error' },
        }),
      );
      return;
    }
    const scripted = typeof step === 'function' ? await step(captured) : step;
    await respond(scripted, response);
  }

  async function respond(scripted: ScriptedResponse, response: ServerResponse): Promise<void> {
    if (scripted.delayMs) {
      const closed = await waitOrClose(scripted.delayMs, response);
      if (closed) {
        disconnects += 1;
        return;
      }
    }
    if ('drop' in scripted) {
      if (scripted.drop === 'immediately') {
        response.socket?.destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id": "partial", "choices": [');
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.socket?.destroy();
      return;
    }
    const status = scripted.status ?? 200;
    const extra = scripted.headers ?? {};
    if ('json' in scripted) {
      const text = JSON.stringify(scripted.json);
      response.writeHead(status, { 'content-type': 'application/json', ...extra });
      response.end(text);
      return;
    }
    if ('raw' in scripted) {
      response.writeHead(status, { 'content-type': scripted.contentType ?? 'application/json', ...extra });
      response.end(scripted.raw);
      return;
    }
    const events =
      'sse' in scripted
        ? scripted.sse
            .replace(/\r\n/g, '\n')
            .split(/\n\n+/)
            .filter((block) => block.trim() !== '')
            .map((block) => `${block}\n\n`)
        : [...scripted.events.map(frameEvent), ...(scripted.done ? ['data: [DONE]\n\n'] : [])];
    response.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...extra });
    for (const [index, event] of events.entries()) {
      if (scripted.dropAfterEvents !== undefined && index >= scripted.dropAfterEvents) {
        response.socket?.destroy();
        return;
      }
      response.write(event);
      if (scripted.eventDelayMs) {
        const closed = await waitOrClose(scripted.eventDelayMs, response);
        if (closed) {
          disconnects += 1;
          return;
        }
      }
    }
    response.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    url,
    openaiBaseURL: `${url}/v1`,
    anthropicBaseURL: url,
    requests,
    get disconnects() {
      return disconnects;
    },
    requestsTo: (path) => requests.filter((request) => request.path === path),
    enqueue: (path, ...responses) => {
      const queue = queues.get(path) ?? [];
      queue.push(...responses);
      queues.set(path, queue);
    },
    pending: (path) => queues.get(path)?.length ?? 0,
    respondAlways: (path, step) => {
      fallbacks.set(path, step);
    },
    route: (pattern, step) => {
      routes.push({ pattern, step });
    },
    reset: () => {
      requests.length = 0;
      queues.clear();
      fallbacks.clear();
      routes.length = 0;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function frameEvent(event: SseEvent): string {
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  return `${event.event ? `event: ${event.event}\n` : ''}data: ${data}\n\n`;
}

/** Wait `ms`; resolves `true` early if the client went away. */
function waitOrClose(ms: number, response: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      response.off('close', onClose);
      resolve(false);
    }, ms);
    response.once('close', onClose);
  });
}
