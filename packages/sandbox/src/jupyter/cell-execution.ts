import type { Kernel, KernelMessage } from '@jupyterlab/services';
import { throwIfAborted } from '@lllm/core';
import { TIMED_OUT, withTimeout } from '../timing.js';
import type { CellOutput, ErrorOutput } from './notebook.js';
import { OutputCollector } from './outputs.js';

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

/** What one execution of code on the kernel gave. */
export interface ExecOutcome {
  status: CellRunStatus;
  outputs: readonly CellOutput[];
  executionCount: number | null;
  kernelRestarted: boolean;
  notice: string | undefined;
}

/** What an execution needs from the session around it. */
export interface ExecutionHost {
  readonly maxOutputChars: number;
  /** How long an interrupted cell may take to stop before the kernel is restarted. */
  readonly interruptGraceMs: number;
  /** Whether the session was shut down (a dead kernel is then not recovered). */
  isClosed(): boolean;
  /** Restart a kernel that ignored the interrupt. */
  hardRestart(): Promise<void>;
  /** Bring a kernel that died back (its state is gone). */
  recoverFromDeath(): Promise<void>;
}

/** The run was aborted: the outcome is still saved before the `AbortError`. */
export class AbortedRun extends Error {
  constructor(readonly outcome: ExecOutcome) {
    super('aborted');
  }
}

const SHUT_DOWN_NOTICE = 'The session was shut down while this cell was running.';

function deadKernelOutput(ename: string, evalue: string): ErrorOutput {
  return { output_type: 'error', ename, evalue, traceback: [`${ename}: ${evalue}`] };
}

function timeoutNotice(timeoutMs: number, restarted: boolean): string {
  return restarted
    ? `The cell ran past its ${timeoutMs} ms timeout and did not stop when interrupted, so the kernel was restarted: every variable is gone.`
    : `The cell ran past its ${timeoutMs} ms timeout and was interrupted (KeyboardInterrupt); the kernel's variables are kept.`;
}

type Event =
  | { kind: 'reply'; reply: KernelMessage.IExecuteReplyMsg }
  | { kind: 'died' }
  | { kind: 'timeout' }
  | { kind: 'abort' }
  | { kind: 'stuck' };

/**
 * Execute `code` on `kernel` and collect its outputs, whatever happens: past `timeoutMs` (or on abort)
 * the kernel is interrupted, and restarted if it does not stop within the grace period; a kernel that
 * dies is recovered. The outcome says what happened in a notice; an abort throws `AbortedRun`.
 */
export async function executeCell(
  kernel: Kernel.IKernelConnection,
  code: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  host: ExecutionHost,
): Promise<ExecOutcome> {
  throwIfAborted(signal);
  const collector = new OutputCollector(host.maxOutputChars);
  const future = kernel.requestExecute({ code, silent: false, store_history: true, allow_stdin: false, stop_on_error: true });
  future.onIOPub = (message) => collector.handle(message);

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
      const settled = await withTimeout(Promise.race([replied, died]), host.interruptGraceMs);
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
        notice: interrupted === 'timeout' ? timeoutNotice(timeoutMs, false) : host.isClosed() ? SHUT_DOWN_NOTICE : undefined,
      };
    } else if (event.kind === 'stuck') {
      // The interrupt did not stop it: restart the kernel.
      await host.hardRestart();
      collector.push(deadKernelOutput('KernelRestarted', timeoutNotice(timeoutMs, true)));
      outcome = {
        status: interrupted === 'timeout' ? 'timeout' : 'error',
        outputs: collector.outputs,
        executionCount,
        kernelRestarted: true,
        notice: timeoutNotice(timeoutMs, true),
      };
    } else if (host.isClosed()) {
      collector.push(deadKernelOutput('SessionShutdown', SHUT_DOWN_NOTICE));
      outcome = { status: 'error', outputs: collector.outputs, executionCount, kernelRestarted: false, notice: SHUT_DOWN_NOTICE };
    } else {
      await host.recoverFromDeath();
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
