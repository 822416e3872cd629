import { createHash } from 'node:crypto';
import { relative, sep } from 'node:path';
import type { Kernel, KernelMessage, Session, SessionManager } from '@jupyterlab/services';
import { InvalidArgumentError, knownSecrets, registerSecret, sleep, throwIfAborted, toAbortError } from '@lllm/core';
import { SandboxError } from '../errors.js';
import { TIMED_OUT, withTimeout } from '../timing.js';
import { BRIDGE_TOKEN_ENV, INIT_CELL_MARKER, renderInitCell, renderTokenInjection } from './init-cell.js';
import type { KernelIsolationReport } from './isolation.js';
import {
  type CellOutput,
  type CodeCell,
  type ErrorOutput,
  type NotebookCell,
  type NotebookDocument,
  newCellId,
  pythonNotebookMetadata,
  serializeNotebook,
  writeFileAtomic,
} from './notebook.js';
import { OutputCollector, redactOutputs } from './outputs.js';
import { normaliseCutoffDate, type SessionMetadata } from './session-metadata.js';
import { type DirectoryTreeOptions, directoryTree } from './tree.js';

/** A token bound to one session on the bridge's side (what `ProxyBridge.createSession()` returns fits). */
export interface SandboxBridgeSession {
  readonly url: string;
  readonly token: string;
  /** End the token (called when the session shuts down or its proxies, cutoff or bridge change). */
  revoke?(): void;
}

/**
 * The proxy HTTP bridge a session's `CALL_API` talks to. Pass what `serveProxy` returns: the session
 * then asks it (`createSession`) for a token bound to the session's proxies and cutoff date, and only
 * that token reaches the kernel. A plain `{ url, token }` is handed to the kernel as is, so give it a
 * session token (`bridge.createSession(...)`), never the bridge's master token.
 */
export interface SandboxBridge {
  /** Base URL, e.g. `http://127.0.0.1:43121`. `CALL_API` posts to `<url>/call`. */
  readonly url: string;
  /**
   * Bearer token. Handed to the kernel (through a silent execution, never written to the notebook,
   * registered as a secret) only when the bridge has no `createSession`.
   */
  readonly token: string;
  /** Make a token whose proxies and cutoff the bridge enforces; the kernel gets this one instead of `token`. */
  createSession?(options: {
    readonly label: string;
    readonly proxies: readonly string[];
    readonly cutoffDate: string | null;
  }): SandboxBridgeSession;
}

/** The kind of a cell to add. */
export type CellType = 'code' | 'markdown';

/** How running one cell ended. */
export type CellRunStatus = 'ok' | 'error' | 'timeout';

/** The outcome of running one cell. */
export interface CellRunResult {
  readonly index: number;
  readonly cellId: string;
  readonly status: CellRunStatus;
  /** The kernel's execution count (null for markdown cells). */
  readonly executionCount: number | null;
  readonly outputs: readonly CellOutput[];
  /** The exception, when the cell raised (or was interrupted, or the kernel died). */
  readonly error: { readonly ename: string; readonly evalue: string; readonly traceback: readonly string[] } | undefined;
  /** The kernel was restarted during or just before this run: every variable was lost. */
  readonly kernelRestarted: boolean;
  /** A sentence for people and models when something unusual happened (timeout, restart). */
  readonly notice: string | undefined;
  readonly durationMs: number;
}

/** The outcome of running the notebook. */
export interface RunAllResult {
  /** `ok` when every cell ran; otherwise how the first failing cell ended. */
  readonly status: CellRunStatus;
  /** The cells run this time, in order. */
  readonly results: readonly CellRunResult[];
  /** The first index run; the unchanged prefix before it had already run successfully in this kernel. */
  readonly startIndex: number;
  /** Index of the cell that stopped the run. */
  readonly failedIndex: number | undefined;
  /** Whether the kernel was restarted along the way. */
  readonly kernelRestarted: boolean;
}

