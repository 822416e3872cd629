import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { ConfigError, type LogStore, NotFoundError, redactSecrets } from '@lllm/core';
import { codeOf, messageOf } from './errors.js';
import { ReplaySession } from './replay.js';

/** Options of the replay viewer. */
export interface ReplayViewerOptions {
  readonly store: LogStore;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`: the viewer is local only. A host that is not loopback needs `allowNonLoopback`. */
  readonly host?: string;
  /**
   * Serve on a host that is not loopback (`0.0.0.0`, a LAN address). Every transcript becomes
   * reachable from the network, guarded by the token alone; off by default.
   */
  readonly allowNonLoopback?: boolean;
  /** The access token every request must carry (default: 32 random bytes, base64url). */
  readonly token?: string;
}

/** A running replay viewer. */
export interface ReplayViewer extends AsyncDisposable {
  /** The page's address, with the token: open this one. */
  readonly url: string;
  /** `http://host:port`, without the token. */
  readonly origin: string;
  /** The access token. */
  readonly token: string;
  close(): Promise<void>;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * Serve a local web page listing logged sessions and showing one as a timeline: its dialog tree
 * (forks and pruned branches), messages with collapsible pruned attempts, tool calls, and a
 * cost/tokens summary with a chart per agent. JSON at `/api/sessions` and `/api/sessions/<name>`.
 *
 * Transcripts are private, so the viewer binds to loopback only (unless `allowNonLoopback`), every
 * request needs the random token of `url` (as `?token=`, then a cookie the first visit sets, or an
 * `Authorization: Bearer` header; compared in constant time), and a request naming a foreign `Host`
 * or `Origin` (DNS rebinding, another site's page) gets 403. What it serves is redacted of secrets.
 */
export async function serveReplayViewer(options: ReplayViewerOptions): Promise<ReplayViewer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && options.allowNonLoopback !== true) {
    throw new ConfigError(
      `The replay viewer serves private transcripts and binds to loopback only; host ${JSON.stringify(host)} is not loopback. Use 127.0.0.1, or pass allowNonLoopback: true to expose it to the network (the token is still required).`,
    );
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`The replay viewer port must be an integer from 0 to 65535, got ${JSON.stringify(port)}. Use 0 for a free port.`);
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  if (token.length < 16) throw new ConfigError('The replay viewer token must be at least 16 characters: leave it out for a random one.');
  const tokenDigest = digest(token);
  const hostInUrl = isIP(host) === 6 ? `[${host}]` : host;
  // Filled in once the port is known.
  const allowedHosts = new Set<string>();
  let cookieName = 'lllm_replay';

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
        ...headers,
      });
      response.end(body);
    };
    const json = (status: number, value: unknown) => send(status, 'application/json', JSON.stringify(redactSecrets(value)));
    // A page on another site reaching this port through DNS rebinding names its own host; a page on
    // another origin sends its Origin. Neither gets anything.
    const hostHeader = (request.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader))
      return send(403, 'text/plain; charset=utf-8', `Forbidden: Host ${JSON.stringify(hostHeader)} is not this viewer.`);
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedHosts.has(origin.toLowerCase().replace(/^http:\/\//, '')))
      return send(403, 'text/plain; charset=utf-8', 'Forbidden: requests from other origins are refused.');
    const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const queryToken = url.searchParams.get('token') ?? undefined;
    const given = queryToken ?? bearer ?? cookieValue(request, cookieName);
    if (given === undefined || !timingSafeEqual(digest(given), tokenDigest)) {
      return send(
        401,
        'text/plain; charset=utf-8',
        'This replay viewer needs its token: open the URL lllm printed (it ends with ?token=…).',
      );
    }
    if (queryToken !== undefined && request.method === 'GET' && (url.pathname === '/' || url.pathname === '/index.html')) {
      // Keep the token out of the address bar and history: a cookie carries it from now on.
      url.searchParams.delete('token');
      return send(303, 'text/plain; charset=utf-8', '', {
        'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
      });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'Only GET is served.');
    void (async () => {
      if (url.pathname === '/' || url.pathname === '/index.html') return send(200, 'text/html; charset=utf-8', PAGE);
      if (url.pathname === '/api/sessions') {
        const prefix = url.searchParams.get('prefix') ?? undefined;
        const requested = Number(url.searchParams.get('limit') ?? 200);
        const limit = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 10_000) : 200;
        return json(200, await options.store.sessions({ ...(prefix ? { prefix } : {}), limit }));
      }
      const match = /^\/api\/sessions\/(.+)$/.exec(url.pathname);
      if (match?.[1]) {
        let name: string;
        try {
          name = decodeURIComponent(match[1]);
        } catch {
          return json(400, { error: `Session name ${JSON.stringify(match[1])} is not valid percent-encoding.` });
        }
        try {
          const replay = await ReplaySession.load(options.store, name);
          return json(200, replay.toJSON());
        } catch (error) {
          if (NotFoundError.isInstance(error)) return json(404, { error: error.message });
          throw error;
        }
      }
      send(404, 'text/plain; charset=utf-8', 'Not found');
    })().catch((error: unknown) => json(500, { error: messageOf(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      const code = codeOf(error);
      reject(
        code === 'EADDRINUSE'
          ? new ConfigError(`Port ${port} on ${host} is already in use: choose another with --port, or --port 0 for a free one.`, {
              cause: error,
            })
          : code === 'EACCES' || code === 'EPERM'
            ? new ConfigError(
                `Port ${port} on ${host} needs privileges this process lacks: choose a port above 1023, or 0 for a free one.`,
                {
                  cause: error,
                },
              )
            : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
              ? new ConfigError(`Host ${JSON.stringify(host)} is not an address of this machine: use 127.0.0.1.`, { cause: error })
              : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  for (const name of [hostInUrl, '127.0.0.1', 'localhost', '[::1]']) {
    if (name === hostInUrl || isLoopback(host)) allowedHosts.add(`${name.toLowerCase()}:${address.port}`);
  }
  cookieName = `lllm_replay_${address.port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const origin = `http://${hostInUrl}:${address.port}`;
  return { url: `${origin}/?token=${token}`, origin, token, close, [Symbol.asyncDispose]: close };
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LLLM replay</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg: #f7f7f5; --card: #fff; --line: #e3e3de; --text: #1f2328; --muted: #6e7781; --accent: #2f6feb; --warn: #bf8700; --tool: #8250df; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--text); background: var(--bg); display: grid; grid-template-columns: 280px 1fr; height: 100vh; }
  aside { border-right: 1px solid var(--line); overflow: auto; background: var(--card); }
  aside h1 { font-size: 15px; margin: 0; padding: 14px 16px; border-bottom: 1px solid var(--line); }
  aside input { width: calc(100% - 24px); margin: 10px 12px; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; }
  .session { display: block; width: 100%; text-align: left; border: 0; background: none; padding: 8px 16px; cursor: pointer; border-bottom: 1px solid var(--line); font: inherit; }
  .session:hover, .session.active { background: #eef3fd; }
  .session small { display: block; color: var(--muted); }
  main { overflow: auto; padding: 20px 28px; }
  h2 { margin: 0 0 4px; font-size: 20px; }
  .summary { display: flex; gap: 24px; flex-wrap: wrap; margin: 12px 0 20px; }
  .stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 140px; }
  .stat b { display: block; font-size: 18px; }
  .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
  .tree ul { margin: 0; padding-left: 18px; } .tree li { margin: 2px 0; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; background: #eaeef2; color: var(--muted); }
  .badge.exception { background: #fff8c5; color: var(--warn); } .badge.fork { background: #ddf4ff; color: var(--accent); }
  .msg { border-left: 3px solid var(--line); padding: 6px 12px; margin: 8px 0; background: var(--card); border-radius: 0 6px 6px 0; }
  .msg.assistant, .msg.tool_call { border-color: var(--accent); } .msg.tool { border-color: var(--tool); } .msg.system { border-color: #999; }
  .msg.pruned { border-color: var(--warn); background: #fffdf0; }
  .meta { color: var(--muted); font-size: 12px; }
  pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
  .call { color: var(--tool); font-family: ui-monospace, monospace; font-size: 13px; }
  details.attempt { margin: 6px 0 2px; } details.attempt summary { cursor: pointer; color: var(--warn); }
  details.branch > summary { cursor: pointer; color: var(--warn); margin: 6px 0; }
  .empty { color: var(--muted); margin-top: 40px; }
  svg text { font: 12px system-ui, sans-serif; fill: var(--text); }
</style>
</head>
<body>
<aside>
  <h1>LLLM replay</h1>
  <input id="filter" placeholder="Filter sessions by prefix" aria-label="Filter sessions">
  <nav id="sessions"></nav>
</aside>
<main id="main"><p class="empty">Choose a session.</p></main>
<script>
const $ = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value; else if (key.startsWith('on')) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
};
const money = (cost) => (cost.known ? '' : '≥ ') + '$' + cost.totalUsd.toFixed(6);
const time = (ms) => new Date(ms).toISOString().slice(11, 19);

async function loadSessions() {
  const prefix = document.getElementById('filter').value;
  const list = await (await fetch('/api/sessions' + (prefix ? '?prefix=' + encodeURIComponent(prefix) : ''))).json();
  const nav = document.getElementById('sessions');
  nav.replaceChildren(...list.map((info) => $('button', { class: 'session', 'data-session': info.session, onclick: () => show(info.session) },
    info.session, $('small', {}, new Date(info.lastTime).toLocaleString() + ' · ' + info.entries + ' entries'))));
  if (list.length === 0) nav.append($('p', { class: 'empty', style: 'padding: 0 16px' }, 'No sessions.'));
}

function chart(agents) {
  const max = Math.max(...agents.map((a) => a.cost.totalUsd), 1e-12);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  const rowHeight = 26;
  svg.setAttribute('width', '100%'); svg.style.maxWidth = '900px'; svg.setAttribute('height', String(agents.length * rowHeight + 4)); svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'Cost per agent');
  agents.forEach((agent, i) => {
    const y = i * rowHeight + 2;
    const width = Math.max(2, (agent.cost.totalUsd / max) * 300);
    svg.insertAdjacentHTML('beforeend', '<text x="0" y="' + (y + 16) + '"></text><rect x="120" y="' + (y + 3) + '" height="16" rx="3" fill="#2f6feb" width="' + width + '"></rect><text x="' + (128 + width) + '" y="' + (y + 16) + '"></text>');
    const texts = svg.querySelectorAll('text');
    texts[texts.length - 2].textContent = agent.agent;
    texts[texts.length - 1].textContent = money(agent.cost) + ' · ' + (agent.tokens.inputTokens + agent.tokens.cachedInputTokens) + '+' + agent.tokens.outputTokens + ' tok';
  });
  return svg;
}

function messageCard(entry) {
  const m = entry.message;
  const who = m.role === m.creator ? m.role : m.role + ' · ' + m.creator;
  const card = $('div', { class: 'msg ' + m.role + (entry.pruned ? ' pruned' : ''), 'data-role': m.role },
    $('div', { class: 'meta' }, time(entry.time) + ' · ' + who + (m.promptPath ? ' · ' + m.promptPath : '') + (m.usage ? ' · ' + m.usage.inputTokens + '+' + m.usage.outputTokens + ' tok · ' + money(entry.cost) : '') + (entry.pruned ? ' · pruned' : '')),
    m.modality === 'image' ? $('pre', {}, '<image ' + (m.mediaType || '') + (m.caption ? ': ' + m.caption : '') + '>') : (m.content ? $('pre', {}, m.content) : null),
    (m.toolCalls || []).map((call) => $('div', { class: 'call' }, '→ ' + call.name + '(' + JSON.stringify(call.arguments) + ')' + (call.result ? ' = ' + call.result : ''))),
    (m.attempts || []).map((attempt, i) => $('details', { class: 'attempt' },
      $('summary', {}, 'Pruned attempt ' + (i + 1) + ' (' + attempt.kind + ')'),
      $('div', { class: 'meta' }, 'Error fed back: '), $('pre', {}, attempt.error),
      attempt.message ? [$('div', { class: 'meta' }, 'Reply that failed:'), $('pre', { class: 'attempt-reply' }, attempt.message.content || (attempt.message.toolCalls || []).map((c) => c.name + '(' + JSON.stringify(c.arguments) + ')').join(', '))] : null)));
  return card;
}

function dialogView(replay, dialog, byId) {
  const box = $('div', { class: 'dialog', 'data-dialog': dialog.id });
  for (const entry of dialog.messages) box.append(messageCard(entry));
  for (const childId of dialog.children) {
    const child = byId.get(childId);
    if (!child) continue;
    const inner = dialogView(replay, child, byId);
    if (child.branch === 'exception') box.append($('details', { class: 'branch' }, $('summary', {}, '✂ Pruned retry branch (' + child.messages.length + ' messages, forked at ' + child.forkIndex + ')'), inner));
    else box.append($('div', { class: 'panel' }, $('div', { class: 'meta' }, child.branch + ' ' + child.id.slice(0, 8) + ' at message ' + child.forkIndex), inner));
  }
  return box;
}

function treeView(dialog, byId) {
  const label = $('span', {}, $('span', { class: 'badge ' + dialog.branch }, dialog.branch), ' ', dialog.id.slice(0, 8), ' · ', dialog.messages.length + ' messages', dialog.topPrompt ? ' · ' + dialog.topPrompt : '');
  const children = dialog.children.map((id) => byId.get(id)).filter(Boolean);
  return $('li', {}, label, children.length ? $('ul', {}, children.map((child) => treeView(child, byId))) : null);
}

async function show(name) {
  document.querySelectorAll('.session').forEach((node) => node.classList.toggle('active', node.dataset.session === name));
  const response = await fetch('/api/sessions/' + encodeURIComponent(name));
  const main = document.getElementById('main');
  if (!response.ok) { main.replaceChildren($('p', { class: 'empty' }, (await response.json()).error)); return; }
  const replay = await response.json();
  const byId = new Map(replay.dialogs.map((d) => [d.id, d]));
  const roots = replay.roots.map((id) => byId.get(id));
  const retries = replay.agents.reduce((n, a) => n + a.retries, 0);
  const calls = replay.agents.reduce((n, a) => n + a.toolCalls, 0);
  main.replaceChildren(
    $('h2', {}, replay.session),
    $('div', { class: 'summary' },
      $('div', { class: 'stat' }, $('b', { id: 'total-cost' }, money(replay.cost)), 'total cost'),
      $('div', { class: 'stat' }, $('b', {}, replay.tokens.inputTokens + replay.tokens.cachedInputTokens + replay.tokens.cacheWriteInputTokens), 'input tokens (' + replay.tokens.cachedInputTokens + ' cached)'),
      $('div', { class: 'stat' }, $('b', {}, replay.tokens.outputTokens), 'output tokens'),
      $('div', { class: 'stat' }, $('b', {}, retries), 'pruned retries'),
      $('div', { class: 'stat' }, $('b', {}, calls), 'tool calls')),
    $('div', { class: 'panel' }, $('div', { class: 'meta' }, 'Cost per agent'), chart(replay.agents)),
    $('div', { class: 'panel tree' }, $('div', { class: 'meta' }, 'Dialog tree'), $('ul', {}, roots.map((root) => treeView(root, byId)))),
    $('div', { id: 'timeline' }, roots.map((root) => dialogView(replay, root, byId))));
}

document.getElementById('filter').addEventListener('input', () => loadSessions());
loadSessions().then(() => { const first = new URLSearchParams(location.search).get('session'); if (first) show(first); });
</script>
</body>
</html>`;
