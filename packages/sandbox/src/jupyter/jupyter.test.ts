// Integration tests against a real Jupyter server (Debian's jupyter-server + python3-ipykernel),
// one server shared by the whole file. The init cell and CALL_API are in init-cell.test.ts.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, InvalidArgumentError, NotFoundError, REDACTED, registerSecret } from '@lllm/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SandboxError } from '../errors.js';
import { descendants } from './lifetime.js';
import { JupyterSandbox } from './sandbox.js';
import { connectJupyterServer, type JupyterServer } from './server.js';
import type { JupyterSession } from './session.js';
import { startTestJupyter, stdout, type TestJupyter, withEnv } from './test-jupyter.js';
import { createNotebookTools } from './tools.js';

let root: string;
let server: JupyterServer;
let sandbox: JupyterSandbox;

// Set in this process's environment while the shared server starts, then removed: its kernels must not see the secrets.
const PLANTED_SECRETS = {
  SANDBOX_TEST_API_KEY: `planted-api-key-${randomBytes(6).toString('hex')}`,
  SANDBOX_TEST_TOKEN: `planted-token-${randomBytes(6).toString('hex')}`,
  SANDBOX_TEST_PASSWORD: `planted-password-${randomBytes(6).toString('hex')}`,
  AWS_SECRET_ACCESS_KEY: `planted-aws-${randomBytes(6).toString('hex')}`,
  LLLM_BRIDGE_TOKEN: `planted-bridge-${randomBytes(6).toString('hex')}`,
  SANDBOX_TEST_DATABASE_URL: `postgres://me:planted-${randomBytes(6).toString('hex')}@127.0.0.1/db`,
};
const PLANTED_PLAIN = { SANDBOX_TEST_SETTING: 'plain-setting-kept' };

let jupyter: TestJupyter;

beforeAll(async () => {
  jupyter = await withEnv({ ...PLANTED_SECRETS, ...PLANTED_PLAIN }, () => startTestJupyter());
  ({ root, server, sandbox } = jupyter);
});

afterAll(async () => {
  await jupyter?.close();
});

