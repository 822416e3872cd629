import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';

/** Options of `ensureDirectory`. */
export interface EnsureDirectoryOptions {
  /** What the folder is, for error messages (`log_dir`, `--dir`). */
  readonly setting: string;
  /** Mode of the folders created (default 0o777 before the umask; 0o700 for folders holding transcripts). */
  readonly mode?: number;
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/**
 * Create `path` and its missing parents, one level at a time. Unlike `mkdirSync(path, { recursive:
 * true })` it cannot loop (Node's recursive mkdir spins forever under `/proc`): the walk is bounded by
 * the path's depth, and every failure is a `ConfigError` naming the setting, the folder and the fix
 * (a path under a file, a read-only or virtual file system, a permission problem).
 */
export function ensureDirectory(path: string, options: EnsureDirectoryOptions): string {
  const target = resolve(path);
  const missing: string[] = [];
  let current = target;
  for (let depth = 0; depth < 4096; depth++) {
    let stats: ReturnType<typeof statSync> | undefined;
    try {
      stats = statSync(current);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOTDIR') {
        missing.unshift(current);
        current = dirname(current);
        continue;
      }
      if (code !== 'ENOENT') {
        throw new ConfigError(
          `${options.setting} ${JSON.stringify(path)} cannot be used: ${current} is not accessible (${code || String(error)}). Choose a folder you can write to.`,
          { cause: error },
        );
      }
    }
    if (stats) {
      if (!stats.isDirectory()) {
        throw new ConfigError(
          `${options.setting} ${JSON.stringify(path)} cannot be created: ${current} is a file, not a folder. Choose a folder that is not under a file.`,
        );
      }
      break;
    }
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, options.mode === undefined ? {} : { mode: options.mode });
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST' && statSync(folder, { throwIfNoEntry: false })?.isDirectory()) continue;
      const reason =
        code === 'ENOTDIR' || code === 'EEXIST'
          ? `${folder} is in the way (it is a file or a dangling link)`
          : code === 'EACCES' || code === 'EPERM'
            ? `permission denied creating ${folder}`
            : code === 'EROFS'
              ? `${dirname(folder)} is on a read-only file system`
              : code === 'ENOENT'
                ? `${dirname(folder)} does not accept new folders (a virtual file system such as /proc or /sys)`
                : `creating ${folder} failed (${code || String(error)})`;
      throw new ConfigError(`${options.setting} ${JSON.stringify(path)} cannot be created: ${reason}. Choose a folder you can write to.`, {
        cause: error,
      });
    }
  }
  return target;
}
