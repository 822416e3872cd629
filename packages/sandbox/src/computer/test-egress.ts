// Test helpers (not built): an independent recording HTTP proxy that sees every byte the browser's
// egress proxy lets out, and a pair of local sites, one allowed and one "foreign" that must never be
// reached (HTTP, WebSocket and a UDP port standing in for a STUN server).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';

/** What the recording proxy was asked for. */
export interface RecordedRequest {
  readonly kind: 'http' | 'connect';
  /** `host:port`. */
  readonly host: string;
  /** The absolute URL (HTTP) or `host:port` (CONNECT). */
  readonly target: string;
}

export interface RecordingProxy extends AsyncDisposable {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Every distinct `host:port` it saw, sorted. */
  hosts(): string[];
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A plain forward proxy (written independently of `EgressProxy`) that records and forwards everything. */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Duplex>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '');
    requests.push({ kind: 'http', host: `${url.hostname}:${url.port || 80}`, target: url.href });
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: Number(url.port || 80),
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers: request.headers,
      },
      (incoming) => {
        response.writeHead(incoming.statusCode ?? 502, incoming.headers);
        incoming.pipe(response);
      },
    );
    outgoing.on('error', () => response.destroy());
    request.pipe(outgoing);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  server.on('connect', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = request.url ?? '';
    requests.push({ kind: 'connect', host: target, target });
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const remote = connect({ host, port }, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) remote.write(head);
      remote.pipe(socket);
      socket.pipe(remote);
    });
    sockets.add(remote);
    remote.on('error', () => socket.destroy());
    remote.once('close', () => socket.destroy());
    socket.once('close', () => remote.destroy());
  });
  const port = await listen(server);
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await closeServer(server);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    hosts: () => [...new Set(requests.map((request) => request.host))].sort(),
    close,
    [Symbol.asyncDispose]: close,
  };
}

export interface EgressSite extends AsyncDisposable {
  /** The allowed origin. */
  readonly url: string;
  /** The foreign origin: nothing may reach it. */
  readonly foreignUrl: string;
  /** A UDP port on 127.0.0.1 standing in for a foreign STUN server. */
  readonly udpPort: number;
  /** Paths the foreign server was asked for (HTTP and WebSocket upgrades). */
  readonly foreignHits: string[];
  /** UDP datagrams the foreign port received. */
  udpPackets(): number;
  /** Paths the allowed server was asked for. */
  readonly allowedHits: string[];
  close(): Promise<void>;
}

// A full-viewport link: a click anywhere follows it.
function linkPage(to: string): string {
  return `<!doctype html><title>go</title><a id="go" href="${to}" style="position:absolute;inset:0;display:block">go to ${to}</a>`;
}

function subresourcePage(url: string, foreignUrl: string, udpPort: number): string {
  const foreignWs = foreignUrl.replace(/^http/, 'ws');
  const allowedWs = url.replace(/^http/, 'ws');
  return `<!doctype html><title>subresources</title><body>
  <img src="${foreignUrl}/img.png" alt="">
  <iframe src="${foreignUrl}/frame"></iframe>
  <script>
  window.results = {};
  fetch('${foreignUrl}/fetch').then(() => { results.fetch = 'loaded'; }, () => { results.fetch = 'failed'; });
  fetch('/bounce?to=${encodeURIComponent(`${foreignUrl}/fetch-redirected`)}').then((r) => { results.redirectedFetch = r.status; }, () => { results.redirectedFetch = 'failed'; });
  fetch('/hello').then((r) => r.text()).then((t) => { results.allowedFetch = t; }, () => { results.allowedFetch = 'failed'; });
  const xhr = new XMLHttpRequest(); xhr.open('GET', '${foreignUrl}/xhr');
  xhr.onload = () => { results.xhr = 'loaded'; }; xhr.onerror = () => { results.xhr = 'failed'; }; xhr.send();
  const foreign = new WebSocket('${foreignWs}/socket');
  foreign.onopen = () => { results.foreignSocket = 'open'; }; foreign.onerror = () => { results.foreignSocket = 'failed'; };
  const allowed = new WebSocket('${allowedWs}/socket');
  allowed.onmessage = (event) => { results.allowedSocket = event.data; };
  allowed.onerror = () => { results.allowedSocket = 'failed'; };
  allowed.onopen = () => allowed.send('ping');
  const pc = new RTCPeerConnection({ iceServers: [{ urls: 'stun:127.0.0.1:${udpPort}' }] });
  pc.createDataChannel('leak');
  pc.createOffer().then((offer) => pc.setLocalDescription(offer)).then(() => { results.rtc = 'offered'; }, () => { results.rtc = 'failed'; });
  </script></body>`;
}

