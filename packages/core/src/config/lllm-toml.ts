import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.js';

/** The name of the project file. */
export const LLLM_TOML = 'lllm.toml';

/** The project file names looked for in each folder, in order (the Python LLLM's `CONFIG_FILENAMES`). */
export const LLLM_TOML_NAMES: readonly string[] = [LLLM_TOML, '.lllm.toml', 'LLLM.toml'];

/** Where in each folder they are looked for: the folder itself, then its `template/` subfolder (upstream's `CONFIG_SUBDIRS`). */
export const LLLM_TOML_SUBFOLDERS: readonly string[] = ['', 'template'];

/** A parsed `lllm.toml`. */
export interface LllmToml {
  /** Absolute path of the file. */
  readonly file: string;
  /** Its folder: every relative path in it is relative to this. */
  readonly root: string;
  /**
   * Each `[section]` with its folders (`folders` or `paths`) resolved to absolute paths; a section
   * that names none uses the folder of its own name beside the file when there is one.
   */
  readonly sections: Readonly<Record<string, LllmTomlSection>>;
  /** Set when no `lllm.toml` exists and the working directory's default folders stand in for one. */
  readonly implicit?: boolean;
  /** The whole parsed table. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** One folder of a section, and the prefix its resources are mounted under (`"./dir under vfolder"`). */
export interface SectionMount {
  readonly folder: string;
  /** Resources found in `folder` are named `<under>/<path>` (none: `<path>`). */
  readonly under?: string;
}

/** One `[section]` of `lllm.toml`. */
export interface LllmTomlSection {
  /** Absolute folders, in order. */
  readonly folders: readonly string[];
  /** The same folders with their `under` prefixes. */
  readonly mounts: readonly SectionMount[];
  /** Whether the folders are the default (`<root>/<section>`), as the section named none. */
  readonly defaulted: boolean;
  /** Every other key of the section. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Tables of `lllm.toml` that are not folders of resources. */
export const META_SECTIONS: ReadonlySet<string> = new Set(['package', 'dependencies']);

/**
 * One entry of `paths` / `folders`: `"./dir"`, `"./dir under vfolder"`, or `{ path, under }`. An
 * invalid entry is `undefined`.
 */
export function parseMount(entry: unknown, root: string): SectionMount | undefined {
  let path: unknown;
  let under: unknown;
  if (typeof entry === 'string') {
    const match = /^(.*?)\s+under\s+(\S+)\s*$/.exec(entry);
    [path, under] = match ? [match[1], match[2]] : [entry, undefined];
  } else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
    ({ path, under } = entry as { path?: unknown; under?: unknown });
    under ??= (entry as { prefix?: unknown }).prefix;
  }
  if (typeof path !== 'string' || path.trim() === '' || (under !== undefined && (typeof under !== 'string' || under.trim() === '')))
    return undefined;
  const folder = isAbsolute(path.trim()) ? path.trim() : resolve(root, path.trim());
  const prefix = typeof under === 'string' ? under.trim().replace(/^\/+|\/+$/g, '') : '';
  return prefix ? { folder, under: prefix } : { folder };
}

/** Sections of an `lllm.toml` whose tables hold resource folders. */
export function sectionsOf(raw: Readonly<Record<string, unknown>>, root: string, problems: string[]): Record<string, LllmTomlSection> {
  const sections: Record<string, LllmTomlSection> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || META_SECTIONS.has(name)) continue;
    const { folders, paths, ...options } = value as Record<string, unknown>;
    const entries: unknown[] = [];
    for (const [key, list] of [
      ['folders', folders],
      ['paths', paths],
    ] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        problems.push(`${name}.${key}: expected an array of folder paths, got ${JSON.stringify(list)}`);
        continue;
      }
      entries.push(...list.map((entry) => ({ key, entry })));
    }
    const mounts: SectionMount[] = [];
    for (const { key, entry } of entries as { key: string; entry: unknown }[]) {
      const mount = parseMount(entry, root);
      if (mount) mounts.push(mount);
      else problems.push(`${name}.${key}: expected "./folder", "./folder under prefix" or { path, under }, got ${JSON.stringify(entry)}`);
    }
    const defaulted = folders === undefined && paths === undefined;
    if (defaulted) {
      const folder = join(root, name);
      if (existsSync(folder) && statSync(folder).isDirectory()) mounts.push({ folder });
    }
    sections[name] = { folders: mounts.map((mount) => mount.folder), mounts, defaulted, options };
  }
  return sections;
}

