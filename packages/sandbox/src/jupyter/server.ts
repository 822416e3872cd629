import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ServerConnection } from '@jupyterlab/services';
import { InvalidArgumentError, redactString, registerSecret, throwIfAborted } from '@lllm/core';
import { raceAbort, sleep } from '@lllm/core/utils';
import WebSocket from 'ws';
import { SandboxError } from '../errors.js';
import { TIMED_OUT, withTimeout } from '../timing.js';
import { serverEnvironment } from './environment.js';
import {
  chooseIsolation,
  detectNamespaceSupport,
  findExecutable,
  type IsolationChoice,
  installWrappedKernelSpecs,
  type KernelIsolation,
  type KernelIsolationReport,
} from './isolation.js';
import { killTreeSync, STATE_DIR_PREFIX, sweepStaleStateDirs, trackServer, untrackServer, writeOwner } from './lifetime.js';

/** How to start a local Jupyter server. */
export interface JupyterServerOptions {
  /** The folder the server serves: notebook paths and kernel working directories are relative to it. */
  readonly rootDir: string;
  /**
   * The command that starts the server. Default: `$LLLM_JUPYTER_COMMAND` (split on spaces), else
   * `jupyter-server` when it is on `PATH`, else `jupyter server`.
   */
  readonly command?: readonly string[];
  /** Port on 127.0.0.1. Default: a free port (retried if another process takes it first). */
  readonly port?: number;
  /** How long to wait for the server to answer. Default 60 s. */
  readonly startTimeoutMs?: number;
  /**
   * Variables for the server (and so its kernels), set on top of the inherited environment and
   * passed as given, secret-looking names included: naming a variable here is how a key reaches the
   * kernels on purpose. `undefined` removes an inherited variable.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from this process's environment (default `true`); `false`: the server gets only `env` (give it `PATH` and `HOME`). */
  readonly inheritEnv?: boolean;
  /**
   * Let the kernels inherit this process's secrets too. By default (`false`) variables whose name
   * looks secret (`*_API_KEY`, `*_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`, `*APIKEY*`, AWS
   * credentials, `LLLM_BRIDGE_TOKEN`, …) and variables whose value holds a registered secret or a
   * URL password are withheld: kernels run code a model wrote, and that code can print its
   * environment. Everything else (`PATH`, `HOME`, `LANG`, `PYTHONPATH`, `JUPYTER_*`, …) is passed.
   */
  readonly inheritSecrets?: boolean;
  /**
   * How kernels are kept from this process (see `KernelIsolation` and SECURITY.md). Default: the
   * strongest this machine allows, `namespace` where possible; when nothing is possible the server
   * starts with `none` and a loud warning (a process warning and a log line). `namespace` fails the
   * start when the machine does not allow it; `none` turns isolation off on purpose.
   */
  readonly isolation?: KernelIsolation;
  /** Extra command-line arguments, e.g. `--ServerApp.shutdown_no_activity_timeout=600`. */
  readonly args?: readonly string[];
  /** Receives each line the server logs (secrets redacted). */
  readonly onLog?: (line: string) => void;
  /** Cancels the start. */
  readonly signal?: AbortSignal;
}

