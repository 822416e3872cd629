// The boundary around notebook code (SECURITY.md), tested against a real Jupyter server: what a
// hostile cell can reach of the process that owns the sandbox, and of the proxy bridge.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError } from '@lllm/core';
import { defineProxy, ProxyRuntime, serveProxy } from '@lllm/proxy';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SandboxError } from '../errors.js';
import { chooseIsolation, detectNamespaceSupport, findExecutable, wrapKernelArgv } from './isolation.js';
import { JupyterSandbox } from './sandbox.js';
import { startJupyterServer } from './server.js';

const here = dirname(fileURLToPath(import.meta.url));
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const ownerScript = join(here, '__fixtures__', 'owner.ts');
const attackScript = join(here, '__fixtures__', 'attack.py');
const temps: string[] = [];

afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

interface AttackReport {
  pid: number;
  ppid: number;
  hits: string[];
  direct: Record<string, string>;
  signal: Record<string, string>;
  visible: number[];
  ptrace?: string;
  umount?: string;
  mount?: string;
  'raw:/dev/mem'?: string;
  'raw:/proc/kcore'?: string;
  capeff: string;
  state: string[] | null;
  state_files: string[];
}

/** The uid/gid of `nobody`, to run an owner unprivileged. */
const NOBODY = 65534;

/**
 * Run the attack cell in a kernel of a fresh owner process whose environment holds a planted API
 * key; `unprivileged` runs the owner as `nobody` (this process must be root).
 */
async function attackFromOwner(
  isolation: 'namespace' | 'none',
  unprivileged = false,
): Promise<{ report: AttackReport; isolation: { mode: string; detail: string } }> {
  const root = await mkdtemp(join(tmpdir(), 'lllm-isolation-'));
  temps.push(root);
  if (unprivileged) await chown(root, NOBODY, NOBODY);
  const planted = `sk-planted-${randomBytes(16).toString('hex')}`;
  const command = [
    process.execPath,
    '--conditions=lllm-source',
    '--import',
    tsxLoader,
    ownerScript,
    root,
    isolation,
    'probe',
    attackScript,
  ];
  const setpriv = findExecutable('setpriv') as string;
  const [program, ...args] = unprivileged
    ? [setpriv, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', ...command]
    : command;
  const child = spawn(program as string, args, {
    env: { ...process.env, LLLM_PLANTED_API_KEY: planted, ...(unprivileged ? { HOME: tmpdir() } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`owner exited with ${code}:\n${out}\n${err}`);
  const result = JSON.parse(line) as { output: string; isolation: { mode: string; detail: string } };
  // The planted value never shows up in clear in what the kernel printed.
  expect(result.output).not.toContain(planted);
  const reportLine = result.output.split('\n').find((candidate) => candidate.startsWith('REPORT '));
  if (!reportLine) throw new Error(`the attack cell printed no report:\n${result.output}`);
  return { report: JSON.parse(reportLine.slice('REPORT '.length)) as AttackReport, isolation: result.isolation };
}

const support = await detectNamespaceSupport();

describe.runIf(support.available)('kernels in their own namespaces', () => {
  test('a cell walking /proc finds no ancestor, no secret of the owner, no Jupyter token; it cannot signal, ptrace or remount', async () => {
    const { report, isolation } = await attackFromOwner('namespace');
    expect(isolation.mode).toBe('namespace');
    expectContained(report);
  });

  test.runIf(process.getuid?.() === 0)('an unprivileged owner gets the same boundary inside a user namespace', async () => {
    const { report, isolation } = await attackFromOwner('namespace', true);
    expect(isolation).toMatchObject({ mode: 'namespace', detail: expect.stringContaining('inside a user namespace') });
    expectContained(report);
  });

  function expectContained(report: AttackReport) {
    // Alone in its PID namespace: it is PID 1, has no parent it can see, and sees only itself.
    expect(report.pid).toBe(1);
    expect(report.ppid).toBe(0);
    expect(report.visible).toEqual([1]);
    // The owner's planted key (and the key reversed), and the server's token: found nowhere.
    expect(report.hits).toEqual([]);
    expect(report.direct).toEqual({
      'owner/environ': 'ENOENT',
      'owner/mem': 'ENOENT',
      'owner/status': 'ENOENT',
      'server/environ': 'ENOENT',
      'server/mem': 'ENOENT',
      'server/status': 'ENOENT',
    });
    expect(report.signal).toEqual({ owner: 'ESRCH', server: 'ESRCH' });
    expect(report.ptrace).toBe('ESRCH');
    // No capabilities: the host's /proc cannot be uncovered, nor a new one mounted.
    expect(report.capeff).toBe('0000000000000000');
    expect(report.umount).toBe('EPERM');
    expect(report.mount).toBe('EPERM');
    expect(['EPERM', 'EACCES', 'ENOENT']).toContain(report['raw:/dev/mem']);
    expect(['EPERM', 'EACCES', 'ENOENT']).toContain(report['raw:/proc/kcore']);
    // The state folder is an empty tmpfs but for this kernel's own connection file and IPython's files.
    expect(report.state).not.toContain('config');
    expect(report.state_files.filter((file) => !file.startsWith('ipython/'))).toEqual([
      expect.stringMatching(/^runtime\/kernel-[0-9a-f-]+\.json$/),
    ]);
  }

  test("the same cell without isolation finds the owner's key and the Jupyter token (what the boundary stops)", async () => {
    const { report, isolation } = await attackFromOwner('none');
    expect(isolation.mode).toBe('none');
    expect(report.pid).not.toBe(1);
    expect(report.hits).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^planted-secret@\/proc\/\d+\/environ$/),
        'jupyter-token@config/jupyter_server_config.json',
      ]),
    );
    expect(report.direct['owner/environ']).toBe('read');
    expect(report.signal.owner).toBe('delivered');
  });
});