/** Options for running cells. */
export interface RunOptions {
  /** Per-cell timeout; when it passes the kernel is interrupted. Default: the session's `cellTimeoutMs`. */
  readonly timeoutMs?: number;
  /** Abort: the kernel is interrupted and the call rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
}

/** Options for `runAll`. */
export interface RunAllOptions extends RunOptions {
  /** Run from the first cell even if a prefix already ran. */
  readonly fromStart?: boolean;
  /** Restart the kernel first (implies `fromStart`). */
  readonly restart?: boolean;
}

/** Settings `configure()` may change. */
export interface SessionSettings {
  readonly proxies?: readonly string[];
  readonly cutoffDate?: string | Date | null;
  readonly projectRoot?: string | null;
  readonly bridge?: SandboxBridge | null;
  readonly cellTimeoutMs?: number;
}

/** What a session needs from its sandbox. */
export interface SessionHost {
  readonly sessionManager: SessionManager;
  /** The folder the Jupyter server serves (server paths are relative to it). */
  readonly serverRoot: string;
  /** The isolation the server's kernels run under. */
  readonly isolation: KernelIsolationReport;
  readonly maxOutputChars: number;
  /** How long an interrupted cell may take to stop before the kernel is restarted. */
  readonly interruptGraceMs: number;
  /** Persist the metadata file. */
  saveMetadata(metadata: SessionMetadata): Promise<void>;
  /** Called when the session shuts down. */
  onShutdown(session: JupyterSession): void;
}

const KERNEL_READY_MS = 60_000;

function toServerPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.split(sep).join('/');
}

/** Ask the bridge for a token bound to the session's proxies and cutoff date (undefined: it makes none). */
function openBridgeSession(bridge: SandboxBridge | undefined, meta: SessionMetadata): SandboxBridgeSession | undefined {
  const session = bridge?.createSession?.({ label: meta.id, proxies: meta.proxies, cutoffDate: meta.cutoffDate });
  registerSecret(session?.token);
  return session;
}

function sourceHash(cell: NotebookCell): string {
  return createHash('sha256').update(cell.cell_type).update('\0').update(cell.source).digest('hex');
}

function isInitCell(cell: NotebookCell | undefined): boolean {
  const marker = cell?.metadata[INIT_CELL_MARKER];
  return !!marker && typeof marker === 'object' && (marker as Record<string, unknown>).role === 'init';
}

type ExecOutcome = {
  status: CellRunStatus;
  outputs: readonly CellOutput[];
  executionCount: number | null;
  kernelRestarted: boolean;
  notice: string | undefined;
};

/**
 * A notebook (nbformat 4, `.ipynb`) and the kernel running it. Cell 0 is the init cell that defines
 * `CALL_API`; every change is written to disk at once. Calls are serialised: one runs at a time.
 */
export class JupyterSession {
  /** The session folder (the kernel's working directory). */
  readonly dir: string;
  /** The `.ipynb` file. */
  readonly notebookPath: string;
  private meta: SessionMetadata;
  private bridge: SandboxBridge | undefined;
  /** The token the kernel holds: bound to this session by the bridge when it can (see `kernelBridge()`). */
  private bridgeSession: SandboxBridgeSession | undefined;
  private cellList: NotebookCell[];
  private notebookMetadata: Record<string, unknown>;
  private connection: Session.ISessionConnection | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** How many leading cells ran successfully, in order, in the current kernel, unchanged since. */
  private validPrefix = 0;
  private prefixHashes: string[] = [];
  /** Set when the server restarted the kernel behind our back (it died while idle). */
  private lostState = false;
  /** True while the init cell runs after a kernel start (a death then is not recovered again). */
  private initializing = false;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;
  /** Output lists already redacted with the secrets whose digest is `redactedWith`. */
  private redacted = new WeakSet<readonly CellOutput[]>();
  private redactedWith = '';

  constructor(
    private readonly host: SessionHost,
    fields: {
      metadata: SessionMetadata;
      dir: string;
      notebookPath: string;
      notebook: NotebookDocument | undefined;
      bridge: SandboxBridge | undefined;
    },
  ) {
    this.meta = fields.metadata;
    this.dir = fields.dir;
    this.notebookPath = fields.notebookPath;
    this.bridge = fields.bridge;
    registerSecret(fields.bridge?.token);
    const loaded = fields.notebook;
    this.notebookMetadata = loaded?.metadata ?? pythonNotebookMetadata(fields.metadata.kernelName);
    const cells = [...(loaded?.cells ?? [])].filter((cell) => !isInitCell(cell));
    this.cellList = [this.makeInitCell(loaded?.cells.find(isInitCell)), ...cells];
  }

  /** The session id. */
  get id(): string {
    return this.meta.id;
  }

  /** The saved settings (`toJSON()` gives the same). */
  get metadata(): SessionMetadata {
    return this.meta;
  }

