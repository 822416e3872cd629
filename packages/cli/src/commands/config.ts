// `lllm config show [name]`: a system config with its inheritance resolved, and where each value came from.
import { relative } from 'node:path';
import type { SystemConfig } from '@lllm/core';
import { type Io, line, note, printJson } from '../io.js';
import { loadConfig, loadProject } from '../runtime.js';
import { shown } from './shared.js';

/** One value in `lllm config show --json` (stable: fields are only ever added). */
export interface ConfigValueJson {
  /** Dotted key path (`agent_configs.writer.temperature`). */
  readonly key: string;
  readonly value: unknown;
  /** The file that set it (`(global)` when a `global` default did), or `default` for a schema default. */
  readonly origin: string;
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every leaf of the resolved config with its origin, in key order. */
export function configValues(config: SystemConfig): ConfigValueJson[] {
  const values: ConfigValueJson[] = [];
  const { file: _file, root, origins = {}, chain: _chain, notes: _notes, ...data } = config;
  const walk = (value: unknown, path: string) => {
    if (isMap(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
      return;
    }
    if (value === undefined) return;
    const shownValue = (path === 'log_dir' || path === 'ckpt_dir') && typeof value === 'string' ? relative(root, value) || '.' : value;
    values.push({ key: path, value: shownValue, origin: origins[path] ?? 'default' });
  };
  walk(data, '');
  return values;
}

export async function commandConfigShow(name: string | undefined, options: { json?: boolean }, io: Io): Promise<number> {
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) note(io, `warning: ${shown(warning)}`);
  const config = loadConfig(project, name);
  const values = configValues(config);
  const chain = (config.chain ?? [config.file]).map((file) => relative(project.root, file) || file);
  if (options.json) {
    printJson(io, { file: config.file, chain, values });
    return 0;
  }
  line(io, `${shown(config.name)}: ${chain.map(shown).join(' → ')}`);
  const width = Math.min(48, Math.max(...values.map((value) => value.key.length)));
  for (const value of values) {
    line(io, `  ${value.key.padEnd(width)}  ${shown(JSON.stringify(value.value))}  ← ${shown(value.origin)}`);
  }
  return 0;
}