/** A server given by URL and token (started elsewhere). */
export interface JupyterConnectOptions {
  /** Base URL, e.g. `http://127.0.0.1:8888/` (a base path such as `/jupyter/` is kept). */
  readonly url: string;
  /** The server's token. */
  readonly token: string;
  /** The server's `root_dir` on this machine, when known; sandboxes need it to map folders to server paths. */
  readonly rootDir?: string;
  /** How long to wait for the server to answer. Default 10 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A running Jupyter server, started here or connected to. */
export interface JupyterServer extends AsyncDisposable {
  /** Base URL ending in `/`. */
  readonly url: string;
  /** The token; registered as a secret, so LLLM redacts it wherever it writes. */
  readonly token: string;
  /** The folder the server serves, when known. */
  readonly rootDir: string | undefined;
  /** True when this process started the server (and `stop()` ends it). */
  readonly owned: boolean;
  /** The server process id, for servers started here. */
  readonly pid: number | undefined;
  /** The isolation its kernels run under. A connected server reports `none`: LLLM does not launch its kernels. */
  readonly isolation: KernelIsolationReport;
  /** Connection settings for `@jupyterlab/services` managers (Node WebSocket, token in a header). */
  readonly settings: ServerConnection.ISettings;
  /** The last lines the server logged (secrets redacted); empty for connected servers. */
  logTail(): string[];
  /** Whether the server answers `GET /api/status` right now. */
  isAlive(): Promise<boolean>;
  /** Stop a server started here (kernels first, then the process group); a connected server is left running. */
  stop(): Promise<void>;
}

const LOG_LINES = 200;
const ISOLATION_WARNING = 'LLLM_KERNEL_ISOLATION';
let warnedNoIsolation = false;

/** Say once per process, loudly, that kernels can read this process's environment. */
function warnNoIsolation(message: string): void {
  if (warnedNoIsolation) return;
  warnedNoIsolation = true;
  process.emitWarning(message, { code: ISOLATION_WARNING });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function normaliseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new InvalidArgumentError(`Jupyter server URL "${url}" is not a URL; pass e.g. "http://127.0.0.1:8888/".`, {
      argument: 'url',
      cause: error,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`Jupyter server URL "${url}" must start with http:// or https://.`, { argument: 'url' });
  }
  parsed.search = '';
  parsed.hash = '';
  const text = parsed.toString();
  return text.endsWith('/') ? text : `${text}/`;
}

/** Settings for `@jupyterlab/services` in Node: `ws` WebSockets carrying the token in a header, not the URL. */
export function makeServerSettings(url: string, token: string): ServerConnection.ISettings {
  const baseUrl = normaliseUrl(url);
  const wsUrl = `ws${baseUrl.slice(4)}`;
  class TokenWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: token ? { Authorization: `token ${token}` } : {} });
    }
  }
  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl,
    token,
    appendToken: false,
    WebSocket: TokenWebSocket as unknown as typeof globalThis.WebSocket,
    fetch: (input, init) => globalThis.fetch(input, init),
    Request: globalThis.Request,
    Headers: globalThis.Headers,
    init: { cache: 'no-store' },
  });
}

