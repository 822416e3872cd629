// `log_type` values served by packages of their own (`postgres` → @lllm/log-postgres): the CLI does not
// depend on them; a project that picks one installs the package, and the CLI imports it from the
// project folder when the log is first opened (or when `lllm doctor` checks the config).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, createLogStore, type LogStoreConfig, listLogBackends, registerLogBackend } from '@lllm/core';

interface BackendPackage {
  /** The npm package. */
  readonly name: string;
  /** Its export that registers the backend with core. */
  readonly register: string;
}

/** The `log_type` values the CLI knows a package for. */
const BACKEND_PACKAGES: Readonly<Record<string, BackendPackage>> = {
  postgres: { name: '@lllm/log-postgres', register: 'registerPostgresLogBackend' },
};

/** Types whose registered factory is still the stand-in below (the package not imported yet). */
const standIns = new Set<string>();

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
}

/**
 * Import the package that serves `log_type: <type>` from the project at `root` and let it register
 * the backend. Nothing to do when `type` is served by no package or is registered already (by
 * `@lllm/log`, or a `[log_backends]` module). Not installed: a ConfigError naming the `npm install`.
 */
export async function loadLogBackendPackage(type: string, root: string): Promise<void> {
  const known = BACKEND_PACKAGES[type];
  if (!known || (listLogBackends().includes(type) && !standIns.has(type))) return;
  let entry: string;
  try {
    // Resolved from the project (with the process's --conditions), not from the CLI's own folder.
    entry = createRequire(join(root, 'package.json')).resolve(known.name);
  } catch (error) {
    if (codeOf(error) !== 'MODULE_NOT_FOUND' && codeOf(error) !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    throw new ConfigError(
      `log_type "${type}" needs the ${known.name} package, which is not installed in ${root}: run \`npm install ${known.name}\` there (or pick another log_type in the system config).`,
    );
  }
  const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const register = module[known.register];
  if (typeof register !== 'function') {
    throw new ConfigError(
      `${known.name} (${entry}) has no ${known.register}() export: install a version that matches @lllm/cli with \`npm install ${known.name}@latest\`.`,
    );
  }
  register();
  standIns.delete(type);
}

/**
 * When the system config picks a `log_type` that a package serves and nothing registered it, register
 * a stand-in factory: the first store opened imports the package from `root`
 * ({@link loadLogBackendPackage}) and opens the real store. `lllm run`, `replay` and `batch` open their
 * log through core's `createLogStore`, so they need nothing else.
 */
export function registerPackagedLogBackend(type: string, root: string): void {
  if (!BACKEND_PACKAGES[type] || listLogBackends().includes(type)) return;
  standIns.add(type);
  let delegating = false;
  registerLogBackend(type, async (config: LogStoreConfig) => {
    // Called again while delegating: the package's register function did not replace this stand-in.
    if (delegating) throw new ConfigError(`${BACKEND_PACKAGES[type]?.name} did not register log_type "${type}": reinstall it.`);
    await loadLogBackendPackage(type, root);
    delegating = true;
    try {
      return await createLogStore(config);
    } finally {
      delegating = false;
    }
  });
}
