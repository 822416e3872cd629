// Test helpers (not built): a local page with buttons and inputs at fixed positions, a second
// "outside" server that must never be reached, and a small PNG decoder to check screenshots.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateSync } from 'node:zlib';

export interface TestSite extends AsyncDisposable {
  readonly url: string;
  readonly outsideUrl: string;
  /** Requests the outside server received (must stay 0). */
  outsideHits(): number;
  close(): Promise<void>;
}

// Every control sits at a fixed place so tests (and scripted models) can click by coordinates.
// Centres: increment (60, 30), right-click (180, 30), double-click (300, 30), input (150, 90),
// move pad (500, 60), drag pad from (100, 200) to (300, 200), same-origin link (40, 288),
// outside link (170, 288), popup link (310, 288), slow popup link (400, 288), slow window.open
// button (520, 288), outside window.open button (660, 288).
function mainPage(outsideUrl: string): string {
  return `<!doctype html><html><head><title>Test page</title><style>
  body { margin: 0; font: 14px sans-serif; height: 3000px; background: #ffffff; }
  button, input, a, div.pad { position: absolute; box-sizing: border-box; }
  #inc { left: 10px; top: 10px; width: 100px; height: 40px; }
  #right { left: 130px; top: 10px; width: 100px; height: 40px; }
  #dbl { left: 250px; top: 10px; width: 100px; height: 40px; }
  #text { left: 10px; top: 70px; width: 280px; height: 40px; font-size: 18px; }
  #movepad { left: 400px; top: 10px; width: 200px; height: 100px; background: #eeeeff; }
  #dragpad { left: 10px; top: 150px; width: 400px; height: 100px; background: #eeffee; }
  #same { left: 10px; top: 280px; } #out { left: 150px; top: 280px; } #popup { left: 290px; top: 280px; }
  #slow { left: 370px; top: 280px; }
  #slowopen { left: 460px; top: 270px; width: 120px; height: 36px; }
  #outopen { left: 600px; top: 270px; width: 120px; height: 36px; }
  #state { position: absolute; left: 10px; top: 330px; white-space: pre; }
  #paint { position: absolute; left: 700px; top: 10px; width: 100px; height: 100px; background: #ffffff; }
  </style></head><body>
  <button id="inc">Increment</button>
  <button id="right">Right</button>
  <button id="dbl">Double</button>
  <input id="text" autocomplete="off">
  <div class="pad" id="movepad"></div>
  <div class="pad" id="dragpad"></div>
  <a id="same" href="/second">Second page</a>
  <a id="out" href="${outsideUrl}/leak">Outside</a>
  <a id="popup" href="/second" target="_blank">Popup</a>
  <a id="slow" href="/slow-popup" target="_blank">Slow popup</a>
  <button id="slowopen" onclick="window.open('/slow-popup?opened')">Open slow</button>
  <button id="outopen" onclick="window.open('${outsideUrl}/popup')">Open outside</button>
  <div id="paint"></div>
  <img src="${outsideUrl}/pixel.png" width="1" height="1" alt="">
  <div id="state"></div>
  <script>
    const state = { count: 0, right: 0, double: 0, submitted: null, keys: [], moved: null, drag: null, wheel: 0 };
    window.testState = state;
    const show = () => { document.getElementById('state').textContent = JSON.stringify(state); };
    document.getElementById('inc').addEventListener('click', () => {
      state.count++;
      document.getElementById('paint').style.background = '#ff0000';
      show();
    });
    document.getElementById('right').addEventListener('contextmenu', (e) => { e.preventDefault(); state.right++; show(); });
    document.getElementById('dbl').addEventListener('dblclick', () => { state.double++; show(); });
    document.getElementById('text').addEventListener('keydown', (e) => {
      state.keys.push((e.ctrlKey ? 'Ctrl+' : '') + (e.shiftKey ? 'Shift+' : '') + e.key);
      if (e.key === 'Enter') state.submitted = e.target.value;
      show();
    });
    document.getElementById('movepad').addEventListener('mousemove', (e) => { state.moved = [e.clientX, e.clientY]; show(); });
    let dragStart = null;
    const pad = document.getElementById('dragpad');
    pad.addEventListener('mousedown', (e) => { dragStart = [e.clientX, e.clientY]; });
    window.addEventListener('mouseup', (e) => { if (dragStart) { state.drag = [dragStart, [e.clientX, e.clientY]]; dragStart = null; show(); } });
    window.addEventListener('wheel', () => { state.wheel++; });
    show();
  </script></body></html>`;
}

/** Served after `SLOW_POPUP_MS`: a popup whose first navigation commits late. "Close" (60, 30) calls `window.close()`. */
const slowPopupPage = `<!doctype html><html><head><title>Slow popup</title></head><body style="margin:0;background:#008000">
<button id="close" style="position:absolute;left:10px;top:10px;width:100px;height:40px" onclick="window.close()">Close</button>
</body></html>`;

/** How long the test site holds back `/slow-popup`. */
export const SLOW_POPUP_MS = 600;

const secondPage = `<!doctype html><html><head><title>Second</title></head><body style="margin:0;background:#0000ff">
<h1 style="color:white">Second page</h1></body></html>`;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

export async function startTestSite(): Promise<TestSite> {
  let hits = 0;
  const outside = createServer((_request, response) => {
    hits++;
    response.end('outside');
  });
  const outsideUrl = await listen(outside);
  const site = createServer((request, response) => {
    if (request.url === '/second') {
      response.setHeader('content-type', 'text/html');
      response.end(secondPage);
      return;
    }
    if (request.url === '/slow-popup' || request.url?.startsWith('/slow-popup?')) {
      const timer = setTimeout(() => {
        response.setHeader('content-type', 'text/html');
        response.end(slowPopupPage);
      }, SLOW_POPUP_MS);
      response.on('close', () => clearTimeout(timer));
      return;
    }
    if (request.url === '/' || request.url?.startsWith('/?')) {
      response.setHeader('content-type', 'text/html');
      response.end(mainPage(outsideUrl));
      return;
    }
    response.statusCode = 404;
    response.end('not found');
  });
  const url = await listen(site);
  const close = async () => {
    site.closeAllConnections();
    outside.closeAllConnections();
    await Promise.all([new Promise((r) => site.close(r)), new Promise((r) => outside.close(r))]);
  };
  return { url, outsideUrl, outsideHits: () => hits, close, [Symbol.asyncDispose]: close };
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  /** RGBA of one pixel. */
  pixel(x: number, y: number): [number, number, number, number];
}

/** Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes). */
export function decodePng(png: Buffer): DecodedPng {
  if (png.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString('ascii');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('unsupported PNG (bit depth or interlace)');
      colorType = data[9] ?? 0;
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (!channels) throw new Error(`unsupported PNG colour type ${colorType}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] ?? 0;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x] ?? 0;
      const left = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const upLeft = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let predicted = 0;
      if (filter === 1) predicted = left;
      else if (filter === 2) predicted = up;
      else if (filter === 3) predicted = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[y * stride + x] = (value + predicted) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel(x, y) {
      const at = y * stride + x * channels;
      return [pixels[at] ?? 0, pixels[at + 1] ?? 0, pixels[at + 2] ?? 0, channels === 4 ? (pixels[at + 3] ?? 0) : 255];
    },
  };
}
