// Process helpers for the registry end-to-end suite: every command runs to its end or is killed at
// its time limit, as a user's shell would run it (none of this run's pnpm/Vitest/provider variables).
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
/** Text without terminal colour codes. */
export const plain = (text) => text.replace(ANSI, '');

/** The environment of a user's shell, plus `extra`. */
export function userEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // npm_config_nodedir stays: node-gyp builds better-sqlite3 from those headers without a download.
    const dropped =
      /^(npm_|pnpm_|VITEST|TURBO_|OPENAI_|ANTHROPIC_|LLLM_|NPM_TOKEN)/i.test(key) || ['NODE_OPTIONS', 'INIT_CWD', 'NODE_ENV'].includes(key);
    if (dropped && key.toLowerCase() !== 'npm_config_nodedir') continue;
    env[key] = value;
  }
  return { ...env, CI: 'true', ...extra };
}

/**
 * Run `command args` in `cwd` with `env`, collecting output; killed (with its process group) after
 * `timeoutMs`. Resolves `{ code, stdout, stderr, ms }`.
 */
export function run(command, args, { cwd, env = userEnv(), timeoutMs = 120_000, input } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk.toString();
    });
    if (input !== undefined) child.stdin.end(input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? `killed after ${timeoutMs} ms` : code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `run`, failing with the command's output unless it exits 0. */
export async function ok(command, args, options = {}) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited with ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Bytes on disk under `folder`, each hard-linked file once, symlinks not followed. */
export function installedBytes(folder) {
  const seen = new Set();
  let total = 0;
  const walk = (path, depth) => {
    if (depth > 64) throw new Error(`${path}: nested too deep`);
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      const stat = lstatSync(child);
      if (entry.isDirectory()) walk(child, depth + 1);
      else if (entry.isFile() && !seen.has(stat.ino)) {
        seen.add(stat.ino);
        total += stat.size;
      }
    }
  };
  walk(folder, 0);
  return total;
}
