// npm dependencies of `lllm pkg`: installed into the project's node_modules with npm (always beside
// Node; it honours the user's .npmrc and npm_config_* such as npm_config_registry), put back as they
// were when the dependency graph refuses the result, and uninstalled by `lllm pkg remove`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LLLM_TOML, type LllmToml, parseDependency } from '@lllm/core';
import { type Io, UsageError } from '../io.js';
import { shown } from './shared.js';

/** The npm files `npm install` rewrites, to put back when an install is refused. */
const NPM_FILES = ['package.json', 'package-lock.json'] as const;

function npm(args: readonly string[], cwd: string, io: Io): { status: number | null; output: string } {
  const result = spawnSync('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], {
    cwd,
    env: io.env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // An install that hangs on a dead registry ends (npm's own fetch retries stay within it).
    timeout: 600_000,
  });
  // npm's own lines go to stderr: stdout is the command's result.
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (output.trim()) io.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
  return { status: result.status, output };
}

/** The npm name of a `[dependencies]` string entry, when it is an npm one. */
export function npmNameOf(entry: string): string | undefined {
  const parsed = parseDependency(entry);
  return typeof parsed !== 'string' && parsed.source.kind === 'npm' ? parsed.source.name : undefined;
}

/**
 * Refuse a second range of an npm package the project already lists (`kit@^2` beside `kit@^1`):
 * node_modules holds one version, so one of them would silently lose. Names both sides.
 */
export function assertNoNpmConflict(toml: LllmToml, entries: readonly string[], spec: string): void {
  const name = npmNameOf(spec);
  if (!name) return;
  const listed = entries.find((entry) => npmNameOf(entry) === name && entry.replace(/\s+as\s+\S+\s*$/, '') !== spec);
  if (listed === undefined) return;
  throw new UsageError(
    `${shown(spec)} conflicts with ${shown(listed)}, already in [dependencies] of ${toml.file}: node_modules holds one version of ${shown(name)}. Remove it first (lllm pkg remove ${shown(name)}) or install a range both accept.`,
  );
}

/**
 * `npm install --save <spec>` in the project, then `install` (which checks the dependency graph and
 * writes lllm.toml). When npm fails, or the package is not an LLLM project, or `install` throws,
 * package.json and package-lock.json are put back and node_modules is synced to them again.
 */
export async function installFromNpm(toml: LllmToml, spec: string, io: Io, install: () => void): Promise<void> {
  const name = npmNameOf(spec) ?? spec;
  const saved = new Map(NPM_FILES.map((file) => [file, readIfExists(join(toml.root, file))]));
  if (saved.get('package.json') === undefined) {
    // npm would walk up and install into another project's node_modules.
    writeFileSync(join(toml.root, 'package.json'), `${JSON.stringify({ private: true, dependencies: {} }, null, 2)}\n`);
  }
  const restore = () => {
    for (const [file, text] of saved) {
      if (text === undefined) rmSync(join(toml.root, file), { force: true });
      else writeFileSync(join(toml.root, file), text);
    }
    if (saved.get('package.json') === undefined)
      rmSync(join(toml.root, 'node_modules', ...name.split('/')), { recursive: true, force: true });
    else npm(['install'], toml.root, io);
  };
  const result = npm(['install', '--save', spec], toml.root, io);
  if (result.status !== 0) {
    restore();
    throw new UsageError(
      `npm install ${shown(spec)} failed (exit ${result.status ?? 'signal'}); nothing was added to ${LLLM_TOML}.${/E404|404 Not Found/.test(result.output) ? ` The registry has no ${shown(name)}: check the name, or the registry (npm_config_registry, .npmrc).` : ''}`,
    );
  }
  if (!existsSync(join(toml.root, 'node_modules', ...name.split('/'), LLLM_TOML))) {
    restore();
    throw new UsageError(
      `${shown(name)} was installed from npm but has no ${LLLM_TOML}: it is not an LLLM project, so it was uninstalled again. Depend on it in package.json instead.`,
    );
  }
  try {
    install();
  } catch (error) {
    restore();
    throw error;
  }
}

/** `npm uninstall <name>` after its entry left lllm.toml. */
export function uninstallFromNpm(toml: LllmToml, name: string, io: Io): void {
  if (!existsSync(join(toml.root, 'package.json'))) return;
  const result = npm(['uninstall', name], toml.root, io);
  if (result.status !== 0) {
    throw new UsageError(
      `${shown(name)} left ${LLLM_TOML}, but npm uninstall ${shown(name)} failed (exit ${result.status ?? 'signal'}); run it yourself.`,
    );
  }
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
