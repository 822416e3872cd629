import { createHash } from 'node:crypto';
import type { CellRunStatus } from './cell-execution.js';
import type { NotebookCell } from './notebook.js';

function sourceHash(cell: NotebookCell): string {
  return createHash('sha256').update(cell.cell_type).update('\0').update(cell.source).digest('hex');
}

/**
 * How many leading cells ran successfully, in order, in the current kernel, unchanged since: what
 * `runAll` may skip. A failed cell, an edit before the end of the prefix or a new kernel shortens it.
 */
export class RunPrefix {
  #length = 0;
  #hashes: string[] = [];

  /** Forget every run (a new kernel). */
  reset(): void {
    this.#length = 0;
    this.#hashes = [];
  }

  /** Cell `index` ran with `status`. */
  markRun(index: number, cell: NotebookCell, status: CellRunStatus): void {
    if (status !== 'ok') {
      // The failed cell may have half-changed the kernel's state: the next run-all starts from the top.
      this.reset();
      return;
    }
    if (index === this.#length) {
      this.#hashes[index] = sourceHash(cell);
      this.#length = index + 1;
    }
  }

  /** Cells from `index` on changed (edited, inserted, deleted). */
  invalidateFrom(index: number): void {
    if (this.#length > index) {
      this.#length = index;
      this.#hashes.length = index;
    }
  }

  /** The prefix, rechecked against the cells' current sources. */
  current(cells: readonly NotebookCell[]): number {
    let prefix = 0;
    while (prefix < this.#length && this.#hashes[prefix] === sourceHash(cells[prefix] as NotebookCell)) prefix++;
    this.invalidateFrom(prefix);
    return prefix;
  }
}