async function contents(
  path: string,
): Promise<{ type: string; format: string; message: string | null; content: { cells: Record<string, unknown>[] } }> {
  const response = await fetch(`${server.url}api/contents/${path}?content=1&type=notebook`, {
    headers: { Authorization: `token ${server.token}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

describe('Jupyter server', () => {
  test('answers only with its token, on 127.0.0.1, and can be connected to by URL', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await server.isAlive()).toBe(true);
    const anonymous = await fetch(`${server.url}api/kernels`);
    expect(anonymous.status).toBe(403);
    const connected = await connectJupyterServer({ url: server.url, token: server.token });
    expect(await connected.isAlive()).toBe(true);
    expect(connected.owned).toBe(false);
    await connected.stop();
    expect(await server.isAlive()).toBe(true);
    const wrong = connectJupyterServer({ url: server.url, token: 'not-the-token-at-all' });
    await expect(wrong).rejects.toThrow(SandboxError);
    await expect(wrong).rejects.toThrow(/rejected the token/);
    await expect(connectJupyterServer({ url: 'ftp://x', token: 'abcdefgh' })).rejects.toThrow(InvalidArgumentError);
  });

  test('a sandbox that starts its own server stops it and its kernels on close', async () => {
    const ownRoot = await mkdtemp(join(tmpdir(), 'lllm-sandbox-own-'));
    const own = new JupyterSandbox({ root: ownRoot });
    const session = await own.createSession({ id: 'own' });
    const ownServer = await own.server();
    expect((await session.appendCode('print(6 * 7)').then((index) => session.runCell(index))).status).toBe('ok');
    // Seen from here (a kernel in its own PID namespace calls itself 1): the kernel and its launcher.
    const kernelPids = descendants(ownServer.pid as number);
    expect(kernelPids.length).toBeGreaterThan(0);
    expect(ownServer.owned).toBe(true);
    await own.close();
    expect(await ownServer.isAlive()).toBe(false);
    // Running, not a zombie waiting for its new parent to reap it (kill(pid, 0) succeeds on those).
    const alive = (p: number | undefined) => {
      if (p === undefined) return false;
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
      } catch {
        return false;
      }
    };
    // A killed process leaves the table a moment later: wait for that, within a bound.
    for (let wait = 0; wait < 50 && [ownServer.pid, ...kernelPids].some(alive); wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(ownServer.pid)).toBe(false);
    expect(kernelPids.filter(alive)).toEqual([]);
    await expect(own.createSession()).rejects.toThrow(/closed/);
    await rm(ownRoot, { recursive: true, force: true });
  });
});

describe('cells', () => {
  let session: JupyterSession;
  beforeAll(async () => {
    session = await sandbox.createSession({ id: 'crud', name: 'CRUD' });
  });

  test('append, insert, overwrite and delete cells; the notebook on disk follows', async () => {
    expect(session.length).toBe(1);
    expect(session.cell(0).metadata.lllm).toEqual({ role: 'init' });
    expect(session.cell(0).source).toContain('def CALL_API(path, params=None)');
    expect(await session.appendCode('a = 1')).toBe(1);
    expect(await session.appendMarkdown('# Title')).toBe(2);
    expect(await session.insertCell(1, 'code', 'z = 0')).toBe(1);
    expect(session.cells.map((cell) => cell.source).slice(1)).toEqual(['z = 0', 'a = 1', '# Title']);
    const replaced = await session.overwriteCell(2, 'a = 2');
    expect(replaced.cell_type).toBe('code');
    expect(session.cell(2).source).toBe('a = 2');
    await session.overwriteCell(3, 'Some *markdown*', 'markdown');
    await session.appendCode('b = 1');
    await session.appendCode('c = 1');
    await session.deleteCells([4, 1]);
    expect(session.cells.slice(1).map((cell) => cell.source)).toEqual(['a = 2', 'Some *markdown*', 'c = 1']);
    await session.deleteCell(3);
    expect(session.length).toBe(3);
    const onDisk = JSON.parse(await readFile(session.notebookPath, 'utf8'));
    expect(onDisk.nbformat).toBe(4);
    expect(onDisk.cells.map((cell: { source: string[] }) => cell.source.join(''))).toEqual(session.cells.map((cell) => cell.source));
  });

  test('out-of-range indexes and the init cell give clear typed errors and change nothing', async () => {
    const before = session.cells;
    expect(() => session.cell(99)).toThrow(InvalidArgumentError);
    expect(() => session.cell(99)).toThrow(/Cell index 99 is out of range: the notebook has 3 cells/);
    expect(() => session.cell(-1)).toThrow(InvalidArgumentError);
    expect(() => session.cell(1.5)).toThrow(/1\.5/);
    await expect(session.overwriteCell(7, 'x')).rejects.toThrow(/Cell index 7 is out of range/);
    await expect(session.insertCell(9, 'code', 'x')).rejects.toThrow(/insert takes an index in 0-3/);
    await expect(session.deleteCells([1, 42])).rejects.toThrow(InvalidArgumentError);
    await expect(session.overwriteCell(0, 'x')).rejects.toThrow(/init cell .* cannot be overwritten/);
    await expect(session.deleteCell(0)).rejects.toThrow(/cannot be deleted/);
    await expect(session.insertCell(0, 'code', 'x')).rejects.toThrow(/cannot be moved/);
    await expect(session.runCell(12)).rejects.toThrow(/out of range/);
    await expect(session.appendCell('raw' as never, 'x')).rejects.toThrow(/"raw" is not supported/);
    expect(session.cells).toEqual(before);
  });

  test('Jupyter itself reads the notebook (contents API and nbformat validation)', async () => {
    await session.runAll();
    const model = await contents(session.serverPath);
    expect(model.type).toBe('notebook');
    expect(model.format).toBe('json');
    expect(model.message ?? null).toBeNull();
    expect(model.content.cells.length).toBe(session.length);
    expect(model.content.cells[1]?.source).toBe('a = 2');
    expect(model.content.cells[0]?.metadata).toMatchObject({ lllm: { role: 'init' } });
    const validation = execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, nbformat; nb = nbformat.read(sys.argv[1], as_version=4); nbformat.validate(nb); print(len(nb.cells))',
        session.notebookPath,
      ],
      { encoding: 'utf8' },
    );
    expect(validation.trim()).toBe(String(session.length));
  });
});

describe('execution', () => {
  let session: JupyterSession;
  beforeAll(async () => {
    session = await sandbox.createSession({ id: 'exec' });
  });

  test('captures stream, execute_result, display_data (HTML, PNG, updates) and error outputs with execution counts', async () => {
    const index = await session.appendCode(
      [
        'import sys, struct, zlib',
        'from IPython.display import display, HTML, Image',
        'print("to stdout")',
        'print("more stdout")',
        'print("to stderr", file=sys.stderr)',
        'def png(w, h, rgb):',
        "    raw = b''.join(b'\\x00' + bytes(rgb) * w for _ in range(h))",
        '    def chunk(t, d):',
        "        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)",
        "    return b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')",
        'display(HTML("<b>bold</b>"))',
        'display(Image(data=png(4, 3, (255, 0, 0))))',
        'handle = display("first", display_id=True)',
        'handle.update("second")',
        '6 * 7',
      ].join('\n'),
    );
    const result = await session.runCell(index);
    expect(result.status).toBe('ok');
    expect(result.error).toBeUndefined();
    const types = result.outputs.map((output) => output.output_type);
    expect(types).toEqual(['stream', 'stream', 'display_data', 'display_data', 'display_data', 'execute_result']);
    expect(result.outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'to stdout\nmore stdout\n' });
    expect(result.outputs[1]).toEqual({ output_type: 'stream', name: 'stderr', text: 'to stderr\n' });
    const html = result.outputs[2];
    expect(html?.output_type === 'display_data' && html.data['text/html']).toBe('<b>bold</b>');
    const image = result.outputs[3];
    const png = image?.output_type === 'display_data' ? Buffer.from(String(image.data['image/png']), 'base64') : Buffer.alloc(0);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.readUInt32BE(16)).toBe(4);
    expect(png.readUInt32BE(20)).toBe(3);
    const updated = result.outputs[4];
    expect(updated?.output_type === 'display_data' && updated.data['text/plain']).toBe("'second'");
    const value = result.outputs[5];
    expect(value?.output_type === 'execute_result' && value.data['text/plain']).toBe('42');
    expect(value?.output_type === 'execute_result' && value.execution_count).toBe(result.executionCount);
    expect(result.executionCount).toBeGreaterThan(1);
    // Saved into the notebook in nbformat form, readable by Jupyter.
    const model = await contents(session.serverPath);
    const saved = model.content.cells[index] as { execution_count: number; outputs: Record<string, unknown>[] };
    expect(saved.execution_count).toBe(result.executionCount);
    expect(saved.outputs.map((output) => output.output_type)).toEqual(types);
    expect(((saved.outputs[3]?.data ?? {}) as Record<string, unknown>)['image/png']).toBe(
      image?.output_type === 'display_data' ? image.data['image/png'] : undefined,
    );
  });

  test('an exception becomes an error output and a failed result', async () => {
    const index = await session.appendCode('print("before")\nraise ValueError("bad value 7")');
    const result = await session.runCell(index);
    expect(result.status).toBe('error');
    expect(result.error?.ename).toBe('ValueError');
    expect(result.error?.evalue).toBe('bad value 7');
    expect(result.error?.traceback.join('\n')).toContain('ValueError');
    expect(result.outputs.map((output) => output.output_type)).toEqual(['stream', 'error']);
    expect(session.outputs(index)).toEqual(result.outputs);
    expect(result.kernelRestarted).toBe(false);
  });

  test('clear_output(wait=True) keeps only what follows it', async () => {
    const index = await session.appendCode(
      'from IPython.display import clear_output\nfor i in range(3):\n    clear_output(wait=True)\n    print("step", i)',
    );
    const result = await session.runCell(index);
    expect(result.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'step 2\n' }]);
  });

  test('a cell past its timeout is interrupted and the kernel keeps its state', async () => {
    await session.runCell(await session.appendCode('kept = "still here"'));
    const slow = await session.appendCode('import time\ntime.sleep(60)');
    const result = await session.runCell(slow, { timeoutMs: 1_500 });
    expect(result.status).toBe('timeout');
    expect(result.error?.ename).toBe('KeyboardInterrupt');
    expect(result.kernelRestarted).toBe(false);
    expect(result.notice).toMatch(/1500 ms timeout and was interrupted/);
    const check = await session.runCell(await session.appendCode('print(kept)'));
    expect(stdout(check)).toBe('still here\n');
  });

  test('a cell that ignores the interrupt gets the kernel restarted, and the result says so', async () => {
    const stubborn = await session.appendCode('import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)');
    const result = await session.runCell(stubborn, { timeoutMs: 1_000 });
    expect(result.status).toBe('timeout');
    expect(result.kernelRestarted).toBe(true);
    expect(result.notice).toMatch(/restarted/);
    expect(result.error?.ename).toBe('KernelRestarted');
    const check = await session.runCell(await session.appendCode('print("kept" in globals(), callable(CALL_API))'));
    expect(stdout(check)).toBe('False True\n');
  });

  test('a kernel that dies is restarted, the init cell re-run, and the result says so', async () => {
    await session.runCell(await session.appendCode('survivor = 1'));
    const crash = await session.appendCode('import os\nos._exit(3)');
    const result = await session.runCell(crash);
    expect(result.status).toBe('error');
    expect(result.kernelRestarted).toBe(true);
    expect(result.error?.ename).toBe('DeadKernelError');
    expect(result.notice).toMatch(/kernel died/);
    const check = await session.runCell(await session.appendCode('print("survivor" in globals(), callable(CALL_API))'));
    expect(check.status).toBe('ok');
    expect(check.kernelRestarted).toBe(false);
    expect(stdout(check)).toBe('False True\n');
  });

  test('aborting interrupts the kernel and rejects with an AbortError', async () => {
    const index = await session.appendCode('import time\ntime.sleep(60)');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user stop')), 500);
    await expect(session.runCell(index, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(session.outputs(index).some((output) => output.output_type === 'error' && output.ename === 'KeyboardInterrupt')).toBe(true);
    const after = await session.runCell(await session.appendCode('print("alive")'));
    expect(stdout(after)).toBe('alive\n');
  });
});

describe('run all', () => {
  test('skips the unchanged prefix, re-runs from an edit, and from the top after an error or restart', async () => {
    const session = await sandbox.createSession({ id: 'runall' });
    await session.appendCode('counter = globals().get("counter", 0) + 1');
    await session.appendCode('print("counter", counter)');
    await session.appendMarkdown('notes');
    const first = await session.runAll();
    expect(first.status).toBe('ok');
    expect(first.startIndex).toBe(1);
    expect(first.results.map((result) => result.index)).toEqual([1, 2, 3]);
    expect(stdout(first.results[1] ?? { outputs: [] })).toBe('counter 1\n');

    const again = await session.runAll();
    expect(again.startIndex).toBe(4);
    expect(again.results).toEqual([]);

    await session.appendCode('print("four")');
    const appended = await session.runAll();
    expect(appended.startIndex).toBe(4);
    expect(appended.results.map((result) => result.index)).toEqual([4]);

    await session.overwriteCell(2, 'print("counter is", counter)');
    const edited = await session.runAll();
    expect(edited.startIndex).toBe(2);
    expect(stdout(edited.results[0] ?? { outputs: [] })).toBe('counter is 1\n');

    await session.appendCode('1 / 0');
    const failed = await session.runAll();
    expect(failed.status).toBe('error');
    expect(failed.failedIndex).toBe(5);
    expect(failed.results.at(-1)?.error?.ename).toBe('ZeroDivisionError');

    await session.overwriteCell(5, 'print("fixed")');
    const afterError = await session.runAll();
    expect(afterError.status).toBe('ok');
    expect(afterError.startIndex).toBe(0);
    expect(stdout(afterError.results[2] ?? { outputs: [] })).toBe('counter is 2\n');

    const restarted = await session.runAll({ restart: true });
    expect(restarted.kernelRestarted).toBe(true);
    expect(restarted.startIndex).toBe(0);
    expect(stdout(restarted.results[2] ?? { outputs: [] })).toBe('counter is 1\n');
  });
});

describe('sessions', () => {
  test('create, list, shut down, load (rebuilt exactly), and delete', async () => {
    const session = await sandbox.createSession({ id: 'persist', name: 'Persisted', proxies: ['weather'], cutoffDate: '2023-12-31' });
    await session.appendMarkdown('# Analysis');
    const index = await session.appendCode('print("saved output")\n1 + 1');
    const ran = await session.runCell(index);
    await mkdir(join(session.dir, 'data'), { recursive: true });
    await session.runCell(await session.appendCode('open("data/out.csv", "w").write("a,b\\n")'));
    const tree = await session.directoryTree();
    expect(tree.split('\n')).toEqual(['persist/', '├── data/', '│   └── out.csv', '├── notebook.ipynb', '└── session.json']);

    const saved = session.toJSON();
    const cells = session.cells;
    await sandbox.shutdownSession('persist');
    expect(session.isClosed).toBe(true);
    await expect(session.appendCode('x')).rejects.toThrow(/shut down/);
    const listed = (await sandbox.listSessions()).find((info) => info.metadata.id === 'persist');
    expect(listed?.open).toBe(false);
    expect(listed?.metadata.toJSON()).toEqual(saved);

    const loaded = await sandbox.loadSession('persist');
    expect(loaded.toJSON()).toEqual(saved);
    expect(loaded.cells.map((cell) => cell.source)).toEqual(cells.map((cell) => cell.source));
    expect(loaded.outputs(index)).toEqual(ran.outputs);
    expect(loaded.cell(0).source).toBe(cells[0]?.source);
    const rerun = await loaded.runAll();
    expect(rerun.status).toBe('ok');
    expect(rerun.startIndex).toBe(1);
    expect((await sandbox.listSessions()).find((info) => info.metadata.id === 'persist')?.open).toBe(true);

    await expect(sandbox.loadSession('persit')).rejects.toThrow(NotFoundError);
    await expect(sandbox.loadSession('persit')).rejects.toThrow(/Did you mean "persist"/);
    await expect(sandbox.createSession({ id: 'persist' })).rejects.toThrow(/already exists/);
    await expect(sandbox.createSession({ id: '../evil' })).rejects.toThrow(InvalidArgumentError);

    await sandbox.deleteSession('persist');
    expect(existsSync(loaded.dir)).toBe(false);
    expect((await sandbox.listSessions()).some((info) => info.metadata.id === 'persist')).toBe(false);
  });

  test('shutting a session down while a cell runs ends the cell at once', async () => {
    const session = await sandbox.createSession({ id: 'busy' });
    const index = await session.appendCode('import time\ntime.sleep(60)');
    const running = session.runCell(index);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    await sandbox.shutdownSession('busy');
    const result = await running;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.status).toBe('error');
    expect(result.notice).toBe('The session was shut down while this cell was running.');
    expect(session.kernelId).toBeUndefined();
  });

  test('sessionsDir outside the root is a ConfigError', () => {
    expect(() => new JupyterSandbox({ root, sessionsDir: '/elsewhere' })).toThrow(ConfigError);
  });

  test('two sessions run at the same time without interfering', async () => {
    const [left, right] = await Promise.all([sandbox.createSession({ id: 'left' }), sandbox.createSession({ id: 'right' })]);
    const code = (name: string) =>
      `import os, time\nstart = time.time()\nwho = "${name}"\ntime.sleep(2)\nprint(who, os.path.basename(os.getcwd()), start, time.time())`;
    const [leftIndex, rightIndex] = await Promise.all([left.appendCode(code('L')), right.appendCode(code('R'))]);
    const [l, r] = await Promise.all([left.runCell(leftIndex), right.runCell(rightIndex)]);
    const [lWho, lDir, lStart, lEnd] = stdout(l).trim().split(' ');
    const [rWho, rDir, rStart, rEnd] = stdout(r).trim().split(' ');
    expect([lWho, lDir, rWho, rDir]).toEqual(['L', 'left', 'R', 'right']);
    // The two cells overlapped in time: each started before the other ended.
    expect(Number(lStart)).toBeLessThan(Number(rEnd));
    expect(Number(rStart)).toBeLessThan(Number(lEnd));
    const leak = await right.runCell(await right.appendCode('print(who)'));
    expect(stdout(leak)).toBe('R\n');
    expect(left.kernelId).not.toBe(right.kernelId);
  });
});

describe('agent tools', () => {
  test('add, edit, run, read, delete and list files through ToolLike objects', async () => {
    const session = await sandbox.createSession({ id: 'tools' });
    const tools = createNotebookTools(session);
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    expect([...byName.keys()]).toEqual([
      'notebook_add_cell',
      'notebook_edit_cell',
      'notebook_delete_cells',
      'notebook_run',
      'notebook_read',
      'notebook_list_files',
    ]);
    const context = { signal: new AbortController().signal, callId: 'c1', agentName: 'coder' };
    const call = async (name: string, args: Record<string, unknown>) => {
      const tool = byName.get(name);
      if (!tool) throw new Error(name);
      const validated = tool.validate?.(args);
      if (validated && !validated.success) throw new Error(validated.error);
      return String(await tool.execute((validated?.success ? validated.data : args) as Record<string, unknown>, context));
    };
    expect(byName.get('notebook_add_cell')?.validate?.({ source: 1 })).toMatchObject({ success: false });
    expect(byName.get('notebook_edit_cell')?.validate?.({ index: -1, source: 'x' })).toMatchObject({ success: false });

    const added = await call('notebook_add_cell', { source: 'x = 21\nprint(x * 2)' });
    expect(added).toMatch(/^Added code cell 1\.\nCell 1 ran \[\d+\] in/);
    expect(added).toContain('42');
    expect(await call('notebook_add_cell', { source: '## Notes', type: 'markdown' })).toBe('Added markdown cell 2.');
    const failed = await call('notebook_add_cell', { source: 'undefined_name' });
    expect(failed).toContain("Cell 3 failed with NameError: name 'undefined_name' is not defined");
    const edited = await call('notebook_edit_cell', { index: 3, source: 'print("fixed")' });
    expect(edited).toContain('fixed');
    const all = await call('notebook_run', {});
    expect(all).toContain('All cells ran successfully.');
    const read = await call('notebook_read', {});
    expect(read).toContain('--- cell 1 (code)');
    expect(read).toContain('x = 21');
    expect(read).toContain('--- cell 2 (markdown) ---\n## Notes');
    await expect(call('notebook_read', { start: 1, end: 40 })).rejects.toThrow(/out of range/);
    expect(await call('notebook_delete_cells', { indexes: [2] })).toBe('Deleted cell 2; the notebook now has 3 cells.');
    await call('notebook_add_cell', { source: 'open("result.txt", "w").write("ok")' });
    expect(await call('notebook_list_files', {})).toContain('result.txt');
    await expect(call('notebook_delete_cells', { indexes: [0] })).rejects.toThrow(/init cell/);
  });
});

describe('secrets', () => {
  test('kernels do not inherit secret-looking variables; the rest of the environment reaches them', async () => {
    const session = await sandbox.createSession({ id: 'env-filter' });
    const names = [...Object.keys(PLANTED_SECRETS), ...Object.keys(PLANTED_PLAIN), 'PATH', 'HOME', 'LANG'];
    const result = await session.runCell(
      await session.appendCode(`import json, os\nprint(json.dumps({name: os.environ.get(name) for name in ${JSON.stringify(names)}}))`),
    );
    expect(result.status).toBe('ok');
    const seen = JSON.parse(stdout(result)) as Record<string, string | null>;
    expect(seen).toEqual({
      SANDBOX_TEST_API_KEY: null,
      SANDBOX_TEST_TOKEN: null,
      SANDBOX_TEST_PASSWORD: null,
      AWS_SECRET_ACCESS_KEY: null,
      LLLM_BRIDGE_TOKEN: null,
      SANDBOX_TEST_DATABASE_URL: null,
      SANDBOX_TEST_SETTING: 'plain-setting-kept',
      PATH: process.env.PATH ?? null,
      HOME: process.env.HOME ?? null,
      LANG: process.env.LANG ?? null,
    });
    // The server says which variables it withheld (names only, never values).
    const log = server.logTail().join('\n');
    for (const name of Object.keys(PLANTED_SECRETS)) expect(log).toContain(name);
    for (const value of Object.values(PLANTED_SECRETS)) expect(log).not.toContain(value);
  });

  test('inheritSecrets: true and env hand variables to the kernels on purpose', async () => {
    const ownRoot = await mkdtemp(join(tmpdir(), 'lllm-sandbox-env-'));
    const planted = `inherited-on-purpose-${randomBytes(6).toString('hex')}`;
    const own = new JupyterSandbox({
      root: ownRoot,
      server: { inheritSecrets: true, env: { SANDBOX_TEST_GIVEN_TOKEN: 'given-on-purpose-42', SANDBOX_TEST_SETTING: undefined } },
    });
    try {
      const session = await withEnv({ SANDBOX_TEST_OPTIN_API_KEY: planted, SANDBOX_TEST_SETTING: 'dropped' }, () =>
        own.createSession({ id: 'opt-in' }),
      );
      const result = await session.runCell(
        await session.appendCode(
          // Reversed: printed as is, a value of an *_API_KEY variable in this process would be redacted.
          'import json, os\nprint(json.dumps([(os.environ.get(n) or "")[::-1] for n in ("SANDBOX_TEST_OPTIN_API_KEY", "SANDBOX_TEST_GIVEN_TOKEN", "SANDBOX_TEST_SETTING")]))',
        ),
      );
      const reverse = (text: string) => text.split('').reverse().join('');
      expect(JSON.parse(stdout(result))).toEqual([reverse(planted), reverse('given-on-purpose-42'), '']);
    } finally {
      await own.close();
      await rm(ownRoot, { recursive: true, force: true });
    }
  });

  test('a registered secret printed by a cell is [REDACTED] in runCell results, the saved .ipynb and tool results', async () => {
    const secret = `registered-secret-${randomBytes(10).toString('hex')}`;
    registerSecret(secret);
    const session = await sandbox.createSession({ id: 'redact' });
    // The secret reaches the kernel the way a model's code could find one: in a file, or spelled out in pieces.
    await writeFile(join(session.dir, 'secret.txt'), secret);
    const outputs = await session.runCell(
      await session.appendCode(
        [
          'import sys, time',
          'from IPython.display import display, HTML',
          'secret = open("secret.txt").read()',
          'print(secret)',
          // Two IOPub messages: redaction must see the merged text.
          'print(secret[:14], end="", flush=True); time.sleep(0.3); print(secret[14:], flush=True)',
          'print("err:", secret, file=sys.stderr)',
          'display(HTML("<b>" + secret + "</b>"))',
          'display({"application/json": {"value": secret}, "text/plain": "json " + secret}, raw=True)',
          `print(${JSON.stringify(secret.slice(0, 11))} + ${JSON.stringify(secret.slice(11))})`,
          'print("sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2")',
          'secret',
        ].join('\n'),
      ),
    );
    expect(outputs.status).toBe('ok');
    expect(JSON.stringify(outputs)).not.toContain(secret);
    expect(outputs.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: `${REDACTED}\n${REDACTED}\n` },
      { output_type: 'stream', name: 'stderr', text: `err: ${REDACTED}\n` },
      {
        output_type: 'display_data',
        data: { 'text/html': `<b>${REDACTED}</b>`, 'text/plain': '<IPython.core.display.HTML object>' },
        metadata: {},
      },
      { output_type: 'display_data', data: { 'application/json': { value: REDACTED }, 'text/plain': `json ${REDACTED}` }, metadata: {} },
      { output_type: 'stream', name: 'stdout', text: `${REDACTED}\n${REDACTED}\n` },
      { output_type: 'execute_result', execution_count: outputs.executionCount, data: { 'text/plain': `'${REDACTED}'` }, metadata: {} },
    ]);

    const raised = await session.runCell(await session.appendCode('raise ValueError("leaked " + open("secret.txt").read())'));
    expect(raised.error?.ename).toBe('ValueError');
    expect(raised.error?.evalue).toBe(`leaked ${REDACTED}`);
    expect(raised.error?.traceback.join('\n')).toContain(REDACTED);
    expect(JSON.stringify(raised)).not.toContain(secret);

    const saved = await readFile(session.notebookPath, 'utf8');
    expect(saved).not.toContain(secret);
    expect(saved).toContain(REDACTED);

    const tools = new Map(createNotebookTools(session).map((tool) => [tool.name, tool]));
    const context = { signal: new AbortController().signal, callId: 'c1', agentName: 'coder' };
    const call = async (name: string, args: Record<string, unknown>) => String(await tools.get(name)?.execute(args, context));
    const added = await call('notebook_add_cell', { source: 'print(open("secret.txt").read())', type: 'code', run: true });
    expect(added).toMatch(/Output:\n\[REDACTED\]/);
    const read = await call('notebook_read', { outputs: true });
    const run = await call('notebook_run', {});
    for (const text of [added, read, run]) {
      expect(text).not.toContain(secret);
      expect(text).toContain(REDACTED);
    }
    expect(read).toContain(`leaked ${REDACTED}`);
  });

  test('a secret registered after a cell printed it is redacted from the notebook, the session and the tools from then on', async () => {
    const late = `late-secret-${randomBytes(10).toString('hex')}`;
    const session = await sandbox.createSession({ id: 'redact-late' });
    await writeFile(join(session.dir, 'late.txt'), late);
    const index = await session.appendCode('print(open("late.txt").read())');
    const before = await session.runCell(index);
    expect(stdout(before)).toBe(`${late}\n`);
    registerSecret(late);
    const tools = new Map(createNotebookTools(session).map((tool) => [tool.name, tool]));
    const context = { signal: new AbortController().signal, callId: 'c1', agentName: 'coder' };
    const read = String(await tools.get('notebook_read')?.execute({ outputs: true }, context));
    expect(read).not.toContain(late);
    expect(read).toContain(REDACTED);
    await session.appendMarkdown('any change saves the notebook');
    expect(await readFile(session.notebookPath, 'utf8')).not.toContain(late);
    expect(JSON.stringify(session.outputs(index))).not.toContain(late);
  });
});