describe.runIf(!support.available)('a machine without namespaces', () => {
  test('the server says so: isolation none, its reason, a process warning and a log line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'lllm-isolation-none-'));
    temps.push(root);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const lines: string[] = [];
    const server = await startJupyterServer({ rootDir: root, onLog: (line) => lines.push(line) });
    try {
      expect(server.isolation.mode).toBe('none');
      expect(server.isolation.detail).toMatch(/not available \(.+\)/);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((warning) => warning.message).join('\n')).toMatch(/Jupyter kernels started by LLLM are NOT isolated/);
      expect(lines).toContainEqual(expect.stringMatching(/^\[LLLM\] Kernel isolation: none/));
    } finally {
      process.off('warning', onWarning);
      await server.stop();
    }
  });
});

describe.runIf(support.available)('the bridge seen from a kernel', () => {
  let root: string;
  let sandbox: JupyterSandbox;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'lllm-isolation-bridge-'));
    temps.push(root);
    sandbox = new JupyterSandbox({ root, cellTimeoutMs: 30_000 });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  test('raw HTTP from a cell gets the session’s proxies and cutoff, never the master token’s reach', async () => {
    const days = () => [
      { date: '2024-06-29', celsius: 18 },
      { date: '2024-06-30', celsius: 20 },
      { date: '2024-07-01', celsius: 22 },
    ];
    const weather = defineProxy({
      path: 'weather',
      name: 'Weather',
      description: 'Forecasts.',
      endpoints: [
        {
          category: 'forecast',
          endpoint: 'daily',
          name: 'Daily',
          description: 'Daily temperatures.',
          handler: () => ({ days: days() }),
          dtCutoff: { key: 'days/date' },
        },
      ],
    });
    const news = defineProxy({
      path: 'news',
      name: 'News',
      description: 'Headlines.',
      endpoints: [{ category: 'headlines', endpoint: 'top', name: 'Top', description: 'Top headlines.', handler: () => ['a', 'b'] }],
    });
    const bridge = await serveProxy(new ProxyRuntime({ activate: [weather, news] }));
    try {
      const session = await sandbox.createSession({ id: 'raw-bridge', proxies: ['weather'], cutoffDate: '2024-06-30', bridge });
      expect(session.isolation.mode).toBe('namespace');
      // A cell that skips CALL_API and posts by hand: no proxies, no cutoffDate, then asks for more.
      const code = `import hashlib, json, os, urllib.error, urllib.request
token = os.environ["LLLM_BRIDGE_TOKEN"]
def post(body, token=token):
    request = urllib.request.Request(${JSON.stringify(bridge.url)} + "/call", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
bare = post({"path": "weather/forecast/daily"})
later = post({"path": "weather/forecast/daily", "cutoffDate": "2099-01-01"})
widened = post({"path": "news/headlines/top", "proxies": ["weather", "news"]})
forged = post({"path": "news/headlines/top"}, token="0" * 64)
print(json.dumps({"digest": hashlib.sha256(token.encode()).hexdigest(),
    "bare": [bare[0], [day["date"] for day in bare[1]["result"]["days"]]],
    "later": [later[0], [day["date"] for day in later[1]["result"]["days"]]],
    "widened": [widened[0], widened[1]["error"]["kind"]], "forged": forged[0]}))`;
      const result = await session.runCell(await session.appendCode(code));
      expect(result.status).toBe('ok');
      const text = result.outputs.map((output) => ('text' in output ? output.text : '')).join('');
      const seen = JSON.parse(text) as { digest: string; bare: unknown; later: unknown; widened: unknown; forged: number };
      // The session's cutoff withholds its own day, as upstream's filter_by_dt_cutoff.
      expect(seen.bare).toEqual([200, ['2024-06-29']]);
      expect(seen.later).toEqual([200, ['2024-06-29']]);
      expect(seen.widened).toEqual([403, 'not_activated']);
      expect(seen.forged).toBe(401);
      // The kernel holds a token of its own, not the master token.
      expect(seen.digest).not.toBe(createHash('sha256').update(bridge.token).digest('hex'));
      // New settings bring a new token; the one the kernel held before stops working.
      await session.runCell(await session.appendCode('old_token = token'));
      await session.configure({ proxies: ['news'] });
      const after = await session.runCell(
        await session.appendCode(
          'print(post({"path": "news/headlines/top"}, token=os.environ["LLLM_BRIDGE_TOKEN"])[0], post({"path": "news/headlines/top"}, token=old_token)[0])',
        ),
      );
      expect(after.outputs.map((output) => ('text' in output ? output.text : '')).join('')).toBe('200 401\n');
      // Settings the bridge refuses change nothing: the kernel keeps its working token.
      await expect(session.configure({ proxies: ['sports'] })).rejects.toThrow(/Proxy "sports" is not activated in the bridge's runtime/);
      expect(session.metadata.proxies).toEqual(['news']);
      const still = await session.runCell(
        await session.appendCode('print(post({"path": "news/headlines/top"}, token=os.environ["LLLM_BRIDGE_TOKEN"])[0])'),
      );
      expect(still.outputs.map((output) => ('text' in output ? output.text : '')).join('')).toBe('200\n');
      await session.shutdown();
      // Refused tokens never reach a proxy: three calls with the first token, two with the second.
      expect(bridge.calls).toBe(5);
      // A session whose proxies the bridge does not serve fails before its kernel starts.
      await expect(sandbox.createSession({ id: 'bad-proxies', proxies: ['wether'], bridge })).rejects.toThrow(
        /Proxy "wether" is not activated in the bridge's runtime.*did you mean "weather"/,
      );
      expect(sandbox.getSession('bad-proxies')).toBeUndefined();
    } finally {
      await bridge.close();
    }
  });
});

