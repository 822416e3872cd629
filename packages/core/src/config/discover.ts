import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DiscoveredModuleInfo, getDiscoverySection, listDiscoverySections } from '../discovery-sections.js';
import { ConfigError } from '../errors.js';
import { loadSkills } from '../skills/skill.js';
import { autoDiscoverDisabled, findLllmToml, LLLM_TOML, LLLM_TOML_NAMES, type LllmToml, readLllmToml, sectionsOf } from './lllm-toml.js';
import { resolvePackageGraph, setPackageGraph } from './packages.js';

/** Sections whose folders hold data, not modules: discovery never imports from them. */
const DATA_SECTIONS: ReadonlySet<string> = new Set(['skills', 'configs']);

/**
 * The stand-in for a missing `lllm.toml`: the working directory, with a section for each registered
 * discovery section whose default folder (`./prompts`, `./proxies`, …) exists. Undefined when none does.
 */
export function implicitLllmToml(cwd: string): LllmToml | undefined {
  const raw = Object.fromEntries(listDiscoverySections().map((name) => [name, {}]));
  const sections = sectionsOf(raw, cwd, []);
  if (!Object.values(sections).some((section) => section.folders.length > 0)) return undefined;
  return { file: join(cwd, LLLM_TOML), root: cwd, sections, raw: {}, implicit: true };
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);

/** Imports one discovered module. The CLI passes a TypeScript-capable loader. */
export type ModuleImporter = (file: string) => Promise<Record<string, unknown>>;

/** Options of `discover()`. */
export interface DiscoverOptions {
  /** Where to start looking for `lllm.toml` (default: the working directory). */
  readonly startPath?: string;
  /** A specific `lllm.toml` (skips the search). */
  readonly configFile?: string;
  /** A module that fails to import is an error instead of a warning. */
  readonly strict?: boolean;
  /** Default: native `import()` (Node 22 strips TypeScript types itself). */
  readonly importModule?: ModuleImporter;
  /** Told about every warning (default: collected only). */
  readonly onWarning?: (message: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** The working directory: searched after `startPath`, and the fallback's folder when there is no `lllm.toml` (default: `process.cwd()`). */
  readonly cwd?: string;
}

/** What one section found. */
export interface DiscoveredSection {
  readonly name: string;
  readonly folders: readonly string[];
  readonly modules: readonly DiscoveredModuleInfo[];
  readonly failures: readonly { readonly file: string; readonly error: string }[];
  /** Whether a handler was registered for the section. */
  readonly handled: boolean;
}

/** What `discover()` did. */
export interface DiscoveryReport {
  /** `false` when `LLLM_AUTO_DISCOVER` turned discovery off or no `lllm.toml` was found. */
  readonly ran: boolean;
  readonly disabled: boolean;
  readonly config: LllmToml | undefined;
  readonly sections: readonly DiscoveredSection[];
  /** Skills read from `[skills]` (default: `./skills` and `./.agents/skills`), by name. */
  readonly skills: readonly string[];
  readonly warnings: readonly string[];
}

/** The skill folders of a project: `[skills]` folders, else `skills/` and `.agents/skills/` when they exist. */
export function skillRoots(config: LllmToml): string[] {
  const section = config.sections.skills;
  if (section && !section.defaulted) return [...section.folders];
  return [join(config.root, 'skills'), join(config.root, '.agents', 'skills')].filter((folder) => existsSync(folder));
}

/** Every module file under `folder`, recursively, sorted; `_*`, `index.*`, tests and `.d.ts` left out. */
export function moduleFiles(folder: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (
        entry.isFile() &&
        MODULE_EXTENSIONS.has(extname(entry.name)) &&
        !entry.name.endsWith('.d.ts') &&
        !/\.(test|spec)\.[mc]?[jt]s$/.test(entry.name) &&
        basename(entry.name, extname(entry.name)) !== 'index'
      ) {
        found.push(path);
      }
    }
  };
  walk(folder);
  return found;
}