  /** The notebook path as the Jupyter server knows it (relative to its root). */
  get serverPath(): string {
    return toServerPath(this.host.serverRoot, this.notebookPath);
  }

  /** How the kernel is kept from this process (`namespace` or `none`, and why); see SECURITY.md. */
  get isolation(): KernelIsolationReport {
    return this.host.isolation;
  }

  /** The current kernel's id, when one is running. */
  get kernelId(): string | undefined {
    return this.connection?.kernel?.id;
  }

  /** The kernel status (`idle`, `busy`, `dead`, …) or `unknown` when none is running. */
  get kernelStatus(): string {
    return this.connection?.kernel?.status ?? 'unknown';
  }

  /** Whether `shutdown()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Every cell, the init cell first. */
  get cells(): readonly NotebookCell[] {
    return [...this.cellList];
  }

  /** Number of cells, the init cell included. */
  get length(): number {
    return this.cellList.length;
  }

  /** The notebook as a document (what is on disk). */
  notebook(): NotebookDocument {
    return { nbformat: 4, nbformat_minor: 5, metadata: this.notebookMetadata, cells: [...this.cellList] };
  }

  /** One cell. */
  cell(index: number): NotebookCell {
    this.checkIndex(index, 'read');
    return this.cellList[index] as NotebookCell;
  }

  /** A cell's outputs (empty for markdown). */
  outputs(index: number): readonly CellOutput[] {
    const cell = this.cell(index);
    return cell.cell_type === 'code' ? cell.outputs : [];
  }

  /** Append a code cell; resolves to its index. */
  appendCode(source: string): Promise<number> {
    return this.appendCell('code', source);
  }

  /** Append a markdown cell; resolves to its index. */
  appendMarkdown(source: string): Promise<number> {
    return this.appendCell('markdown', source);
  }

  /** Append a cell; resolves to its index. */
  appendCell(type: CellType, source: string): Promise<number> {
    return this.exclusive(async () => {
      this.assertOpen();
      this.cellList.push(this.newCell(type, source));
      await this.save();
      return this.cellList.length - 1;
    });
  }

  /** Insert a cell before `index` (`index === length` appends). */
  insertCell(index: number, type: CellType, source: string): Promise<number> {
    return this.exclusive(async () => {
      this.assertOpen();
      this.checkIndex(index, 'insert');
      this.cellList.splice(index, 0, this.newCell(type, source));
      this.invalidateFrom(index);
      await this.save();
      return index;
    });
  }

  /** Replace a cell's source (and optionally its type); its outputs are cleared. */
  overwriteCell(index: number, source: string, type?: CellType): Promise<NotebookCell> {
    return this.exclusive(async () => {
      this.assertOpen();
      this.checkIndex(index, 'overwrite');
      const old = this.cellList[index] as NotebookCell;
      const cell = this.newCell(type ?? (old.cell_type === 'markdown' ? 'markdown' : 'code'), source, old.id);
      this.cellList[index] = cell;
      this.invalidateFrom(index);
      await this.save();
      return cell;
    });
  }

  /** Delete one cell. */
  deleteCell(index: number): Promise<void> {
    return this.deleteCells([index]);
  }

