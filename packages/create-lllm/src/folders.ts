import { lstatSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CreateLllmError } from './errors.js';

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/** What is at `path` without following a link (a dangling link counts), or undefined. */
export function entryAt(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (errorCode(error) === 'ENOTDIR') {
      throw new CreateLllmError('folder', `Cannot create ${path}: a part of that path is a file, not a folder. Choose another --dir.`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Create `folder` and its missing parents one level at a time. Node's `mkdirSync(…, { recursive:
 * true })` spins forever under a virtual file system such as /proc; this walk is bounded by the
 * path's depth, and each failure is a `CreateLllmError` naming the folder and the fix.
 */
export function makeFolders(folder: string): void {
  const missing: string[] = [];
  let current = resolve(folder);
  while (!entryAt(current)) {
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const existing = entryAt(current);
  if (existing && !existing.isDirectory() && !existing.isSymbolicLink()) {
    throw new CreateLllmError('folder', `Cannot create ${resolve(folder)}: ${current} is a file, not a folder. Choose another --dir.`);
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      const code = errorCode(error);
      const reason =
        code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EROFS'
            ? `${dirname(path)} is on a read-only file system`
            : code === 'ENOENT'
              ? `${dirname(path)} does not accept new folders (a virtual file system such as /proc, or a dangling link)`
              : code === 'EEXIST' || code === 'ENOTDIR'
                ? 'something that is not a folder is in the way'
                : `mkdir failed (${code || String(error)})`;
      throw new CreateLllmError('folder', `Cannot create ${path}: ${reason}. Choose another --dir.`, { cause: error });
    }
  }
}
