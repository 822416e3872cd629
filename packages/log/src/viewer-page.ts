// The replay viewer's page: one HTML document with its style and script inline (the viewer's CSP
// allows nothing else). Every view has its own address: ?session=…&dialog=…&entry=… plus the
// filters (agent, role, prompt, tool, pruned, error), so a link can be shared.

export const VIEWER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>LLLM replay</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg: #f7f7f5; --card: #fff; --line: #e3e3de; --text: #1f2328; --muted: #6e7781; --accent: #2f6feb; --warn: #bf8700; --tool: #8250df; --bad: #cf222e; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--text); background: var(--bg); display: grid; grid-template-columns: 300px 1fr; height: 100vh; }
  aside { border-right: 1px solid var(--line); overflow: auto; background: var(--card); }
  aside h1 { font-size: 15px; margin: 0; padding: 14px 16px; border-bottom: 1px solid var(--line); }
  aside input[type=search], aside input[type=text] { width: calc(100% - 24px); margin: 10px 12px 4px; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; }
  aside label { display: block; margin: 0 12px 8px; color: var(--muted); font-size: 12px; }
  .session, .hit { display: block; width: 100%; text-align: left; border: 0; background: none; padding: 8px 16px; cursor: pointer; border-bottom: 1px solid var(--line); font: inherit; }
  .session:hover, .session.active, .hit:hover { background: #eef3fd; }
  .session small, .hit small { display: block; color: var(--muted); }
  .hit mark { background: #fff8c5; }
  #search-results:empty { display: none; }
  #search-results { border-bottom: 2px solid var(--accent); }
  .section-title { padding: 6px 16px; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; background: var(--bg); border-bottom: 1px solid var(--line); }
  main { overflow: auto; padding: 20px 28px; }
  h2 { margin: 0 0 4px; font-size: 20px; }
  .summary { display: flex; gap: 16px; flex-wrap: wrap; margin: 12px 0 20px; }
  .stat { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 130px; }
  .stat b { display: block; font-size: 18px; }
  .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
  table { border-collapse: collapse; width: 100%; max-width: 1000px; font-size: 13px; }
  th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); } th { color: var(--muted); font-weight: 500; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .bar { display: inline-block; height: 10px; background: var(--accent); border-radius: 3px; vertical-align: middle; }
  .tree ul { margin: 0; padding-left: 18px; list-style: none; } .tree > ul { padding-left: 0; } .tree li { margin: 2px 0; }
  .tree-node { border: 1px solid transparent; background: none; font: inherit; cursor: pointer; padding: 1px 6px; border-radius: 6px; }
  .tree-node:hover { border-color: var(--line); } .tree-node.active { background: #eef3fd; border-color: var(--accent); }
  details.tree-pruned > summary { cursor: pointer; color: var(--warn); font-size: 13px; }
  .badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px; background: #eaeef2; color: var(--muted); }
  .badge.exception { background: #fff8c5; color: var(--warn); } .badge.fork { background: #ddf4ff; color: var(--accent); }
  .filters { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; }
  .filters select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 6px; background: var(--card); }
  .msg { border-left: 3px solid var(--line); padding: 6px 12px; margin: 8px 0; background: var(--card); border-radius: 0 6px 6px 0; }
  .msg.assistant, .msg.tool_call { border-color: var(--accent); } .msg.tool { border-color: var(--tool); } .msg.system { border-color: #999; }
  .msg.pruned { border-color: var(--warn); background: #fffdf0; }
  .msg.target { outline: 2px solid var(--accent); }
  .msg.filtered-out { display: none; }
  .latency { color: var(--accent); font-weight: 600; }
  .meta { color: var(--muted); font-size: 12px; } .meta a { color: inherit; }
  pre { white-space: pre-wrap; word-break: break-word; margin: 4px 0; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
  .call { color: var(--tool); font-family: ui-monospace, monospace; font-size: 13px; }
  details.attempt { margin: 6px 0 2px; } details.attempt summary { cursor: pointer; color: var(--warn); }
  details.branch > summary { cursor: pointer; color: var(--warn); margin: 6px 0; }
  .error-line { color: var(--bad); }
  .empty { color: var(--muted); margin-top: 40px; }
  .crumb { margin: 0 0 8px; } .crumb button { border: 0; background: none; color: var(--accent); cursor: pointer; font: inherit; padding: 0; }
</style>
</head>
<body>
<aside>
  <h1>LLLM replay</h1>
  <form id="search-form" role="search">
    <input id="search" type="search" placeholder="Search messages and tool calls" aria-label="Search messages and tool calls">
    <label><input id="search-here" type="checkbox"> only in the open session</label>
  </form>
  <div id="search-results"></div>
  <input id="filter" type="text" placeholder="Filter sessions by prefix" aria-label="Filter sessions">
  <nav id="sessions"></nav>
</aside>
<main id="main"><p class="empty">Choose a session.</p></main>
<script>
const $ = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value; else if (key.startsWith('on')) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
};
const money = (cost) => (cost.known ? '' : '≥ ') + '$' + cost.totalUsd.toFixed(6);
const time = (ms) => new Date(ms).toISOString().slice(11, 19);
const duration = (ms) => ms < 1000 ? Math.round(ms) + ' ms' : ms < 60000 ? (ms / 1000).toFixed(1) + ' s' : Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
const FILTERS = ['agent', 'role', 'prompt', 'tool', 'pruned', 'error'];
let current = null; // the loaded session's JSON

function params() { return new URLSearchParams(location.search); }
function go(changes, replace) {
  const next = params();
  for (const [key, value] of Object.entries(changes)) { if (value === undefined || value === null || value === '') next.delete(key); else next.set(key, value); }
  const search = next.toString();
  history[replace ? 'replaceState' : 'pushState'](null, '', location.pathname + (search ? '?' + search : ''));
  render();
}

async function loadSessions() {
  const prefix = document.getElementById('filter').value;
  const list = await (await fetch('/api/sessions' + (prefix ? '?prefix=' + encodeURIComponent(prefix) : ''))).json();
  const nav = document.getElementById('sessions');
  nav.replaceChildren($('div', { class: 'section-title' }, 'Sessions'), ...list.sort((a, b) => b.lastTime - a.lastTime).map((info) => $('button', { class: 'session', 'data-session': info.session, onclick: () => go({ session: info.session, dialog: '', entry: '' }) },
    info.session, $('small', {}, new Date(info.lastTime).toLocaleString() + ' · ' + info.entries + ' entries'))));
  if (list.length === 0) nav.append($('p', { class: 'empty', style: 'padding: 0 16px' }, 'No sessions.'));
  markActive();
}
function markActive() {
  const name = params().get('session');
  document.querySelectorAll('.session').forEach((node) => node.classList.toggle('active', node.dataset.session === name));
}

async function search(event) {
  if (event) event.preventDefault();
  const query = document.getElementById('search').value.trim();
  const box = document.getElementById('search-results');
  if (!query) { box.replaceChildren(); return; }
  const url = new URLSearchParams({ q: query });
  const here = document.getElementById('search-here').checked && params().get('session');
  if (here) url.set('session', params().get('session'));
  for (const key of FILTERS) if (params().get(key)) url.set(key, params().get(key));
  const response = await fetch('/api/search?' + url);
  const body = await response.json();
  if (!response.ok) { box.replaceChildren($('p', { class: 'empty', style: 'padding: 0 16px' }, body.error)); return; }
  box.replaceChildren($('div', { class: 'section-title', id: 'search-count' }, body.hits.length + ' match' + (body.hits.length === 1 ? '' : 'es') + ' (' + (body.method === 'fts5' ? 'SQLite FTS5' : body.method === 'tsvector' ? 'PostgreSQL full-text' : 'scan') + ')'),
    ...body.hits.map((hit) => $('button', { class: 'hit', 'data-session': hit.session, onclick: () => go({ session: hit.session, dialog: '', entry: hit.dialogId + ':' + hit.index }) },
      $('small', {}, hit.session + ' · ' + hit.role + ' · ' + hit.creator + (hit.promptPath ? ' · ' + hit.promptPath : '') + (hit.pruned ? ' · pruned' : '')),
      highlight(hit.snippet, query))));
}
function highlight(text, query) {
  const words = (query.toLowerCase().match(/[\\p{L}\\p{N}_]+/gu) || []);
  const span = $('span');
  const lower = text.toLowerCase();
  let at = 0;
  while (at < text.length) {
    let next = -1, word = '';
    for (const candidate of words) { const index = lower.indexOf(candidate, at); if (index >= 0 && (next < 0 || index < next)) { next = index; word = candidate; } }
    if (next < 0) { span.append(text.slice(at)); break; }
    span.append(text.slice(at, next), $('mark', {}, text.slice(next, next + word.length)));
    at = next + word.length;
  }
  return span;
}

function agentTable(agents) {
  const max = Math.max(...agents.map((a) => a.cost.totalUsd), 1e-12);
  return $('table', { id: 'agent-table' },
    $('thead', {}, $('tr', {}, ['agent', 'replies', 'pruned retries', 'tool calls', 'tokens', 'cost', '', 'mean latency', 'max latency', 'rate-limit waits'].map((title, i) => $('th', { class: i > 0 && i !== 6 ? 'num' : '' }, title)))),
    $('tbody', {}, agents.map((agent) => $('tr', { 'data-agent': agent.agent },
      $('td', {}, agent.agent), $('td', { class: 'num' }, agent.replies), $('td', { class: 'num' }, agent.retries), $('td', { class: 'num' }, agent.toolCalls),
      $('td', { class: 'num' }, (agent.tokens.inputTokens + agent.tokens.cachedInputTokens) + '+' + agent.tokens.outputTokens),
      $('td', { class: 'num' }, money(agent.cost)), $('td', {}, $('span', { class: 'bar', style: 'width:' + Math.max(2, (agent.cost.totalUsd / max) * 120) + 'px' })),
      $('td', { class: 'num latency' }, duration(agent.meanLatencyMs || 0)), $('td', { class: 'num' }, duration(agent.maxLatencyMs || 0)),
      $('td', { class: 'num' }, (agent.rateLimitWaits || 0) + (agent.rateLimitWaits ? ' (' + duration(agent.rateLimitWaitMs) + ')' : ''))))));
}

function errorKinds(m) { return (m.attempts || []).flatMap((a) => [a.kind, a.provider && a.provider.errorKind]).filter(Boolean); }

function messageCard(dialog, entry) {
  const m = entry.message;
  const who = m.role === m.creator ? m.role : m.role + ' · ' + m.creator;
  const id = dialog.id + ':' + entry.index;
  const link = $('a', { href: '?' + new URLSearchParams({ session: current.session, dialog: dialog.id, entry: id }), onclick: (event) => { event.preventDefault(); go({ dialog: dialog.id, entry: id }); } }, time(entry.time));
  return $('div', { class: 'msg ' + m.role + (entry.pruned ? ' pruned' : ''), id: 'm-' + id, 'data-entry': id, 'data-role': m.role, 'data-agent': m.creator, 'data-prompt': m.promptPath || '',
      'data-tools': (m.toolCalls || []).map((c) => c.name).join(','), 'data-pruned': String(entry.pruned), 'data-errors': errorKinds(m).join(',') },
    $('div', { class: 'meta' }, link, ' · ' + who + (m.promptPath ? ' · ' + m.promptPath : '') + (m.usage ? ' · ' + m.usage.inputTokens + '+' + m.usage.outputTokens + ' tok · ' + money(entry.cost) : ''),
      entry.latencyMs !== null && entry.latencyMs !== undefined ? [' · ', $('span', { class: 'latency', title: 'request start to reply' }, duration(entry.latencyMs))] : null,
      entry.pruned ? ' · pruned' : ''),
    m.modality === 'image' ? $('pre', {}, '<image ' + (m.mediaType || '') + (m.caption ? ': ' + m.caption : '') + '>') : (m.content ? $('pre', {}, m.content) : null),
    (m.toolCalls || []).map((call) => $('div', { class: 'call' }, '→ ' + call.name + '(' + JSON.stringify(call.arguments) + ')' + (call.result ? ' = ' + call.result : ''))),
    (m.attempts || []).map((attempt, i) => $('details', { class: 'attempt' },
      $('summary', {}, 'Failed attempt ' + (i + 1) + ' (' + attempt.kind + (attempt.provider ? ' · ' + attempt.provider.errorKind + ' · ' + duration(attempt.provider.durationMs) + (attempt.provider.waitMs ? ', then waited ' + duration(attempt.provider.waitMs) : '') : '') + ')'),
      $('div', { class: 'meta' }, 'Error: '), $('pre', {}, attempt.error),
      attempt.message ? [$('div', { class: 'meta' }, 'Reply that failed:'), $('pre', { class: 'attempt-reply' }, attempt.message.content || (attempt.message.toolCalls || []).map((c) => c.name + '(' + JSON.stringify(c.arguments) + ')').join(', '))] : null)));
}

function dialogView(dialog, byId) {
  const box = $('div', { class: 'dialog', 'data-dialog': dialog.id });
  for (const entry of dialog.messages) box.append(messageCard(dialog, entry));
  for (const childId of dialog.children) {
    const child = byId.get(childId);
    if (!child) continue;
    const inner = dialogView(child, byId);
    if (child.branch === 'exception') box.append($('details', { class: 'branch', 'data-dialog': child.id }, $('summary', {}, '✂ Pruned branch (' + child.messages.length + ' messages, forked at ' + child.forkIndex + ')'), inner));
    else box.append($('div', { class: 'panel' }, $('div', { class: 'meta' }, child.branch + ' ' + child.id.slice(0, 8) + ' at message ' + child.forkIndex), inner));
  }
  return box;
}

function treeView(dialog, byId, selected) {
  const button = $('button', { class: 'tree-node' + (dialog.id === selected ? ' active' : ''), 'data-dialog': dialog.id, onclick: () => go({ dialog: dialog.id, entry: '' }) },
    $('span', { class: 'badge ' + dialog.branch }, dialog.branch), ' ', dialog.id.slice(0, 8), ' · ', dialog.messages.length + ' messages', dialog.topPrompt ? ' · ' + dialog.topPrompt : '');
  const children = dialog.children.map((id) => byId.get(id)).filter(Boolean);
  const kept = children.filter((child) => child.branch !== 'exception');
  const pruned = children.filter((child) => child.branch === 'exception');
  const openPruned = pruned.some((child) => contains(child, selected, byId));
  return $('li', {}, button,
    kept.length ? $('ul', {}, kept.map((child) => treeView(child, byId, selected))) : null,
    pruned.length ? $('details', { class: 'tree-pruned', open: openPruned ? '' : null }, $('summary', {}, '✂ ' + pruned.length + ' pruned branch' + (pruned.length === 1 ? '' : 'es')), $('ul', {}, pruned.map((child) => treeView(child, byId, selected)))) : null);
}
function contains(dialog, id, byId, depth = 0) {
  if (!id || depth > 64) return false;
  return dialog.id === id || dialog.children.some((child) => byId.has(child) && contains(byId.get(child), id, byId, depth + 1));
}

function options(id, label, values, selected) {
  return $('label', {}, label + ' ', $('select', { id: 'f-' + id, 'data-filter': id, onchange: (event) => go({ [id]: event.target.value, entry: '' }, true) },
    $('option', { value: '' }, 'all'), values.map((value) => $('option', { value, selected: value === selected ? '' : null }, value))));
}
function filterBar(replay) {
  const all = replay.dialogs.flatMap((d) => d.messages.map((e) => e.message));
  const uniq = (list) => [...new Set(list.filter(Boolean))].sort();
  const p = params();
  return $('div', { class: 'panel filters', id: 'filters' },
    options('agent', 'agent', uniq(all.map((m) => m.creator)), p.get('agent')),
    options('role', 'role', uniq(all.map((m) => m.role)), p.get('role')),
    options('prompt', 'prompt', uniq(all.map((m) => m.promptPath)), p.get('prompt')),
    options('tool', 'tool', uniq(all.flatMap((m) => (m.toolCalls || []).map((c) => c.name))), p.get('tool')),
    options('pruned', 'pruned/kept', ['true', 'false'], p.get('pruned')),
    options('error', 'error kind', uniq(all.flatMap(errorKinds)), p.get('error')),
    $('span', { class: 'meta', id: 'filter-count' }));
}
function applyFilters() {
  const p = params();
  let shown = 0, total = 0;
  for (const card of document.querySelectorAll('#timeline .msg')) {
    total += 1;
    const d = card.dataset;
    const prompt = p.get('prompt');
    const ok = (!p.get('agent') || d.agent === p.get('agent')) && (!p.get('role') || d.role === p.get('role'))
      && (!prompt || d.prompt === prompt || d.prompt.startsWith(prompt.replace(/\\/$/, '') + '/'))
      && (!p.get('tool') || d.tools.split(',').includes(p.get('tool'))) && (!p.get('pruned') || d.pruned === p.get('pruned'))
      && (!p.get('error') || d.errors.split(',').includes(p.get('error')));
    card.classList.toggle('filtered-out', !ok);
    if (ok) shown += 1;
    // A matching message inside a collapsed pruned branch opens it when a filter asks for it.
    if (ok && FILTERS.some((key) => p.get(key))) for (let node = card.parentElement; node; node = node.parentElement) if (node.tagName === 'DETAILS') node.open = true;
  }
  const count = document.getElementById('filter-count');
  if (count) count.textContent = FILTERS.some((key) => p.get(key)) ? shown + ' of ' + total + ' messages' : total + ' messages';
}

async function render() {
  markActive();
  const p = params();
  const name = p.get('session');
  const main = document.getElementById('main');
  if (!name) { main.replaceChildren($('p', { class: 'empty' }, 'Choose a session.')); return; }
  if (!current || current.session !== name) {
    const response = await fetch('/api/sessions/' + encodeURIComponent(name));
    if (!response.ok) { current = null; main.replaceChildren($('p', { class: 'empty', id: 'not-found' }, (await response.json()).error)); return; }
    current = await response.json();
  }
  const replay = current;
  const byId = new Map(replay.dialogs.map((d) => [d.id, d]));
  const selected = p.get('dialog') && byId.has(p.get('dialog')) ? p.get('dialog') : null;
  const shownRoots = selected ? [byId.get(selected)] : replay.roots.map((id) => byId.get(id)).filter(Boolean);
  const retries = replay.agents.reduce((n, a) => n + a.retries, 0);
  const calls = replay.agents.reduce((n, a) => n + a.toolCalls, 0);
  const replies = replay.agents.reduce((n, a) => n + a.replies, 0);
  const latency = replies ? replay.agents.reduce((n, a) => n + (a.latencyMs || 0), 0) / replies : 0;
  main.replaceChildren(...[
    $('h2', { id: 'session-title' }, replay.session),
    replay.end ? $('div', { class: 'meta' }, 'Ended: ' + replay.end.status + (replay.end.reason ? ' (' + replay.end.reason + ')' : '')) : null,
    $('div', { class: 'summary' },
      $('div', { class: 'stat' }, $('b', { id: 'total-cost' }, money(replay.cost)), 'total cost'),
      $('div', { class: 'stat' }, $('b', {}, replay.tokens.inputTokens + replay.tokens.cachedInputTokens + replay.tokens.cacheWriteInputTokens), 'input tokens (' + replay.tokens.cachedInputTokens + ' cached)'),
      $('div', { class: 'stat' }, $('b', {}, replay.tokens.outputTokens), 'output tokens'),
      $('div', { class: 'stat' }, $('b', { id: 'mean-latency' }, duration(latency)), 'mean reply latency'),
      $('div', { class: 'stat' }, $('b', { id: 'rate-limit-wait' }, duration(replay.rateLimitWaitMs || 0)), 'waiting on rate limits'),
      $('div', { class: 'stat' }, $('b', {}, retries), 'pruned retries'),
      $('div', { class: 'stat' }, $('b', {}, calls), 'tool calls')),
    replay.callErrors.length ? $('div', { class: 'panel' }, replay.callErrors.map((failure) => $('div', { class: 'error-line' }, '✗ agent ' + failure.agent + ' failed (' + failure.kind + '): ' + failure.error))) : null,
    $('div', { class: 'panel' }, $('div', { class: 'meta' }, 'Cost and latency per agent'), agentTable(replay.agents)),
    $('div', { class: 'panel tree', id: 'tree' }, $('div', { class: 'meta' }, 'Dialog tree (click a dialog to open it; pruned branches are collapsed)'), $('ul', {}, replay.roots.map((id) => byId.get(id)).filter(Boolean).map((root) => treeView(root, byId, selected)))),
    filterBar(replay),
    selected ? $('div', { class: 'crumb' }, 'Dialog ' + selected.slice(0, 8) + ' · ', $('button', { id: 'show-all', onclick: () => go({ dialog: '', entry: '' }) }, 'show every dialog')) : null,
    $('div', { id: 'timeline' }, shownRoots.map((root) => dialogView(root, byId)))].filter(Boolean));
  applyFilters();
  const entry = p.get('entry');
  const target = entry ? document.getElementById('m-' + entry) : null;
  if (target) {
    for (let node = target.parentElement; node; node = node.parentElement) if (node.tagName === 'DETAILS') node.open = true;
    target.classList.add('target');
    target.scrollIntoView({ block: 'center' });
  }
}

document.getElementById('filter').addEventListener('input', () => loadSessions());
document.getElementById('search-form').addEventListener('submit', search);
window.addEventListener('popstate', () => render());
loadSessions().then(render);
</script>
</body>
</html>`;