  /** Delete several cells (indexes refer to the notebook before the deletion). */
  deleteCells(indexes: readonly number[]): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (indexes.length === 0) return;
      for (const index of indexes) this.checkIndex(index, 'delete');
      const unique = [...new Set(indexes)].sort((a, b) => b - a);
      for (const index of unique) this.cellList.splice(index, 1);
      this.invalidateFrom(unique[unique.length - 1] ?? 0);
      await this.save();
    });
  }

  /** Clear the outputs of one cell, or of every cell. */
  clearOutputs(index?: number): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (index !== undefined) this.checkIndex(index, 'read');
      this.cellList = this.cellList.map((cell, i) =>
        cell.cell_type === 'code' && (index === undefined || i === index) ? { ...cell, outputs: [], execution_count: null } : cell,
      );
      await this.save();
    });
  }

  /** Run one cell; its outputs are saved into the notebook. */
  runCell(index: number, options: RunOptions = {}): Promise<CellRunResult> {
    return this.exclusive(async () => {
      this.assertOpen();
      this.checkIndex(index, 'read');
      const restarted = await this.ensureKernel();
      const result = await this.runOne(index, options);
      return restarted && !result.kernelRestarted
        ? { ...result, kernelRestarted: true, notice: joinNotices(restartNotice(), result.notice) }
        : result;
    });
  }

  /**
   * Run the notebook, stopping at the first failing cell. Cells that already ran successfully, in
   * order, unchanged, in the current kernel are not run again; after an error or a kernel restart
   * everything runs from the top.
   */
  runAll(options: RunAllOptions = {}): Promise<RunAllResult> {
    return this.exclusive(async () => {
      this.assertOpen();
      let kernelRestarted = await this.ensureKernel();
      if (options.restart) {
        await this.restartInternal();
        kernelRestarted = true;
      }
      const startIndex = options.fromStart || options.restart ? 0 : this.validPrefixNow();
      const results: CellRunResult[] = [];
      for (let index = startIndex; index < this.cellList.length; index++) {
        throwIfAborted(options.signal);
        const result = await this.runOne(index, options);
        results.push(result);
        if (result.kernelRestarted) kernelRestarted = true;
        if (result.status !== 'ok') {
          return { status: result.status, results, startIndex, failedIndex: index, kernelRestarted };
        }
      }
      return { status: 'ok', results, startIndex, failedIndex: undefined, kernelRestarted };
    });
  }

  /** Restart the kernel (variables are lost; the init cell runs again). */
  restartKernel(): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (await this.ensureKernel()) return;
      await this.restartInternal();
    });
  }

  /** Interrupt whatever the kernel is running (does not wait for the session's queue). */
  async interruptKernel(): Promise<void> {
    await this.connection?.kernel?.interrupt();
  }

  /** Change proxies, cutoff date, project root, bridge or default timeout; the init cell is rewritten and re-run. */
  configure(settings: SessionSettings): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      if (settings.cellTimeoutMs !== undefined) assertTimeout(settings.cellTimeoutMs, 'cellTimeoutMs');
      const meta = this.meta.with({
        ...(settings.proxies !== undefined ? { proxies: [...settings.proxies] } : {}),
        ...(settings.cutoffDate !== undefined ? { cutoffDate: normaliseCutoffDate(settings.cutoffDate) } : {}),
        ...(settings.projectRoot !== undefined ? { projectRoot: settings.projectRoot } : {}),
        ...(settings.cellTimeoutMs !== undefined ? { cellTimeoutMs: settings.cellTimeoutMs } : {}),
      });
      const bridge = settings.bridge !== undefined ? (settings.bridge ?? undefined) : this.bridge;
      registerSecret(bridge?.token);
      // A new session token carries the new narrowing. Made first: a bridge refusing it changes nothing.
      const bridgeSession = openBridgeSession(bridge, meta);
      this.revokeBridgeSession();
      this.meta = meta;
      this.bridge = bridge;
      this.bridgeSession = bridgeSession;
      const kernelToken = this.kernelBridge()?.token;
      await this.host.saveMetadata(this.meta);
      this.cellList[0] = this.makeInitCell(this.cellList[0]);
      this.invalidateFrom(0);
      await this.save();
      if (this.connection?.kernel) {
        await this.silent(renderTokenInjection(kernelToken));
        await this.runOne(0, {});
      }
    });
  }

  /** A text tree of the session folder (what the kernel's code sees in its working directory). */
  directoryTree(options: DirectoryTreeOptions = {}): Promise<string> {
    return directoryTree(this.dir, options);
  }

  /** The saved metadata. */
  toJSON(): ReturnType<SessionMetadata['toJSON']> {
    return this.meta.toJSON();
  }

  /** Start the kernel (if needed), hand it the bridge token and run the init cell. Called by the sandbox. */
  start(): Promise<void> {
    return this.exclusive(async () => {
      this.assertOpen();
      // Fails fast (before a kernel starts) when the bridge refuses the session's proxies or cutoff.
      this.kernelBridge();
      await this.save();
      await this.ensureKernel();
    });
  }

  /** Shut the kernel down; the notebook and metadata stay on disk. */
  shutdown(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.closed = true;
    this.shutdownPromise = (async () => {
      // Stop the kernel at once: a cell still running ends with an error instead of holding the queue.
      await this.stopKernel();
      await this.chain.catch(() => undefined);
      await this.stopKernel();
      this.revokeBridgeSession();
      this.host.onShutdown(this);
    })();
    return this.shutdownPromise;
  }

  // ——— internals ———

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.chain.then(operation, operation);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The `{ url, token }` the kernel gets: a session-bound token when the bridge makes them, else the bridge's own. */
  private kernelBridge(): SandboxBridgeSession | undefined {
    const bridge = this.bridge;
    if (!bridge) return undefined;
    this.bridgeSession ??= openBridgeSession(bridge, this.meta);
    return this.bridgeSession ?? bridge;
  }

  private revokeBridgeSession(): void {
    this.bridgeSession?.revoke?.();
    this.bridgeSession = undefined;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new SandboxError(`Session "${this.id}" is shut down; load it again with sandbox.loadSession("${this.id}").`, {
        kind: 'closed',
      });
    }
  }

  private checkIndex(index: number, use: 'read' | 'insert' | 'overwrite' | 'delete'): void {
    const count = this.cellList.length;
    const limit = use === 'insert' ? count : count - 1;
    if (!Number.isInteger(index) || index < 0 || index > limit) {
      const range = use === 'insert' ? `0-${count}` : `0-${count - 1}`;
      throw new InvalidArgumentError(
        `Cell index ${JSON.stringify(index)} is out of range: the notebook has ${count} cell${count === 1 ? '' : 's'}, so ${use} takes an index in ${range} (cell 0 is the init cell).`,
        { argument: 'index' },
      );
    }
    if (index === 0 && use !== 'read') {
      throw new InvalidArgumentError(
        `Cell 0 is the session's init cell (it defines CALL_API) and cannot be ${use === 'insert' ? 'moved' : use === 'delete' ? 'deleted' : 'overwritten'}; use an index from 1, and change proxies or the cutoff date with session.configure().`,
        { argument: 'index' },
      );
    }
  }

  private newCell(type: CellType, source: string, id = newCellId()): NotebookCell {
    if (typeof source !== 'string') {
      throw new InvalidArgumentError(`Cell source must be a string, got ${typeof source}.`, { argument: 'source' });
    }
    if (type === 'markdown') return { cell_type: 'markdown', id, source, metadata: {} };
    if (type !== 'code') {
      throw new InvalidArgumentError(`Cell type "${String(type)}" is not supported; use "code" or "markdown".`, { argument: 'type' });
    }
    return { cell_type: 'code', id, source, metadata: {}, execution_count: null, outputs: [] };
  }

  private makeInitCell(previous: NotebookCell | undefined): CodeCell {
    const source = renderInitCell({
      sessionId: this.meta.id,
      bridgeUrl: this.bridge ? (this.bridgeSession ?? this.bridge).url : undefined,
      proxies: this.meta.proxies,
      cutoffDate: this.meta.cutoffDate ?? undefined,
      projectRoot: this.meta.projectRoot ?? undefined,
      callTimeoutSeconds: Math.max(1, Math.ceil(this.meta.cellTimeoutMs / 1000)),
    });
    const keep = previous?.cell_type === 'code' && previous.source === source;
    return {
      cell_type: 'code',
      id: previous?.id ?? 'lllm-init',
      source,
      metadata: { [INIT_CELL_MARKER]: { role: 'init' }, tags: ['lllm-init'], jupyter: { source_hidden: true } },
      execution_count: keep ? previous.execution_count : null,
      outputs: keep ? previous.outputs : [],
    };
  }

  private invalidateFrom(index: number): void {
    if (this.validPrefix > index) {
      this.validPrefix = index;
      this.prefixHashes.length = index;
    }
  }

  /** The valid prefix, rechecked against the cells' current sources. */
  private validPrefixNow(): number {
    let prefix = 0;
    while (prefix < this.validPrefix && this.prefixHashes[prefix] === sourceHash(this.cellList[prefix] as NotebookCell)) prefix++;
    this.validPrefix = prefix;
    this.prefixHashes.length = prefix;
    return prefix;
  }

  private async save(): Promise<void> {
    this.redactStoredOutputs();
    await writeFileAtomic(this.notebookPath, serializeNotebook(this.notebook()));
  }

  /**
   * Redact every stored output with the secrets known now: a notebook loaded from disk, or a secret
   * registered after a cell ran, must not leave a secret in the file or in what `cells` returns.
   */
  private redactStoredOutputs(): void {
    this.cellList = this.cellList.map((cell) => {
      if (cell.cell_type !== 'code') return cell;
      const outputs = this.redact(cell.outputs);
      return outputs === cell.outputs ? cell : { ...cell, outputs };
    });
  }

  /** `outputs` redacted with the secrets known now (remembered, so unchanged outputs are not scanned again). */
  private redact(outputs: readonly CellOutput[]): readonly CellOutput[] {
    const secrets = knownSecrets();
    // A digest, not the list: the session object may be logged or inspected.
    const fingerprint = createHash('sha256').update(secrets.join('\0')).digest('hex');
    if (fingerprint !== this.redactedWith) {
      this.redacted = new WeakSet();
      this.redactedWith = fingerprint;
    }
    if (this.redacted.has(outputs)) return outputs;
    const redacted = redactOutputs(outputs, secrets);
    this.redacted.add(redacted);
    return redacted;
  }

  private get kernel(): Kernel.IKernelConnection | undefined {
    const kernel = this.connection?.kernel ?? undefined;
    return kernel && !kernel.isDisposed && kernel.status !== 'dead' ? kernel : undefined;
  }

  /** Make sure a live kernel with the init cell run is there; true if it had to be (re)started. */
  private async ensureKernel(): Promise<boolean> {
    if (this.kernel && !this.lostState) return false;
    const hadKernel = this.connection !== undefined;
    if (this.kernel && this.lostState) {
      // The server restarted a dead kernel on its own: wait for it, then rebuild the state.
      await this.waitReady(this.kernel).catch(() => this.replaceKernel());
    } else {
      await this.replaceKernel();
    }
    await this.afterKernelStart();
    return hadKernel;
  }

  private async replaceKernel(): Promise<void> {
    if (this.closed) throw new SandboxError(`Session "${this.id}" was shut down; no new kernel is started.`, { kind: 'closed' });
    const old = this.connection;
    this.connection = undefined;
    if (old) {
      try {
        await old.shutdown();
      } catch {
        old.dispose();
      }
    }
    let connection: Session.ISessionConnection;
    try {
      connection = await this.host.sessionManager.startNew(
        { path: this.serverPath, type: 'notebook', name: this.meta.name || this.meta.id, kernel: { name: this.meta.kernelName } },
        { kernelConnectionOptions: { handleComms: false } },
      );
    } catch (error) {
      throw new SandboxError(
        `Could not start a "${this.meta.kernelName}" kernel for session "${this.id}": ${(error as Error).message}. Check that the kernel spec is installed (Debian: python3-ipykernel).`,
        { kind: 'kernel', cause: error },
      );
    }
    this.connection = connection;
    connection.statusChanged.connect((_, status) => {
      if (status === 'autorestarting') this.lostState = true;
    });
    const kernel = connection.kernel;
    if (!kernel) throw new SandboxError(`The Jupyter server started session "${this.id}" without a kernel.`, { kind: 'kernel' });
    await this.waitReady(kernel);
  }

  private async waitReady(kernel: Kernel.IKernelConnection): Promise<void> {
    const deadline = Date.now() + KERNEL_READY_MS;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (kernel.isDisposed || kernel.status === 'dead') break;
      try {
        const reply = await withTimeout(kernel.requestKernelInfo(), 5_000);
        if (reply !== TIMED_OUT && reply) return;
      } catch (error) {
        lastError = error;
      }
      await sleep(200);
    }
    throw new SandboxError(`The kernel of session "${this.id}" did not become ready within ${KERNEL_READY_MS / 1000} s.`, {
      kind: 'kernel',
      cause: lastError,
    });
  }

  private async afterKernelStart(): Promise<void> {
    this.lostState = false;
    this.validPrefix = 0;
    this.prefixHashes = [];
    this.initializing = true;
    let init: CellRunResult;
    try {
      await this.silent(renderTokenInjection(this.kernelBridge()?.token));
      init = await this.runOne(0, {});
    } finally {
      this.initializing = false;
    }
    if (init.status !== 'ok') {
      throw new SandboxError(
        `The init cell of session "${this.id}" failed (${init.error?.ename ?? init.status}: ${init.error?.evalue ?? ''}); the kernel must be a Python kernel.`,
        { kind: 'kernel' },
      );
    }
  }

  private async restartInternal(): Promise<void> {
    const kernel = this.kernel;
    if (kernel) {
      try {
        await kernel.restart();
        await this.waitReady(kernel);
      } catch {
        await this.replaceKernel();
      }
    } else {
      await this.replaceKernel();
    }
    await this.afterKernelStart();
  }

  private async stopKernel(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    try {
      await connection.shutdown();
    } catch {
      // the server may be gone already
    } finally {
      connection.dispose();
    }
  }

  /** Run code without history or output (token hand-over). */
  private async silent(code: string): Promise<void> {
    const kernel = this.kernel;
    if (!kernel) return;
    const future = kernel.requestExecute({ code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false });
    const reply = await withTimeout(future.done, 30_000);
    const content = reply === TIMED_OUT ? undefined : (reply.content as { status?: string });
    if (content?.status !== 'ok') {
      throw new SandboxError(`Session "${this.id}": handing the bridge token (${BRIDGE_TOKEN_ENV}) to the kernel failed.`, {
        kind: 'kernel',
      });
    }
  }

  private async runOne(index: number, options: RunOptions): Promise<CellRunResult> {
    const started = Date.now();
    const cell = this.cellList[index] as NotebookCell;
    if (cell.cell_type !== 'code') {
      this.markRun(index, cell, 'ok');
      return {
        index,
        cellId: cell.id,
        status: 'ok',
        executionCount: null,
        outputs: [],
        error: undefined,
        kernelRestarted: false,
        notice: undefined,
        durationMs: 0,
      };
    }
    const timeoutMs = options.timeoutMs ?? this.meta.cellTimeoutMs;
    assertTimeout(timeoutMs, 'timeoutMs');
    let outcome: ExecOutcome;
    let abortError: unknown;
    try {
      outcome = await this.execute(cell.source, timeoutMs, options.signal);
    } catch (error) {
      if (!(error instanceof AbortedRun)) throw error;
      outcome = error.outcome;
      abortError = toAbortError(options.signal?.reason);
    }
    // Secrets are replaced before the outputs are stored, saved or returned. The merged stream text is
    // redacted, so a secret printed in two pieces is still found.
    const outputs = this.redact(outcome.outputs);
    // The cell may have been replaced while running only through this queue, so the index is stable.
    const updated: CodeCell = { ...cell, outputs, execution_count: outcome.executionCount };
    this.cellList[index] = updated;
    this.markRun(index, updated, outcome.status);
    if (outcome.kernelRestarted && !this.initializing && !this.closed) await this.afterKernelStart();
    await this.save();
    if (abortError) throw abortError;
    const error = [...outputs].reverse().find((output): output is ErrorOutput => output.output_type === 'error');
    return {
      index,
      cellId: cell.id,
      status: outcome.status,
      executionCount: outcome.executionCount,
      outputs,
      error: outcome.status === 'ok' || !error ? undefined : { ename: error.ename, evalue: error.evalue, traceback: error.traceback },
      kernelRestarted: outcome.kernelRestarted,
      notice: outcome.notice,
      durationMs: Date.now() - started,
    };
  }

  private markRun(index: number, cell: NotebookCell, status: CellRunStatus): void {
    if (status !== 'ok') {
      // The failed cell may have half-changed the kernel's state: the next run-all starts from the top.
      this.validPrefix = 0;
      this.prefixHashes = [];
      return;
    }
    if (index === this.validPrefix) {
      this.prefixHashes[index] = sourceHash(cell);
      this.validPrefix = index + 1;
    }
  }

  private async execute(code: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<ExecOutcome> {
    const kernel = this.kernel;
    if (!kernel) throw new SandboxError(`Session "${this.id}" has no running kernel.`, { kind: 'kernel' });
    throwIfAborted(signal);
    const collector = new OutputCollector(this.host.maxOutputChars);
    const future = kernel.requestExecute({ code, silent: false, store_history: true, allow_stdin: false, stop_on_error: true });
    future.onIOPub = (message) => collector.handle(message);

    type Event =
      | { kind: 'reply'; reply: KernelMessage.IExecuteReplyMsg }
      | { kind: 'died' }
      | { kind: 'timeout' }
      | { kind: 'abort' }
      | { kind: 'stuck' };
    let onStatus: ((sender: unknown, status: KernelMessage.Status) => void) | undefined;
    const died = new Promise<Event>((resolveDied) => {
      onStatus = (_sender, status) => {
        if (status === 'autorestarting' || status === 'restarting' || status === 'dead') resolveDied({ kind: 'died' });
      };
      kernel.statusChanged.connect(onStatus);
    });
    const replied: Promise<Event> = future.done.then(
      (reply) => ({ kind: 'reply', reply }),
      () => ({ kind: 'died' }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Event>((resolveTimeout) => {
      timer = setTimeout(() => resolveTimeout({ kind: 'timeout' }), timeoutMs);
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<Event>((resolveAbort) => {
      onAbort = () => resolveAbort({ kind: 'abort' });
      signal?.addEventListener('abort', onAbort, { once: true });
    });

    try {
      let event = await Promise.race([replied, died, timedOut, aborted]);
      let interrupted: 'timeout' | 'abort' | undefined;
      if (event.kind === 'timeout' || event.kind === 'abort') {
        interrupted = event.kind;
        try {
          await kernel.interrupt();
        } catch {
          // a dead kernel cannot be interrupted; the restart below handles it
        }
        const settled = await withTimeout(Promise.race([replied, died]), this.host.interruptGraceMs);
        event = settled === TIMED_OUT ? { kind: 'stuck' } : settled;
      }
      const executionCount =
        event.kind === 'reply' && typeof event.reply.content.execution_count === 'number'
          ? event.reply.content.execution_count
          : collector.executionCount;
      let outcome: ExecOutcome;
      if (event.kind === 'reply') {
        const status = event.reply.content.status;
        outcome = {
          status: interrupted === 'timeout' ? 'timeout' : status === 'ok' ? 'ok' : 'error',
          outputs: collector.outputs,
          executionCount,
          kernelRestarted: false,
          notice:
            interrupted === 'timeout'
              ? timeoutNotice(timeoutMs, false)
              : this.closed
                ? 'The session was shut down while this cell was running.'
                : undefined,
        };
      } else if (event.kind === 'stuck') {
        // The interrupt did not stop it: restart the kernel.
        await this.hardRestart();
        collector.push(deadKernelOutput('KernelRestarted', timeoutNotice(timeoutMs, true)));
        outcome = {
          status: interrupted === 'timeout' ? 'timeout' : 'error',
          outputs: collector.outputs,
          executionCount,
          kernelRestarted: true,
          notice: timeoutNotice(timeoutMs, true),
        };
      } else if (this.closed) {
        const notice = 'The session was shut down while this cell was running.';
        collector.push(deadKernelOutput('SessionShutdown', notice));
        outcome = { status: 'error', outputs: collector.outputs, executionCount, kernelRestarted: false, notice };
      } else {
        await this.recoverFromDeath();
        const notice =
          'The kernel died while running this cell (a crash, os._exit or running out of memory) and was restarted: every variable is gone, re-run the cells you need.';
        collector.push(deadKernelOutput('DeadKernelError', notice));
        outcome = { status: 'error', outputs: collector.outputs, executionCount, kernelRestarted: true, notice };
      }
      if (interrupted === 'abort') throw new AbortedRun(outcome);
      return outcome;
    } finally {
      if (timer) clearTimeout(timer);
      if (onStatus) kernel.statusChanged.disconnect(onStatus);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (!future.isDisposed) future.dispose();
    }
  }

  /** After a death: let the server's auto-restart finish, or start a new kernel. Init runs in runOne. */
  private async recoverFromDeath(): Promise<void> {
    const kernel = this.connection?.kernel;
    await sleep(100);
    if (kernel && !kernel.isDisposed && kernel.status !== 'dead') {
      try {
        await this.waitReady(kernel);
        this.lostState = false;
        return;
      } catch {
        // fall through
      }
    }
    await this.replaceKernel();
    this.lostState = false;
  }

  private async hardRestart(): Promise<void> {
    const kernel = this.kernel;
    try {
      if (!kernel) throw new Error('no kernel');
      await kernel.restart();
      await this.waitReady(kernel);
    } catch {
      await this.replaceKernel();
    }
    this.lostState = false;
  }
}

class AbortedRun extends Error {
  constructor(readonly outcome: ExecOutcome) {
    super('aborted');
  }
}

function deadKernelOutput(ename: string, evalue: string): ErrorOutput {
  return { output_type: 'error', ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

function timeoutNotice(timeoutMs: number, restarted: boolean): string {
  return restarted
    ? `The cell ran past its ${timeoutMs} ms timeout and did not stop when interrupted, so the kernel was restarted: every variable is gone.`
    : `The cell ran past its ${timeoutMs} ms timeout and was interrupted (KeyboardInterrupt); the kernel's variables are kept.`;
}

function restartNotice(): string {
  return 'The kernel had died and was restarted before this run: every variable from earlier cells is gone.';
}

function joinNotices(...notices: (string | undefined)[]): string | undefined {
  const present = notices.filter((notice): notice is string => !!notice);
  return present.length > 0 ? present.join(' ') : undefined;
}

function assertTimeout(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}.`, { argument: name });
  }
}