/** Whether `LLLM_AUTO_DISCOVER` turns discovery off (`0`, `false`, `no`). */
export function autoDiscoverDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(0|false|no)$/i.test((env.LLLM_AUTO_DISCOVER ?? '').trim());
}

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

/** The project file of one folder: its own `lllm.toml`, `.lllm.toml`, `LLLM.toml`, then the same in `template/`. */
function projectFileIn(folder: string): string | undefined {
  for (const subfolder of LLLM_TOML_SUBFOLDERS)
    for (const name of LLLM_TOML_NAMES) {
      const candidate = join(folder, subfolder, name);
      if (isFile(candidate)) return candidate;
    }
  return undefined;
}

function searchUp(start: string): string | undefined {
  let folder = resolve(start);
  if (isFile(folder)) folder = dirname(folder);
  // One step per folder up to the filesystem root, which is its own parent.
  for (;;) {
    const found = projectFileIn(folder);
    if (found) return found;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/** `~` and `~/…` as the user's home, as Python's `Path.expanduser` reads `LLLM_CONFIG`. */
function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** Options of `findLllmToml`. */
export interface FindLllmTomlOptions {
  /** Where to start looking (a folder, or a file whose folder is meant). */
  readonly startPath?: string;
  /** The working directory: searched after `startPath`, and what a relative `LLLM_CONFIG` is relative to. */
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Told when `LLLM_CONFIG` names nothing usable (the search then goes on without it). */
  readonly onWarning?: (message: string) => void;
}

/**
 * What `LLLM_CONFIG` names: an `lllm.toml` (any file), or a folder holding one. Undefined when it is
 * unset; `{ problem }` when it names nothing usable.
 */
function configuredFile(options: FindLllmTomlOptions): { file: string } | { problem: string } | undefined {
  const configured = (options.env ?? process.env).LLLM_CONFIG?.trim();
  if (!configured) return undefined;
  const path = resolve(options.cwd ?? process.cwd(), expandHome(configured));
  if (isFile(path)) return { file: path };
  const folder = existsSync(path) && statSync(path).isDirectory();
  if (folder && isFile(join(path, LLLM_TOML))) return { file: join(path, LLLM_TOML) };
  return {
    problem: `LLLM_CONFIG is set to ${JSON.stringify(configured)}, but ${folder ? `that folder has no ${LLLM_TOML}` : 'nothing is there'}: it is ignored and ${LLLM_TOML} is searched for as if it were unset (as the Python LLLM does). Point it at an ${LLLM_TOML} file or the folder holding one, or unset it.`,
  };
}

/**
 * Find the project file as the Python LLLM's `find_config_file` does: `$LLLM_CONFIG` (a file, or a
 * folder holding an `lllm.toml`); else `startPath` and its parents, else the working directory and
 * its parents, looking in each folder for `lllm.toml`, `.lllm.toml`, `LLLM.toml`, then the same names
 * in its `template/` subfolder. A `$LLLM_CONFIG` that names nothing is skipped with a warning naming it.
 */
export function findLllmToml(options: FindLllmTomlOptions = {}): string | undefined {
  const configured = configuredFile(options);
  if (configured && 'file' in configured) return configured.file;
  if (configured) options.onWarning?.(configured.problem);
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
  const problems: string[] = [];
  const sections = sectionsOf(raw, root, problems);
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
