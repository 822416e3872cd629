// Chromium's own background traffic (autofill lookups, account and update checks) is refused by the
// egress proxy like everything else, but it is not the page's: the model is told only about what the
// page asked for. Real Chromium on a local form page (forms are what make Chromium ask its autofill
// service), the real `openai` client against the local Responses wire server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWireServer, type WireServer } from '@lllm/test-server';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ComputerUseAgent } from './agent.js';
import { type BlockedRequest, BrowserComputer } from './browser.js';
import { TEST_KEY as KEY, RESPONSES } from './test-agent.js';
import { computerCall, inputOf, message, response } from './test-responses.js';

/** How many sessions the stability check runs (each a few seconds of real Chromium). */
const RUNS = 3;

let site: Server;
let siteUrl: string;
/** A port nothing may reach: the page's WebSocket to it must be refused and reported. */
let outside: Server;
let outsideHits = 0;
let computer: BrowserComputer;
let wire: WireServer;
const reported: BlockedRequest[] = [];

function formPage(outsidePort: number): string {
  // The email (10, 10), name (10, 60) and address (10, 110) fields; the "socket" button (10, 200) opens a
  // WebSocket to the outside port.
  return `<!doctype html><html><head><title>Sign up</title><style>
  body { margin: 0; font: 16px sans-serif; } input, button { position: absolute; left: 10px; width: 300px; height: 36px; }
  </style></head><body><form action="/signup" method="post">
  <input style="top: 10px" name="email" type="email" autocomplete="email" placeholder="Email">
  <input style="top: 60px" name="name" autocomplete="name" placeholder="Name">
  <input style="top: 110px" name="street" autocomplete="street-address" placeholder="Street">
  </form>
  <button style="top: 200px" id="socket" onclick="window.socket = new WebSocket('ws://127.0.0.1:${outsidePort}/feed')">Live feed</button>
  </body></html>`;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  outside = createServer((_request, reply) => {
    outsideHits++;
    reply.end();
  });
  outside.on('connect', (_request, socket) => {
    outsideHits++;
    socket.destroy();
  });
  outside.on('upgrade', (_request, socket) => {
    outsideHits++;
    socket.destroy();
  });
  const outsidePort = await listen(outside);
  site = createServer((_request, reply) => {
    reply.writeHead(200, { 'content-type': 'text/html' }).end(formPage(outsidePort));
  });
  siteUrl = `http://127.0.0.1:${await listen(site)}`;
  computer = await BrowserComputer.launch({
    width: 800,
    height: 600,
    startUrl: siteUrl,
    settleMs: 50,
    onBlocked: (blocked) => reported.push(blocked),
  });
  wire = await startWireServer();
});

afterAll(async () => {
  await computer?.close();
  await wire?.[Symbol.asyncDispose]();
  await new Promise((resolve) => site?.close(resolve));
  await new Promise((resolve) => outside?.close(resolve));
});

const agent = () =>
  new ComputerUseAgent({
    client: new OpenAI({ apiKey: KEY, baseURL: wire.openaiBaseURL, maxRetries: 0 }),
    computer,
    sleep: async () => undefined,
    random: () => 0,
  });

/** The notes the loop added for the model (user items after the first request's task). */
function notesSent(from: number): string[] {
  return wire
    .requestsTo(RESPONSES)
    .slice(from)
    .flatMap((request, index) => inputOf(request).filter((item, position) => item.role === 'user' && !(index === 0 && position === 0)))
    .map((item) => JSON.stringify(item.content));
}

describe("Chromium's own traffic", () => {
  test(`a form page that asks for nothing outside: the model gets no blocked note (${RUNS} sessions)`, async () => {
    for (let run = 0; run < RUNS; run++) {
      await computer.goto(siteUrl);
      const before = wire.requestsTo(RESPONSES).length;
      wire.enqueue(
        RESPONSES,
        response([computerCall(`call_e${run}`, { type: 'click', button: 'left', x: 150, y: 28 })]),
        response([computerCall(`call_t${run}`, { type: 'type', text: 'ada@example.com' })]),
        response([computerCall(`call_n${run}`, { type: 'click', button: 'left', x: 150, y: 78 })]),
        response([computerCall(`call_w${run}`, { type: 'wait', ms: 1_500 })]),
        response([message('Filled in.')]),
      );
      const result = await agent().run('Fill in the email.', { sessionId: `own-traffic-${run}` });
      expect(result.status).toBe('completed');
      expect(result.actions).toHaveLength(4);
      expect(result.actions.flatMap((action) => action.blocked)).toEqual([]);
      expect(notesSent(before)).toEqual([]);
      expect(await computer.activePage.inputValue('input[name=email]')).toBe('ada@example.com');
    }
    // Chromium did try its own services meanwhile: refused, and logged as its own.
    const own = computer.blockedRequests().filter((item) => item.initiator === 'browser');
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((item) => item.stoppedBy === 'proxy')).toBe(true);
    expect(reported.filter((item) => item.initiator === 'browser')).toEqual(own);
    expect(computer.blockedRequests().filter((item) => item.initiator === 'page')).toEqual([]);
  });

  test('a request the page does make outside (a WebSocket the proxy refuses) is still told to the model', async () => {
    await computer.goto(siteUrl);
    const before = wire.requestsTo(RESPONSES).length;
    wire.enqueue(
      RESPONSES,
      response([computerCall('call_s', { type: 'click', button: 'left', x: 150, y: 218 })]),
      response([message('No live feed.')]),
    );
    const result = await agent().run('Open the live feed.', { sessionId: 'own-traffic-socket' });
    expect(result.status).toBe('completed');
    const outsideAuthority = `127.0.0.1:${(outside.address() as AddressInfo).port}`;
    expect(result.actions[0]?.blocked).toEqual([
      expect.objectContaining({ url: outsideAuthority, resourceType: 'tunnel', stoppedBy: 'proxy', initiator: 'page' }),
    ]);
    expect(notesSent(before)).toEqual([
      JSON.stringify([
        {
          type: 'input_text',
          text: `1 request to origins outside the allowlist was blocked (${outsideAuthority}); parts of the page may be missing.`,
        },
      ]),
    ]);
    expect(outsideHits).toBe(0);
  });
});
