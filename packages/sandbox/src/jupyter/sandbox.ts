import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { KernelManager, SessionManager } from '@jupyterlab/services';
import { ConfigError, InvalidArgumentError, NotFoundError } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import { SandboxError } from '../errors.js';
import type { SandboxBridge } from './bridge-link.js';
import { readNotebookFile, writeFileAtomic } from './notebook.js';
import {
  connectJupyterServer,
  type JupyterConnectOptions,
  type JupyterServer,
  type JupyterServerOptions,
  startJupyterServer,
} from './server.js';
import { JupyterSession, type SessionHost } from './session.js';
import { assertSessionId, normaliseCutoffDate, SessionMetadata } from './session-metadata.js';

/** Where the sandbox's Jupyter server comes from. */
export type SandboxServer =
  /** A server already started or connected (the sandbox does not stop it). */
  | JupyterServer
  /** Connect to a running server. */
  | Omit<JupyterConnectOptions, 'rootDir'>
  /** Start a server with these options (the sandbox stops it on `close()`). */
  | Omit<JupyterServerOptions, 'rootDir'>;

/** Options for a `JupyterSandbox`. */
export interface JupyterSandboxOptions {
  /**
   * The folder the Jupyter server serves. A server the sandbox starts uses it as its root; a given
   * server must serve this folder (or one above it) on this machine.
   */
  readonly root: string;
  /** Where session folders live; inside `root`. Default `<root>/sessions`. */
  readonly sessionsDir?: string;
  /** The Jupyter server. Default: start one (on first use) serving `root`. */
  readonly server?: SandboxServer;
  /** Default kernel spec. Default `python3`. */
  readonly kernelName?: string;
  /** Default proxy bridge for new and loaded sessions. */
  readonly bridge?: SandboxBridge;
  /** Default per-cell timeout. Default 120 s. */
  readonly cellTimeoutMs?: number;
  /** Stream output kept per cell before it is cut. Default 500,000 characters. */
  readonly maxOutputChars?: number;
  /** How long a cell interrupted at its timeout may take to stop before the kernel is restarted. Default 5 s. */
  readonly interruptGraceMs?: number;
}

/** Options for a new session. */
export interface CreateSessionOptions {
  /** The id (also the folder name). Default: a random id. */
  readonly id?: string;
  /** A readable name. Default: the id. */
  readonly name?: string;
  /** Proxies `CALL_API` may call; empty or absent means every proxy the bridge serves. */
  readonly proxies?: readonly string[];
  /** Data cutoff date handed to the bridge. */
  readonly cutoffDate?: string | Date;
  /** A folder put on the kernel's `sys.path`. */
  readonly projectRoot?: string;
  readonly kernelName?: string;
  readonly cellTimeoutMs?: number;
  /** The bridge for this session. Default: the sandbox's. */
  readonly bridge?: SandboxBridge;
}

/** A saved session, as `listSessions()` reports it. */
export interface SessionInfo {
  readonly metadata: SessionMetadata;
  /** The session folder. */
  readonly dir: string;
  /** Whether this sandbox has it open (a kernel is running). */
  readonly open: boolean;
}

const METADATA_FILE = 'session.json';
const NOTEBOOK_FILE = 'notebook.ipynb';

function isJupyterServer(value: SandboxServer): value is JupyterServer {
  return typeof (value as JupyterServer).stop === 'function' && 'settings' in value;
}

function isConnectOptions(value: SandboxServer): value is Omit<JupyterConnectOptions, 'rootDir'> {
  return typeof (value as JupyterConnectOptions).url === 'string';
}

/**
 * Notebook sessions for coding agents: each session is a folder under `sessionsDir` holding
 * `session.json` (its metadata) and `notebook.ipynb`, with a kernel running in that folder.
 */
export class JupyterSandbox implements AsyncDisposable {
  readonly root: string;
  readonly sessionsDir: string;
  private readonly options: JupyterSandboxOptions;
  private serverPromise: Promise<JupyterServer> | undefined;
  private ownsServer = false;
  private managers: { kernels: KernelManager; sessions: SessionManager } | undefined;
  private readonly open = new Map<string, JupyterSession>();
  private readonly opening = new Map<string, Promise<JupyterSession>>();
  private closed = false;