/**
 * Find `lllm.toml` and, for each `[section] folders = [...]`, import every module in those folders
 * (recursively) and hand its exports to the section's registered handler. Explicit: importing a
 * package never runs it. A module that fails to import is reported with its path and the error (a
 * warning, or an error with `strict`); a missing folder is a warning naming it.
 */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveryReport> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };
  const env = options.env ?? process.env;
  if (autoDiscoverDisabled(env)) return { ran: false, disabled: true, config: undefined, sections: [], skills: [], warnings };
  const file =
    options.configFile ??
    findLllmToml({
      ...(options.startPath ? { startPath: options.startPath } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env,
      onWarning: warn,
    });
  const fallback = file ? undefined : implicitLllmToml(options.cwd ?? options.startPath ?? process.cwd());
  if (!file && !fallback) {
    warn(
      `No ${LLLM_TOML_NAMES.join(' / ')} found (searched LLLM_CONFIG, ${options.startPath ?? 'the start path'} and the working directory, their parents and their template/ folders): nothing to discover.`,
    );
    return { ran: false, disabled: false, config: undefined, sections: [], skills: [], warnings };
  }
  const config = fallback ?? readLllmToml(file as string);
  const importModule: ModuleImporter =
    options.importModule ?? ((path) => import(pathToFileURL(path).href) as Promise<Record<string, unknown>>);
  const sections = await importSections(config, { importModule, strict: options.strict === true, warn });
  if (!config.implicit) {
    const graph = resolvePackageGraph(config);
    setPackageGraph(graph, async (pkg, namespaces) => {
      for (const namespace of namespaces) await importSections(pkg.toml, { importModule, strict: true, warn, namespace });
    });
  } else setPackageGraph(undefined);
  const skills: string[] = [];
  for (const folder of skillRoots(config)) {
    try {
      skills.push(...loadSkills([folder]));
    } catch (error) {
      if (options.strict) throw error;
      warn(`[skills] ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ran: true, disabled: false, config, sections, skills, warnings };
}

/** Import the modules of every section of `config` and hand them to the section handlers. */
async function importSections(
  config: LllmToml,
  context: { importModule: ModuleImporter; strict: boolean; warn: (message: string) => void; namespace?: string },
): Promise<DiscoveredSection[]> {
  const { importModule, strict, warn, namespace } = context;
  const sections: DiscoveredSection[] = [];
  for (const [name, section] of Object.entries(config.sections)) {
    if (section.folders.length === 0 || DATA_SECTIONS.has(name)) continue;
    const handler = getDiscoverySection(name);
    if (!handler) {
      warn(
        `[${name}] in ${config.file} has folders, but no package registered a "${name}" discovery section (for prompts call registerPromptDiscovery(), for proxies registerProxyDiscovery()).`,
      );
    }
    const modules: DiscoveredModuleInfo[] = [];
    const failures: { file: string; error: string }[] = [];
    for (const { folder, under } of section.mounts) {
      if (!existsSync(folder) || !statSync(folder).isDirectory()) {
        warn(
          `[${name}] folder ${relative(config.root, folder) || folder} (${folder}) does not exist; create it or remove it from ${config.file}.`,
        );
        continue;
      }
      for (const path of moduleFiles(folder)) {
        const info: DiscoveredModuleInfo = {
          section: name,
          file: path,
          folder,
          modulePath: `${under ? `${under}/` : ''}${relative(folder, path).slice(0, -extname(path).length).split(sep).join('/')}`,
          ...(namespace ? { namespace } : {}),
        };
        let exports: Record<string, unknown>;
        try {
          exports = await importModule(path);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ file: path, error: message });
          if (strict) {
            throw new ConfigError(`[${name}] module ${path} failed to import: ${message}`, { file: path, cause: error });
          }
          warn(`[${name}] skipped ${path}: it failed to import: ${message}`);
          continue;
        }
        try {
          if (handler) await handler(exports, info);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          failures.push({ file: path, error: message });
          if (strict) throw new ConfigError(`[${name}] module ${path} was rejected: ${message}`, { file: path, cause: error });
          warn(`[${name}] ${path} was rejected: ${message}`);
          continue;
        }
        modules.push(info);
      }
    }
    sections.push({ name, folders: section.folders, modules, failures, handled: handler !== undefined });
  }
  return sections;
}
