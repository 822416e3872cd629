// A process that owns a Jupyter sandbox, for the isolation and orphan tests (run with tsx).
// argv: <root> <isolation: namespace|none|default> <action: probe|hold> [code file]
// Prints one JSON line: { ownerPid, serverPid, isolation, outputs? }; `hold` then waits to be signalled.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { JupyterSandbox } from '../sandbox.js';

const [root, isolation, action, codeFile] = process.argv.slice(2);
if (!root || !['namespace', 'none', 'default'].includes(isolation ?? '') || (action !== 'probe' && action !== 'hold')) {
  console.error('usage: owner.ts <root> <namespace|none|default> <probe|hold> [code file]');
  process.exit(2);
}
const sandbox = new JupyterSandbox({ root, server: isolation === 'default' ? {} : { isolation: isolation as 'namespace' | 'none' } });
const session = await sandbox.createSession({ id: 'owner' });
const server = await sandbox.server();
let text = '';
if (codeFile) {
  // The kernel gets digests of what it hunts, never the values.
  const digest = (value: string) => createHash('sha256').update(value).digest('hex');
  const targets = { [digest(server.token)]: 'jupyter-token', [digest(process.env.LLLM_PLANTED_API_KEY ?? 'unset')]: 'planted-secret' };
  const code = readFileSync(codeFile, 'utf8')
    .replaceAll('{{OWNER_PID}}', String(process.pid))
    .replaceAll('{{SERVER_PID}}', String(server.pid))
    .replaceAll('{{HOSTILE}}', isolation === 'namespace' ? 'True' : 'False')
    .replaceAll('{{TARGETS}}', JSON.stringify(targets));
  const result = await session.runCell(await session.appendCode(code), { timeoutMs: 60_000 });
  text = result.outputs.map((output) => ('text' in output ? String(output.text) : JSON.stringify(output))).join('');
}
process.stdout.write(`${JSON.stringify({ ownerPid: process.pid, serverPid: server.pid, isolation: session.isolation, output: text })}\n`);
if (action === 'probe') {
  await sandbox.close();
} else {
  // Keep the event loop alive until a signal ends the process.
  setInterval(() => undefined, 60_000);
}
