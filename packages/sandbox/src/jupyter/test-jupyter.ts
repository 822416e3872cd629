// Test helpers (not built): a real Jupyter server (Debian's jupyter-server + python3-ipykernel) in a
// temporary root with a sandbox on it, and small readers of what cells printed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JupyterSandbox } from './sandbox.js';
import { type JupyterServer, startJupyterServer } from './server.js';

/** A server and a sandbox on it, in a temporary root that `close()` deletes. */
export interface TestJupyter {
  readonly root: string;
  readonly server: JupyterServer;
  readonly sandbox: JupyterSandbox;
  close(): Promise<void>;
}

/** Start a server in a new temporary root and a sandbox on it (30 s cells, 2 s interrupt grace). */
export async function startTestJupyter(): Promise<TestJupyter> {
  const root = await mkdtemp(join(tmpdir(), 'lllm-sandbox-test-'));
  let server: JupyterServer;
  try {
    server = await startJupyterServer({ rootDir: root });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  const sandbox = new JupyterSandbox({ root, server, cellTimeoutMs: 30_000, interruptGraceMs: 2_000 });
  return {
    root,
    server,
    sandbox,
    async close() {
      await sandbox.close();
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Run `body` with `variables` set in `process.env`, restoring the previous values afterwards. */
export async function withEnv<T>(variables: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** What a cell printed to stdout. */
export function stdout(result: { outputs: readonly { output_type: string }[] }): string {
  return result.outputs
    .filter((output): output is { output_type: 'stream'; name: string; text: string } => output.output_type === 'stream')
    .filter((output) => output.name === 'stdout')
    .map((output) => output.text)
    .join('');
}
