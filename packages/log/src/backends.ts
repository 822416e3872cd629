import { registerLogBackend } from '@lllm/core';
import { JsonlLogStore } from './jsonl-store.js';
import { LocalFileLogStore } from './localfile-store.js';
import { SqliteLogStore } from './sqlite-store.js';

/**
 * Register `sqlite` (the embedded default), `jsonl` and `localfile` (the Python LLLM's folder layout)
 * with core, so `log_type: sqlite|jsonl|localfile` in a
 * system config creates them. Explicit (no import-time side effects): the CLI and system bootstrap
 * call it. Options come from the config: `log_dir` is the directory; `options` may set `path`,
 * `batchSize`, `flushIntervalMs` (sqlite), `base`, `flushIntervalMs` (jsonl) or `base` (localfile).
 */
export function registerLogBackends(): void {
  registerLogBackend('sqlite', (config) => new SqliteLogStore({ ...(config.options ?? {}), directory: config.directory ?? '.' }));
  registerLogBackend('jsonl', (config) => new JsonlLogStore({ ...(config.options ?? {}), directory: config.directory ?? '.' }));
  registerLogBackend('localfile', (config) => new LocalFileLogStore({ ...(config.options ?? {}), directory: config.directory ?? '.' }));
}
