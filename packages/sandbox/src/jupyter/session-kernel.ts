import type { Kernel, Session, SessionManager } from '@jupyterlab/services';
import { sleep } from '@lllm/core/utils';
import { SandboxError } from '../errors.js';
import { TIMED_OUT, withTimeout } from '../timing.js';

const KERNEL_READY_MS = 60_000;

/** What starting a session's kernel needs to know, read at each start (settings may have changed). */
export interface KernelSpec {
  /** The session id (for messages). */
  readonly sessionId: string;
  /** The notebook path as the server knows it. */
  readonly path: string;
  readonly name: string;
  readonly kernelName: string;
}

/**
 * The kernel of one session, through the server's session manager: started, waited for, restarted,
 * recovered after a death, stopped. It notices when the server restarted a dead kernel on its own
 * (`lostState`): the session must then rebuild the kernel's state.
 */
export class SessionKernel {
  #connection: Session.ISessionConnection | undefined;
  #lostState = false;
  readonly #manager: SessionManager;
  readonly #spec: () => KernelSpec;
  readonly #isClosed: () => boolean;

  constructor(manager: SessionManager, spec: () => KernelSpec, isClosed: () => boolean) {
    this.#manager = manager;
    this.#spec = spec;
    this.#isClosed = isClosed;
  }

  /** The live kernel, or undefined when none runs (never started, disposed or dead). */
  get live(): Kernel.IKernelConnection | undefined {
    const kernel = this.#connection?.kernel ?? undefined;
    return kernel && !kernel.isDisposed && kernel.status !== 'dead' ? kernel : undefined;
  }

  /** The current kernel's id, when one is running. */
  get id(): string | undefined {
    return this.#connection?.kernel?.id;
  }

  /** The kernel status (`idle`, `busy`, `dead`, …) or `unknown` when none is running. */
  get status(): string {
    return this.#connection?.kernel?.status ?? 'unknown';
  }

  /** Whether a kernel was ever started for the session (and not stopped). */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /** Whether there is no live kernel, or the server restarted it behind our back. */
  get needsStart(): boolean {
    return !this.live || this.#lostState;
  }

  /** The kernel's state was rebuilt (the init cell ran in it). */
  markRebuilt(): void {
    this.#lostState = false;
  }

  /** Make a kernel live: wait for the server's own restart of a dead one, else start a new one. */
  async bringUp(): Promise<void> {
    const kernel = this.live;
    if (kernel && this.#lostState) {
      await this.#waitReady(kernel).catch(() => this.#replace());
    } else {
      await this.#replace();
    }
  }

  /** Restart the kernel (or start a new one when that fails). */
  async restart(): Promise<void> {
    const kernel = this.live;
    if (!kernel) return this.#replace();
    try {
      await kernel.restart();
      await this.#waitReady(kernel);
    } catch {
      await this.#replace();
    }
  }

  /** Restart a kernel that ignored an interrupt. */
  async hardRestart(): Promise<void> {
    await this.restart();
    this.#lostState = false;
  }

  /** After a death: let the server's auto-restart finish, or start a new kernel. */
  async recoverFromDeath(): Promise<void> {
    const kernel = this.#connection?.kernel;
    await sleep(100);
    if (kernel && !kernel.isDisposed && kernel.status !== 'dead') {
      try {
        await this.#waitReady(kernel);
        this.#lostState = false;
        return;
      } catch {
        // fall through
      }
    }
    await this.#replace();
    this.#lostState = false;
  }

  /** Interrupt whatever the kernel runs. */
  async interrupt(): Promise<void> {
    await this.#connection?.kernel?.interrupt();
  }

  /** Shut the kernel down (the server may be gone already). */
  async stop(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (!connection) return;
    try {
      await connection.shutdown();
    } catch {
      // the server may be gone already
    } finally {
      connection.dispose();
    }
  }

  /** Run code without history or output; `failure` is the error when it does not succeed. */
  async silent(code: string, failure: () => SandboxError): Promise<void> {
    const kernel = this.live;
    if (!kernel) return;
    const future = kernel.requestExecute({ code, silent: true, store_history: false, allow_stdin: false, stop_on_error: false });
    const reply = await withTimeout(future.done, 30_000);
    const content = reply === TIMED_OUT ? undefined : (reply.content as { status?: string });
    if (content?.status !== 'ok') throw failure();
  }

  async #replace(): Promise<void> {
    const spec = this.#spec();
    if (this.#isClosed()) {
      throw new SandboxError(`Session "${spec.sessionId}" was shut down; no new kernel is started.`, { kind: 'closed' });
    }
    const old = this.#connection;
    this.#connection = undefined;
    if (old) {
      try {
        await old.shutdown();
      } catch {
        old.dispose();
      }
    }
    let connection: Session.ISessionConnection;
    try {
      connection = await this.#manager.startNew(
        { path: spec.path, type: 'notebook', name: spec.name, kernel: { name: spec.kernelName } },
        { kernelConnectionOptions: { handleComms: false } },
      );
    } catch (error) {
      throw new SandboxError(
        `Could not start a "${spec.kernelName}" kernel for session "${spec.sessionId}": ${(error as Error).message}. Check that the kernel spec is installed (Debian: python3-ipykernel).`,
        { kind: 'kernel', cause: error },
      );
    }
    this.#connection = connection;
    connection.statusChanged.connect((_, status) => {
      if (status === 'autorestarting') this.#lostState = true;
    });
    const kernel = connection.kernel;
    if (!kernel) throw new SandboxError(`The Jupyter server started session "${spec.sessionId}" without a kernel.`, { kind: 'kernel' });
    await this.#waitReady(kernel);
  }

  async #waitReady(kernel: Kernel.IKernelConnection): Promise<void> {
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
    throw new SandboxError(`The kernel of session "${this.#spec().sessionId}" did not become ready within ${KERNEL_READY_MS / 1000} s.`, {
      kind: 'kernel',
      cause: lastError,
    });
  }
}