/** The allowed site (pages that redirect, refresh, script and embed their way to the foreign one) and the foreign site. */
export async function startEgressSite(): Promise<EgressSite> {
  const foreignHits: string[] = [];
  const allowedHits: string[] = [];
  const foreign = createServer((request, response) => {
    foreignHits.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>foreign</title>foreign');
  });
  const foreignSockets = new WebSocketServer({ noServer: true });
  foreign.on('upgrade', (request, socket, head) => {
    foreignHits.push(`upgrade ${request.url}`);
    foreignSockets.handleUpgrade(request, socket, head, (ws) => ws.close());
  });
  const foreignPort = await listen(foreign);
  const foreignUrl = `http://127.0.0.1:${foreignPort}`;
  const udp: UdpSocket = createSocket('udp4');
  let packets = 0;
  udp.on('message', () => {
    packets += 1;
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', () => resolve()));
  const udpPort = udp.address().port;

  let url = '';
  const allowed = createServer((request, response) => {
    allowedHits.push(request.url ?? '');
    const parsed = new URL(request.url ?? '/', url);
    const html = (body: string) => response.writeHead(200, { 'content-type': 'text/html' }).end(body);
    switch (parsed.pathname) {
      case '/go':
        return html(linkPage(parsed.searchParams.get('to') ?? '/'));
      case '/chain':
        return response.writeHead(302, { location: '/chain2' }).end();
      case '/chain2':
        return response.writeHead(307, { location: `${foreignUrl}/redirected` }).end();
      case '/bounce':
        return response.writeHead(307, { location: parsed.searchParams.get('to') ?? '/' }).end();
      case '/meta':
        return html(`<!doctype html><meta http-equiv="refresh" content="0;url=${foreignUrl}/meta-target"><title>meta</title>`);
      case '/script':
        return html(
          `<!doctype html><title>script</title><script>addEventListener('load', () => setTimeout(() => { location.href = '${foreignUrl}/script-target'; }, 50));</script>`,
        );
      case '/subresources':
        return html(subresourcePage(url, foreignUrl, udpPort));
      case '/parsing-head':
      case '/parsing-body': {
        // A script navigates off the list while the document is still arriving: the rest is held back.
        const script = `<script>location.href = '${foreignUrl}/from-parsing';</script>`;
        response.writeHead(200, { 'content-type': 'text/html' });
        response.write(
          parsed.pathname === '/parsing-head'
            ? `<!doctype html><html><head><title>parsing</title>${script}</head>`
            : `<!doctype html><html><head><title>parsing</title></head><body style="margin:0;background:#0000ff"><h1>parsing</h1>${script}`,
        );
        const rest = setTimeout(() => response.end('<p>the rest</p></body></html>'), 60_000);
        response.on('close', () => clearTimeout(rest));
        return;
      }
      case '/hello':
        return response.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
      default:
        return html('<!doctype html><title>home</title>home');
    }
  });
  const allowedSockets = new WebSocketServer({ noServer: true });
  allowed.on('upgrade', (request, socket, head) => {
    allowedHits.push(`upgrade ${request.url}`);
    allowedSockets.handleUpgrade(request, socket, head, (ws) => ws.on('message', (data) => ws.send(`pong:${String(data)}`)));
  });
  url = `http://127.0.0.1:${await listen(allowed)}`;

  const close = async () => {
    for (const client of [...foreignSockets.clients, ...allowedSockets.clients]) client.terminate();
    foreignSockets.close();
    allowedSockets.close();
    udp.close();
    await Promise.all([closeServer(allowed), closeServer(foreign)]);
  };
  return {
    url,
    foreignUrl,
    udpPort,
    foreignHits,
    allowedHits,
    udpPackets: () => packets,
    close,
    [Symbol.asyncDispose]: close,
  };
}
