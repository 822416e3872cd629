import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** Options for `directoryTree()`. */
export interface DirectoryTreeOptions {
  /** Folder levels shown below the root. Default 4. */
  readonly maxDepth?: number;
  /** Entries listed in all; the rest are summarised. Default 200. */
  readonly maxEntries?: number;
  /** Show dot-files and Jupyter checkpoint folders. Default false. */
  readonly includeHidden?: boolean;
}

const SKIPPED = new Set(['.ipynb_checkpoints', '__pycache__', 'node_modules']);

/**
 * A `tree`-style listing of a folder: folders first, then files, both sorted by name, folders with
 * a trailing `/`; deep or long listings are cut with a note saying how much was left out.
 */
export async function directoryTree(root: string, options: DirectoryTreeOptions = {}): Promise<string> {
  const maxDepth = options.maxDepth ?? 4;
  const maxEntries = options.maxEntries ?? 200;
  const lines = [`${basename(root)}/`];
  let listed = 0;
  let omitted = 0;

  async function walk(folder: string, prefix: string, depth: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    const visible = entries
      .filter((entry) => options.includeHidden || (!entry.name.startsWith('.') && !SKIPPED.has(entry.name)))
      .filter((entry) => !/\.tmp$/.test(entry.name) || !entry.name.includes('.ipynb.'))
      .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
    for (const [position, entry] of visible.entries()) {
      if (listed >= maxEntries) {
        omitted += visible.length - position;
        return;
      }
      const last = position === visible.length - 1;
      const folderEntry = entry.isDirectory();
      lines.push(`${prefix}${last ? '└── ' : '├── '}${entry.name}${folderEntry ? '/' : ''}`);
      listed++;
      if (folderEntry) {
        if (depth + 1 >= maxDepth) {
          const inner = await readdir(join(folder, entry.name)).catch(() => []);
          if (inner.length > 0) lines.push(`${prefix}${last ? '    ' : '│   '}└── … (${inner.length} entries)`);
        } else {
          await walk(join(folder, entry.name), `${prefix}${last ? '    ' : '│   '}`, depth + 1);
        }
      }
    }
  }

  await walk(root, '', 0);
  if (omitted > 0) lines.push(`… ${omitted} more entries not listed (maxEntries ${maxEntries})`);
  return lines.join('\n');
}
