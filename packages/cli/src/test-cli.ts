// The lllm command run from source as a child process, as the CLI tests need it: the workspace
// sources (the lllm-source condition) through tsx, and no provider key, base URL, model choice,
// config path or colour setting inherited from the environment the tests run in.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The CLI's source entry point. */
export const binSource = join(here, 'bin-source.ts');

/** tsx's ESM loader, for `node --import`. */
export const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;

const NOT_INHERITED = new Set([
  'OPENAI_API_KEY',
  'MY_OPENAI_KEY',
  'OPENAI_BASE_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_BASE_URL',
  'TOGETHER_API_KEY',
  'LLLM_CONFIG',
  'LLLM_MODEL',
  'LLLM_PROVIDER',
  'NO_COLOR',
  'FORCE_COLOR',
]);

/** What a finished `lllm` process left. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `lllm …args` in `cwd`; `env` adds variables (`undefined` removes one). A process still running
 * after `timeoutMs` (default 120 s) is killed, so no test waits forever.
 */
export function runLllm(
  args: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string | undefined>> = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !NOT_INHERITED.has(key)) childEnv[key] = value;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=lllm-source', '--import', tsxLoader, binSource, ...args], {
      cwd,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': every byte the child wrote has been read by then.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A copy of `examples/<name>` inside the repository (so `@lllm/*` resolve to the workspace), its
 * installed dependencies linked and its logs left behind; the caller removes the folder.
 */
export function copyExample(name: string, prefix: string): string {
  const repo = join(here, '..', '..', '..');
  const example = join(repo, 'examples', name);
  const parent = join(repo, 'node_modules', '.cache', 'lllm-cli-tests');
  mkdirSync(parent, { recursive: true });
  const folder = mkdtempSync(join(parent, prefix));
  cpSync(example, folder, { recursive: true, filter: (path) => !/[/\\](logs|node_modules|\.lllm)([/\\]|$)/.test(path) });
  symlinkSync(join(example, 'node_modules'), join(folder, 'node_modules'), 'dir');
  return folder;
}