async function probe(baseUrl: string, token: string, timeoutMs: number): Promise<number> {
  try {
    const response = await fetch(`${baseUrl}api/status`, {
      headers: { Authorization: `token ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

function findOnPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder && existsSync(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

/** The command that starts a Jupyter server here (see `JupyterServerOptions.command`). */
export function defaultJupyterCommand(): string[] {
  const fromEnv = process.env.LLLM_JUPYTER_COMMAND?.trim();
  if (fromEnv) return fromEnv.split(/\s+/);
  if (findOnPath('jupyter-server')) return ['jupyter-server'];
  if (existsSync('/usr/bin/jupyter-server')) return ['/usr/bin/jupyter-server'];
  return ['jupyter', 'server'];
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

class StartedServer implements JupyterServer {
  readonly owned = true;
  readonly settings: ServerConnection.ISettings;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly url: string,
    readonly token: string,
    readonly rootDir: string,
    readonly isolation: KernelIsolationReport,
    private readonly child: ChildProcess,
    private readonly logs: string[],
    private readonly stateDir: string,
  ) {
    this.settings = makeServerSettings(url, token);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  logTail(): string[] {
    return [...this.logs];
  }

  async isAlive(): Promise<boolean> {
    return this.child.exitCode === null && (await probe(this.url, this.token, 2000)) === 200;
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const pid = this.child.pid;
    const exited = new Promise<void>((resolveExit) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolveExit();
      else this.child.once('exit', () => resolveExit());
    });
    const within = async (ms: number) => (await withTimeout(exited, ms)) !== TIMED_OUT;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      // Ask politely first: /api/shutdown stops every kernel, then the server.
      try {
        const response = await fetch(`${this.url}api/shutdown`, {
          method: 'POST',
          headers: { Authorization: `token ${this.token}` },
          signal: AbortSignal.timeout(3000),
        });
        await response.body?.cancel();
      } catch {
        // fall through to signals
      }
      if (!(await within(8000)) && pid !== undefined) {
        killGroup(pid, 'SIGTERM');
        if (!(await within(3000))) {
          // Kernels run in sessions of their own: the whole tree, not just the server's group.
          killTreeSync(pid);
          await within(3000);
        }
      }
    }
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
    await rm(this.stateDir, { recursive: true, force: true });
    if (pid !== undefined) untrackServer(pid);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

class ConnectedServer implements JupyterServer {
  readonly owned = false;
  readonly pid = undefined;
  readonly isolation: KernelIsolationReport = {
    mode: 'none',
    detail:
      'a connected server launches its kernels itself, so LLLM cannot isolate them; start the server with startJupyterServer() for isolated kernels',
  };
  readonly settings: ServerConnection.ISettings;

  constructor(
    readonly url: string,
    readonly token: string,
    readonly rootDir: string | undefined,
  ) {
    this.settings = makeServerSettings(url, token);
  }

  logTail(): string[] {
    return [];
  }

  async isAlive(): Promise<boolean> {
    return (await probe(this.url, this.token, 2000)) === 200;
  }

  async stop(): Promise<void> {
    // Not ours to stop.
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/**
 * Start a Jupyter server bound to 127.0.0.1 on a free port with a random token, no browser, its own
 * runtime and config folders in a private temp folder, and wait until it answers.
 */
export async function startJupyterServer(options: JupyterServerOptions): Promise<JupyterServer> {
  const rootDir = resolve(options.rootDir);
  await mkdir(rootDir, { recursive: true });
  const isolation = chooseIsolation(options.isolation, await detectNamespaceSupport());
  // Leftovers of owners killed with -9 (their tokens included) go before a new folder is made.
  await sweepStaleStateDirs();
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    throwIfAborted(options.signal);
    const port = options.port ?? (await freePort());
    try {
      return await startOnce(options, rootDir, port, isolation);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortTakenError)) throw error;
    }
  }
  throw new SandboxError(`Could not start a Jupyter server: every free port tried was taken first.`, {
    kind: 'server',
    cause: lastError,
  });
}

class PortTakenError extends Error {}

async function startOnce(options: JupyterServerOptions, rootDir: string, port: number, isolation: IsolationChoice): Promise<JupyterServer> {
  const token = randomBytes(24).toString('hex');
  registerSecret(token);
  // The real path: Jupyter hands kernels a realpath'd connection file, and the wrapper hides this folder by path.
  const stateDir = realpathSync(await mkdtemp(join(tmpdir(), STATE_DIR_PREFIX)));
  await writeOwner(stateDir);
  const configDir = join(stateDir, 'config');
  const runtimeDir = join(stateDir, 'runtime');
  const specsDir = join(stateDir, 'share', 'jupyter');
  await mkdir(configDir, { recursive: true });
  await mkdir(runtimeDir, { recursive: true });
  await mkdir(specsDir, { recursive: true });
  // The token goes in a private config file, not argv (visible in `ps`) nor the environment (which kernels inherit).
  const configFile = join(configDir, 'jupyter_server_config.json');
  await writeFile(configFile, JSON.stringify({ ServerApp: { token } }), { mode: 0o600 });
  await chmod(stateDir, 0o700);

  const command = options.command ?? defaultJupyterCommand();
  const [program, ...commandArgs] = command;
  if (!program)
    throw new InvalidArgumentError('The Jupyter server command is empty; pass e.g. ["jupyter-server"].', { argument: 'command' });
  const args = [
    ...commandArgs,
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${port}`,
    '--ServerApp.port_retries=0',
    '--ServerApp.open_browser=False',
    '--ServerApp.allow_root=True',
    `--ServerApp.root_dir=${rootDir}`,
    ...(options.args ?? []),
  ];
  const { env, withheld } = serverEnvironment(options);
  Object.assign(env, {
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_RUNTIME_DIR: runtimeDir,
    // First on the path: the wrapped kernelspecs written below shadow the originals of the same name.
    JUPYTER_PATH: env.JUPYTER_PATH ? `${specsDir}${delimiter}${env.JUPYTER_PATH}` : specsDir,
    IPYTHONDIR: join(stateDir, 'ipython'),
    PYTHONUNBUFFERED: '1',
    JUPYTER_PLATFORM_DIRS: '1',
  });

  // Names only (values never): says why a kernel lacks a variable, and how to pass it.
  const logs: string[] =
    withheld.length > 0
      ? [
          `[LLLM] Not passed to the kernels (they look secret): ${withheld.join(', ')}. Pass one with env: { NAME: value }, or all with inheritSecrets: true.`,
        ]
      : [];
  if (logs[0]) options.onLog?.(logs[0]);
  const isolationLine = `[LLLM] Kernel isolation: ${isolation.report.mode} (${isolation.report.detail}).`;
  logs.push(isolationLine);
  options.onLog?.(isolationLine);
  if (isolation.warning) warnNoIsolation(isolation.warning);
  // The server dies with this process even on kill -9 (the Linux parent-death signal survives exec).
  const plan = isolation.plan(stateDir);
  const setpriv = plan.mode === 'namespace' ? plan.tools.setpriv : plan.setpriv;
  const resolvedProgram = program.includes('/') ? program : findExecutable(program);
  const [launcher, launcherArgs] =
    setpriv && resolvedProgram ? [setpriv, ['--pdeathsig=KILL', '--', resolvedProgram, ...args]] : [program, args];
  const child = spawn(launcher, launcherArgs, { cwd: rootDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid !== undefined) trackServer(child.pid, stateDir);
  const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));
  const onData = (chunk: Buffer) => {
    for (const raw of chunk.toString('utf8').split('\n')) {
      const line = redactString(raw.trimEnd());
      if (!line) continue;
      logs.push(line);
      if (logs.length > LOG_LINES) logs.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown')),
  );

  const url = `http://127.0.0.1:${port}/`;
  const server = new StartedServer(url, token, rootDir, isolation.report, child, logs, stateDir);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const outcome = await raceAbort(
        Promise.race([
          spawnError.then((error) => ({ kind: 'spawn' as const, error })),
          exited.then((code) => ({ kind: 'exit' as const, code })),
          sleep(150).then(() => ({ kind: 'tick' as const })),
        ]),
        options.signal,
      );
      if (outcome.kind === 'spawn') {
        throw new SandboxError(
          `Could not run the Jupyter server command "${command.join(' ')}": ${outcome.error.message}. Install Jupyter (Debian: apt-get install jupyter-server python3-ipykernel) or set LLLM_JUPYTER_COMMAND.`,
          { kind: 'server', cause: outcome.error },
        );
      }
      if (outcome.kind === 'exit') {
        const tail = logs.slice(-15).join('\n');
        if (/already in use|Address already in use|Errno 98/i.test(tail)) throw new PortTakenError(tail);
        throw new SandboxError(
          `The Jupyter server ("${command.join(' ')}") exited with ${outcome.code} before answering. Its last lines:\n${tail}`,
          { kind: 'server' },
        );
      }
      if ((await probe(url, token, 2000)) === 200) {
        try {
          await installWrappedKernelSpecs(url, token, specsDir, plan);
        } catch (error) {
          throw new SandboxError(
            `Could not make the Jupyter server launch its kernels through LLLM's wrapper (${isolation.report.mode}): ${(error as Error).message}.`,
            { kind: 'server', cause: error },
          );
        }
        return server;
      }
      if (Date.now() > deadline) {
        throw new SandboxError(
          `The Jupyter server did not answer on ${url} within ${timeoutMs} ms; raise startTimeoutMs if the machine is slow. Its last lines:\n${logs.slice(-15).join('\n')}`,
          { kind: 'server' },
        );
      }
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Use a Jupyter server that is already running; checks that it answers and accepts the token. */
export async function connectJupyterServer(options: JupyterConnectOptions): Promise<JupyterServer> {
  const url = normaliseUrl(options.url);
  registerSecret(options.token);
  const status = await raceAbort(probe(url, options.token, options.timeoutMs ?? 10_000), options.signal);
  if (status === 403 || status === 401) {
    throw new SandboxError(`The Jupyter server at ${url} rejected the token (HTTP ${status}); pass the token the server printed.`, {
      kind: 'server',
    });
  }
  if (status !== 200) {
    throw new SandboxError(
      status === 0
        ? `No Jupyter server answers at ${url}; start one (jupyter-server) or let the sandbox start its own.`
        : `The server at ${url} answered GET /api/status with HTTP ${status}; is it a Jupyter server?`,
      { kind: 'server' },
    );
  }
  return new ConnectedServer(url, options.token, options.rootDir === undefined ? undefined : resolve(options.rootDir));
}