  constructor(options: JupyterSandboxOptions) {
    this.options = options;
    this.root = resolve(options.root);
    this.sessionsDir = resolve(this.root, options.sessionsDir ?? 'sessions');
    const rel = relative(this.root, this.sessionsDir);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new ConfigError(
        `sessionsDir "${this.sessionsDir}" is outside root "${this.root}": the Jupyter server can only open notebooks under its root; put sessionsDir inside root.`,
        { problems: [`sessionsDir: outside root ${this.root}`] },
      );
    }
    if (options.cellTimeoutMs !== undefined && !(options.cellTimeoutMs > 0)) {
      throw new InvalidArgumentError(`cellTimeoutMs must be a positive number of milliseconds, got ${options.cellTimeoutMs}.`, {
        argument: 'cellTimeoutMs',
      });
    }
  }

  /** The Jupyter server (started or connected on first use). */
  server(): Promise<JupyterServer> {
    this.assertOpen();
    this.serverPromise ??= this.resolveServer().catch((error: unknown) => {
      this.serverPromise = undefined;
      throw error;
    });
    return this.serverPromise;
  }

  private async resolveServer(): Promise<JupyterServer> {
    const given = this.options.server;
    if (given && isJupyterServer(given)) return given;
    if (given && isConnectOptions(given)) return connectJupyterServer({ ...given, rootDir: this.root });
    const server = await startJupyterServer({ ...(given ?? {}), rootDir: this.root });
    this.ownsServer = true;
    return server;
  }

  private async host(): Promise<SessionHost> {
    const server = await this.server();
    if (!this.managers) {
      const kernels = new KernelManager({ serverSettings: server.settings });
      const sessions = new SessionManager({ serverSettings: server.settings, kernelManager: kernels });
      this.managers = { kernels, sessions };
    }
    const serverRoot = server.rootDir ?? this.root;
    const rel = relative(serverRoot, this.sessionsDir);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new ConfigError(
        `The Jupyter server serves "${serverRoot}", which does not contain sessionsDir "${this.sessionsDir}"; give the sandbox a root inside the server's root.`,
        { problems: [`root: not served by the Jupyter server at ${server.url}`] },
      );
    }
    return {
      sessionManager: this.managers.sessions,
      serverRoot,
      isolation: server.isolation,
      maxOutputChars: this.options.maxOutputChars ?? 500_000,
      interruptGraceMs: this.options.interruptGraceMs ?? 5_000,
      saveMetadata: (metadata) => this.writeMetadata(metadata),
      onShutdown: (session) => {
        if (this.open.get(session.id) === session) this.open.delete(session.id);
      },
    };
  }

  private sessionDir(id: string): string {
    return join(this.sessionsDir, id);
  }

  private async writeMetadata(metadata: SessionMetadata): Promise<void> {
    await writeFileAtomic(join(this.sessionDir(metadata.id), METADATA_FILE), `${JSON.stringify(metadata.toJSON(), null, 2)}\n`);
  }

  /** Create a session: its folder, metadata, a notebook with the init cell, and a running kernel. */
  async createSession(options: CreateSessionOptions = {}): Promise<JupyterSession> {
    this.assertOpen();
    const id = options.id ?? `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
    assertSessionId(id);
    const dir = this.sessionDir(id);
    if (this.open.has(id) || this.opening.has(id) || existsSync(join(dir, METADATA_FILE))) {
      throw new InvalidArgumentError(`Session "${id}" already exists; load it with sandbox.loadSession("${id}") or pick another id.`, {
        argument: 'id',
      });
    }
    const timeout = options.cellTimeoutMs ?? this.options.cellTimeoutMs ?? 120_000;
    if (!(timeout > 0)) {
      throw new InvalidArgumentError(`cellTimeoutMs must be a positive number of milliseconds, got ${timeout}.`, {
        argument: 'cellTimeoutMs',
      });
    }
    const metadata = new SessionMetadata({
      id,
      name: options.name ?? id,
      createdAt: new Date().toISOString(),
      kernelName: options.kernelName ?? this.options.kernelName ?? 'python3',
      notebook: NOTEBOOK_FILE,
      proxies: [...(options.proxies ?? [])],
      cutoffDate: normaliseCutoffDate(options.cutoffDate),
      projectRoot: options.projectRoot === undefined ? null : resolve(options.projectRoot),
      cellTimeoutMs: timeout,
    });
    const opening = (async () => {
      const host = await this.host();
      await mkdir(dir, { recursive: true });
      await this.writeMetadata(metadata);
      const session = new JupyterSession(host, {
        metadata,
        dir,
        notebookPath: join(dir, metadata.notebook),
        notebook: undefined,
        bridge: options.bridge ?? this.options.bridge,
      });
      await this.startSession(session);
      return session;
    })();
    return this.track(id, opening);
  }

  /** Open a saved session: its notebook as saved (outputs kept), a fresh kernel, the init cell brought up to date. */
  async loadSession(id: string, options: { readonly bridge?: SandboxBridge } = {}): Promise<JupyterSession> {
    this.assertOpen();
    assertSessionId(id);
    const existing = this.open.get(id) ?? (await this.opening.get(id));
    if (existing && !existing.isClosed) return existing;
    const dir = this.sessionDir(id);
    const metadataFile = join(dir, METADATA_FILE);
    if (!existsSync(metadataFile)) {
      const known = (await this.listSessions()).map((info) => info.metadata.id);
      const suggestions = closestMatches(id, known);
      throw new NotFoundError(
        `No saved session "${id}" in ${this.sessionsDir}.${suggestions.length > 0 ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : ''}`,
        { what: 'session', key: id, suggestions },
      );
    }
    const opening = (async () => {
      const metadata = SessionMetadata.fromJSON(await readJson(metadataFile), metadataFile);
      if (metadata.id !== id) {
        throw new SandboxError(`${metadataFile} belongs to session "${metadata.id}", not "${id}"; the folder was renamed.`, {
          kind: 'corrupt',
        });
      }
      const notebookPath = join(dir, metadata.notebook);
      const notebook = existsSync(notebookPath) ? await readNotebookFile(notebookPath) : undefined;
      const host = await this.host();
      const session = new JupyterSession(host, {
        metadata,
        dir,
        notebookPath,
        notebook,
        bridge: options.bridge ?? this.options.bridge,
      });
      await this.startSession(session);
      return session;
    })();
    return this.track(id, opening);
  }

  private async startSession(session: JupyterSession): Promise<void> {
    try {
      await session.start();
    } catch (error) {
      await session.shutdown().catch(() => undefined);
      throw error;
    }
  }

  private async track(id: string, opening: Promise<JupyterSession>): Promise<JupyterSession> {
    this.opening.set(id, opening);
    try {
      const session = await opening;
      this.open.set(id, session);
      return session;
    } finally {
      this.opening.delete(id);
    }
  }

  /** An open session, if this sandbox has it open. */
  getSession(id: string): JupyterSession | undefined {
    return this.open.get(id);
  }

  /** Every saved session (newest first), open or not. Unreadable folders are skipped. */
  async listSessions(): Promise<SessionInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.sessionsDir);
    } catch {
      return [];
    }
    const infos: SessionInfo[] = [];
    for (const name of names) {
      const file = join(this.sessionDir(name), METADATA_FILE);
      if (!existsSync(file)) continue;
      try {
        const metadata = SessionMetadata.fromJSON(await readJson(file), file);
        infos.push({ metadata, dir: this.sessionDir(name), open: this.open.has(metadata.id) });
      } catch {
        // not a session folder we can read
      }
    }
    return infos.sort((a, b) => b.metadata.createdAt.localeCompare(a.metadata.createdAt) || a.metadata.id.localeCompare(b.metadata.id));
  }

  /** Stop a session's kernel; its folder stays. */
  async shutdownSession(id: string): Promise<void> {
    const session = this.open.get(id) ?? (await this.opening.get(id)?.catch(() => undefined));
    await session?.shutdown();
    this.open.delete(id);
  }

  /** Stop a session's kernel and delete its folder. */
  async deleteSession(id: string): Promise<void> {
    assertSessionId(id);
    await this.shutdownSession(id);
    const dir = this.sessionDir(id);
    if (!existsSync(dir)) {
      throw new NotFoundError(`No session "${id}" in ${this.sessionsDir} to delete.`, { what: 'session', key: id });
    }
    await rm(dir, { recursive: true, force: true });
  }

  /** Shut every session down, dispose the connections and stop the server if the sandbox started it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.allSettled([...this.open.values()].map((session) => session.shutdown()));
    this.open.clear();
    this.managers?.sessions.dispose();
    this.managers?.kernels.dispose();
    this.managers = undefined;
    if (this.serverPromise && this.ownsServer) {
      const server = await this.serverPromise.catch(() => undefined);
      await server?.stop();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new SandboxError('This JupyterSandbox is closed; create a new one.', { kind: 'closed' });
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SandboxError(`${file} is not valid JSON: ${(error as Error).message}`, { kind: 'corrupt', cause: error });
  }
}
