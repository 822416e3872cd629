// One set of process hooks for every log store of this copy of @lllm/log: a process with a hundred
// stores adds one 'exit' listener (no MaxListenersExceededWarning), and SIGINT/SIGTERM flush the
// queued entries before the process ends.

/** Saves queued entries synchronously (the process is ending: no event loop turn is left). */
export type SyncFlush = () => void;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const flushes = new Set<SyncFlush>();
let installed = false;

function flushAll(): void {
  for (const flush of [...flushes]) {
    try {
      flush();
    } catch {
      // One store's failure must not keep the others from saving; the failure was recorded by the store.
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  flushAll();
  // When the stores' hook is the only listener, the signal would have ended the process: end it the
  // same way (same signal, same exit status) now that the entries are saved. Otherwise the program
  // handles the signal itself (the lllm CLI writes the session's end marker and exits 130/143).
  if (process.listenerCount(signal) === 1) {
    uninstall();
    process.kill(process.pid, signal);
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', flushAll);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', flushAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/**
 * Run `flush` when the process exits, and on SIGINT, SIGTERM and SIGHUP. Returns the function that
 * removes it (a closed store); the process hooks go away with the last one.
 */
export function onProcessEnd(flush: SyncFlush): () => void {
  flushes.add(flush);
  install();
  return () => {
    flushes.delete(flush);
    if (flushes.size === 0) uninstall();
  };
}
