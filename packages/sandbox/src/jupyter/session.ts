import { relative, sep } from 'node:path';
import type { SessionManager } from '@jupyterlab/services';
import { InvalidArgumentError, throwIfAborted, toAbortError } from '@lllm/core';
import { SandboxError } from '../errors.js';
import { BridgeLink, type SandboxBridge } from './bridge-link.js';
import {
  AbortedRun,
  type CellRunResult,
  type ExecOutcome,
  executeCell,
  type RunAllOptions,
  type RunAllResult,
  type RunOptions,
} from './cell-execution.js';
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
import { OutputRedactor } from './outputs.js';
import { RunPrefix } from './run-prefix.js';
import { SessionKernel } from './session-kernel.js';
import { normaliseCutoffDate, type SessionMetadata } from './session-metadata.js';
import { type DirectoryTreeOptions, directoryTree } from './tree.js';

/** The kind of a cell to add. */
export type CellType = 'code' | 'markdown';

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

function toServerPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.split(sep).join('/');
}

function isInitCell(cell: NotebookCell | undefined): boolean {
  const marker = cell?.metadata[INIT_CELL_MARKER];
  return !!marker && typeof marker === 'object' && (marker as Record<string, unknown>).role === 'init';
}

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
  /** The bridge, and the token the kernel holds: bound to this session by the bridge when it can. */
  private readonly bridge: BridgeLink;
  private cellList: NotebookCell[];
  private notebookMetadata: Record<string, unknown>;
  private readonly kernel: SessionKernel;
  private chain: Promise<unknown> = Promise.resolve();
  /** The leading cells `runAll` may skip. */
  private readonly prefix = new RunPrefix();
  /** True while the init cell runs after a kernel start (a death then is not recovered again). */
  private initializing = false;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly redactor = new OutputRedactor();

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
    this.bridge = new BridgeLink(fields.bridge);
    this.kernel = new SessionKernel(
      host.sessionManager,
      () => ({ sessionId: this.meta.id, path: this.serverPath, name: this.meta.name || this.meta.id, kernelName: this.meta.kernelName }),
      () => this.closed,
    );
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
    return this.kernel.id;
  }

  /** The kernel status (`idle`, `busy`, `dead`, …) or `unknown` when none is running. */
  get kernelStatus(): string {
    return this.kernel.status;
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
      const startIndex = options.fromStart || options.restart ? 0 : this.prefix.current(this.cellList);
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
    await this.kernel.interrupt();
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
      // A new session token carries the new narrowing. Made first: a bridge refusing it changes nothing.
      this.bridge.replace(settings.bridge !== undefined ? (settings.bridge ?? undefined) : this.bridge.bridge, meta);
      this.meta = meta;
      const kernelToken = this.bridge.forKernel(meta)?.token;
      await this.host.saveMetadata(this.meta);
      this.cellList[0] = this.makeInitCell(this.cellList[0]);
      this.invalidateFrom(0);
      await this.save();
      if (this.kernel.connected) {
        await this.handOverToken(kernelToken);
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
      this.bridge.forKernel(this.meta);
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
      await this.kernel.stop();
      await this.chain.catch(() => undefined);
      await this.kernel.stop();
      this.bridge.revoke();
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
      bridgeUrl: this.bridge.url,
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
    this.prefix.invalidateFrom(index);
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

  private redact(outputs: readonly CellOutput[]): readonly CellOutput[] {
    return this.redactor.redact(outputs);
  }

  /** Make sure a live kernel with the init cell run is there; true if it had to be (re)started. */
  private async ensureKernel(): Promise<boolean> {
    if (!this.kernel.needsStart) return false;
    const hadKernel = this.kernel.connected;
    await this.kernel.bringUp();
    await this.afterKernelStart();
    return hadKernel;
  }

  /** A new kernel holds nothing: hand it the bridge token and run the init cell. */
  private async afterKernelStart(): Promise<void> {
    this.kernel.markRebuilt();
    this.prefix.reset();
    this.initializing = true;
    let init: CellRunResult;
    try {
      await this.handOverToken(this.bridge.forKernel(this.meta)?.token);
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
    await this.kernel.restart();
    await this.afterKernelStart();
  }

  /** Give the kernel the bridge token through a silent execution (never written to the notebook). */
  private handOverToken(token: string | undefined): Promise<void> {
    return this.kernel.silent(
      renderTokenInjection(token),
      () =>
        new SandboxError(`Session "${this.id}": handing the bridge token (${BRIDGE_TOKEN_ENV}) to the kernel failed.`, {
          kind: 'kernel',
        }),
    );
  }

  private async runOne(index: number, options: RunOptions): Promise<CellRunResult> {
    const started = Date.now();
    const cell = this.cellList[index] as NotebookCell;
    if (cell.cell_type !== 'code') {
      this.prefix.markRun(index, cell, 'ok');
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
      const kernel = this.kernel.live;
      if (!kernel) throw new SandboxError(`Session "${this.id}" has no running kernel.`, { kind: 'kernel' });
      outcome = await executeCell(kernel, cell.source, timeoutMs, options.signal, {
        maxOutputChars: this.host.maxOutputChars,
        interruptGraceMs: this.host.interruptGraceMs,
        isClosed: () => this.closed,
        hardRestart: () => this.kernel.hardRestart(),
        recoverFromDeath: () => this.kernel.recoverFromDeath(),
      });
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
    this.prefix.markRun(index, updated, outcome.status);
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