describe('isolation settings', () => {
  const tools = { setpriv: '/usr/bin/setpriv', unshare: '/usr/bin/unshare', mount: '/usr/bin/mount', sh: '/bin/sh' };
  const missing = {
    available: false,
    reason: 'unshare cannot create PID and mount namespaces here (EPERM)',
    setpriv: '/usr/bin/setpriv',
  } as const;

  test('the default is the strongest the machine allows, and falling back to none is loud', () => {
    const strongest = chooseIsolation(undefined, { available: true, tools, userNamespace: true });
    expect(strongest.report.mode).toBe('namespace');
    expect(strongest.report.detail).toContain('inside a user namespace');
    expect(strongest.warning).toBeUndefined();
    expect(strongest.plan('/state')).toEqual({ mode: 'namespace', tools, userNamespace: true, stateDir: '/state' });
    const fallback = chooseIsolation(undefined, missing);
    expect(fallback.report.mode).toBe('none');
    expect(fallback.warning).toMatch(/NOT isolated: not available \(unshare cannot create .*EPERM\).*API keys included.*isolation: 'none'/);
    // Even without namespaces, kernels get the parent-death signal.
    expect(fallback.plan('/state')).toEqual({ mode: 'none', setpriv: '/usr/bin/setpriv' });
  });

  test("'namespace' where impossible fails with the reason and the fix; 'none' is quiet because it was asked for", () => {
    expect(() => chooseIsolation('namespace', missing)).toThrow(SandboxError);
    expect(() => chooseIsolation('namespace', missing)).toThrow(
      `Kernel isolation "namespace" is not possible on this machine: unshare cannot create PID and mount namespaces here (EPERM). Fix that, or pass isolation: 'none' to run kernels unisolated on purpose.`,
    );
    const off = chooseIsolation('none', { available: true, tools, userNamespace: false });
    expect(off.report).toMatchObject({ mode: 'none', detail: expect.stringContaining("turned off (isolation: 'none')") });
    expect(off.warning).toBeUndefined();
  });

  test('a wrong isolation value is a typed error naming the choices', async () => {
    await expect(startJupyterServer({ rootDir: tmpdir(), isolation: 'strong' as never })).rejects.toThrow(InvalidArgumentError);
    await expect(startJupyterServer({ rootDir: tmpdir(), isolation: 'strong' as never })).rejects.toThrow(
      'isolation must be "namespace" or "none", got "strong".',
    );
  });

  test('a python3 kernelspec keeps its first word so Jupyter can swap in its own interpreter', () => {
    const wrapped = wrapKernelArgv(['python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'], {
      mode: 'none',
      setpriv: '/usr/bin/setpriv',
    });
    expect(wrapped.slice(0, 4)).toEqual(['python3', '-I', '-S', '-c']);
    expect(wrapped.slice(5)).toEqual([
      '/usr/bin/setpriv',
      '--pdeathsig=KILL',
      '--',
      '@lllm-server-python',
      '-m',
      'ipykernel_launcher',
      '-f',
      '{connection_file}',
    ]);
    expect(wrapKernelArgv(['/opt/julia', '{connection_file}'], { mode: 'none', setpriv: undefined })).toEqual([
      '/opt/julia',
      '{connection_file}',
    ]);
  });
});
