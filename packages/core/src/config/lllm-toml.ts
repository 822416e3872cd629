import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';

/** The name of the project file. */
export const LLLM_TOML = 'lllm.toml';

/** A parsed `lllm.toml`. */
export interface LllmToml {
  /** Absolute path of the file. */
  readonly file: string;
  /** Its folder: every relative path in it is relative to this. */
  readonly root: string;
  /** Each `[section]` with its `folders` resolved to absolute paths. */
  readonly sections: Readonly<Record<string, { readonly folders: readonly string[]; readonly options: Readonly<Record<string, unknown>> }>>;
  /** The whole parsed table. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Whether `LLLM_AUTO_DISCOVER` turns discovery off (`0`, `false`, `no`). */
export function autoDiscoverDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(0|false|no)$/i.test((env.LLLM_AUTO_DISCOVER ?? '').trim());
}

function searchUp(start: string): string | undefined {
  let folder = resolve(start);
  if (existsSync(folder) && statSync(folder).isFile()) folder = dirname(folder);
  for (;;) {
    const candidate = join(folder, LLLM_TOML);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/**
 * Find `lllm.toml`: `$LLLM_CONFIG` (a file, or a folder holding one), else `startPath` and its
 * parents, else the working directory and its parents. A `$LLLM_CONFIG` that points nowhere is an
 * error naming it.
 */
export function findLllmToml(options: { startPath?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string | undefined {
  const env = options.env ?? process.env;
  const configured = env.LLLM_CONFIG?.trim();
  if (configured) {
    const path = resolve(options.cwd ?? process.cwd(), configured);
    if (existsSync(path) && statSync(path).isFile()) return path;
    if (existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, LLLM_TOML))) return join(path, LLLM_TOML);
    throw new ConfigError(
      `LLLM_CONFIG is set to ${JSON.stringify(configured)}, but ${existsSync(path) ? `that folder has no ${LLLM_TOML}` : 'nothing is there'}. Point it at an ${LLLM_TOML} file or the folder holding one, or unset it.`,
    );
  }
  return (options.startPath ? searchUp(options.startPath) : undefined) ?? searchUp(options.cwd ?? process.cwd());
}

/** The largest `lllm.toml` read: a project file is a few lines; anything this big is a mistake. */
const MAX_TOML_BYTES = 1024 * 1024;

/** Read and parse an `lllm.toml`. A syntax error names the file, line and column. */
export function readLllmToml(file: string): LllmToml {
  const path = resolve(file);
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_TOML_BYTES) {
      throw new ConfigError(
        `${path} is ${size} bytes; an ${LLLM_TOML} is at most ${MAX_TOML_BYTES} bytes. Point LLLM_CONFIG at the project's own ${LLLM_TOML}.`,
        {
          file: path,
        },
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (ConfigError.isInstance(error)) throw error;
    throw new ConfigError(`Cannot read ${path}: ${error instanceof Error ? error.message : String(error)}.`, { file: path, cause: error });
  }
  let raw: Record<string, unknown>;
  try {
    // Nesting is capped so a hostile file cannot exhaust the stack.
    raw = parse(text, { maxDepth: 64 }) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split('\n')[0] ?? error.message;
      throw new ConfigError(`${path}:${error.line}:${error.column}: invalid TOML: ${first}`, {
        file: path,
        problems: [`line ${error.line}, column ${error.column}: ${first}`],
        cause: error,
      });
    }
    throw error;
  }
  const root = dirname(path);
  const sections: Record<string, { folders: string[]; options: Record<string, unknown> }> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    const { folders, ...options } = value as Record<string, unknown>;
    if (folders === undefined) {
      sections[name] = { folders: [], options };
      continue;
    }
    if (!Array.isArray(folders) || !folders.every((folder) => typeof folder === 'string')) {
      problems.push(`${name}.folders: expected an array of folder paths, got ${JSON.stringify(folders)}`);
      continue;
    }
    sections[name] = { folders: folders.map((folder) => (isAbsolute(folder) ? folder : resolve(root, folder))), options };
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `${path} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      {
        file: path,
        problems,
      },
    );
  }
  return { file: path, root, sections, raw };
}
