// Sandbox benchmarks: what the notebook session and the browser computer add on top of the raw
// libraries they drive, measured against a baseline in the same run.
//   1. A trivial cell through JupyterSession.runCell (outputs captured, notebook saved to disk) vs
//      the same code sent straight to the kernel with @jupyterlab/services.
//   2. Saving a 200-cell notebook (the cost every edit pays).
//   3. A click + screenshot through BrowserComputer.execute vs raw Playwright calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelManager } from '@jupyterlab/services';
import { BrowserComputer, JupyterSandbox, serializeNotebook, startJupyterServer } from '@lllm/sandbox';

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// @jupyterlab/services logs every WebSocket start and status change; keep the figures readable.
console.debug = () => undefined;

async function cells(rounds: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'lllm-bench-sandbox-'));
  const server = await startJupyterServer({ rootDir: root });
  const sandbox = new JupyterSandbox({ root, server });
  const manager = new KernelManager({ serverSettings: server.settings });
  try {
    const session = await sandbox.createSession({ id: 'bench' });
    const index = await session.appendCode('x = 1 + 1\nprint(x)');
    const raw = await manager.startNew({ name: 'python3' });
    await raw.info;
    for (let i = 0; i < 5; i++) {
      await session.runCell(index);
      await raw.requestExecute({ code: 'x = 1 + 1\nprint(x)' }).done;
    }
    const samples = { session: [] as number[], raw: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      let start = now();
      await raw.requestExecute({ code: 'x = 1 + 1\nprint(x)' }).done;
      samples.raw.push(now() - start);
      start = now();
      await session.runCell(index);
      samples.session.push(now() - start);
    }
    const rawMs = median(samples.raw);
    const sessionMs = median(samples.session);
    console.log(
      `cell round trip (median of ${rounds}): raw kernel ${rawMs.toFixed(2)} ms, JupyterSession.runCell ${sessionMs.toFixed(2)} ms`,
    );
    console.log(`  overhead: +${(sessionMs - rawMs).toFixed(2)} ms per cell, ratio ${(sessionMs / rawMs).toFixed(2)}x`);
    await raw.shutdown();
  } finally {
    manager.dispose();
    await sandbox.close();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

function serialise(cellsCount: number, rounds: number): void {
  const notebook = {
    nbformat: 4 as const,
    nbformat_minor: 5,
    metadata: {},
    cells: Array.from({ length: cellsCount }, (_, i) => ({
      cell_type: 'code' as const,
      id: `c${i}`,
      source: `import math\nvalue_${i} = math.sqrt(${i})\nprint(value_${i})\n`,
      metadata: {},
      execution_count: i,
      outputs: [{ output_type: 'stream' as const, name: 'stdout' as const, text: `${Math.sqrt(i)}\n`.repeat(20) }],
    })),
  };
  const baseline: number[] = [];
  const ours: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let start = now();
    JSON.stringify(notebook, null, 1);
    baseline.push(now() - start);
    start = now();
    serializeNotebook(notebook);
    ours.push(now() - start);
  }
  const b = median(baseline);
  const o = median(ours);
  console.log(
    `serialise a ${cellsCount}-cell notebook: JSON.stringify ${b.toFixed(3)} ms, serializeNotebook (nbformat lines) ${o.toFixed(3)} ms, ratio ${(o / b).toFixed(2)}x`,
  );
}

async function browser(rounds: number): Promise<void> {
  const site = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(
      '<!doctype html><body style="margin:0"><button style="width:200px;height:60px" onclick="this.textContent=Date.now()">go</button></body>',
    );
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  const computer = await BrowserComputer.launch({ width: 1024, height: 768, startUrl: url, settleMs: 0 });
  try {
    const page = computer.activePage;
    for (let i = 0; i < 3; i++) {
      await computer.execute({ type: 'click', x: 100, y: 30 });
      await page.mouse.click(100, 30);
      await page.screenshot({ type: 'png' });
    }
    const samples = { raw: [] as number[], ours: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      let start = now();
      await page.mouse.click(100, 30);
      await page.screenshot({ type: 'png' });
      samples.raw.push(now() - start);
      start = now();
      await computer.execute({ type: 'click', x: 100, y: 30 });
      samples.ours.push(now() - start);
    }
    const rawMs = median(samples.raw);
    const ours = median(samples.ours);
    console.log(
      `click + screenshot (median of ${rounds}): raw Playwright ${rawMs.toFixed(2)} ms, BrowserComputer.execute ${ours.toFixed(2)} ms`,
    );
    console.log(`  overhead: +${(ours - rawMs).toFixed(2)} ms per action (checks, load-state wait), ratio ${(ours / rawMs).toFixed(2)}x`);
  } finally {
    await computer.close();
    site.close();
  }
}

await cells(40);
serialise(200, 30);
await browser(20);
