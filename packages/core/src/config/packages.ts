/**
 * Packages: an `lllm.toml` may say what it is (`[package] name, version`) and what it uses
 * (`[dependencies]`): other LLLM projects — a folder, a tarball (`lllm pkg export`) or an npm package —
 * whose prompts and configs become available as `<package>:<path>` (or `<alias>:<path>`). The whole
 * graph is read and checked when the project is discovered (version conflicts and cycles are errors
 * naming both sides); a package's modules are imported only when something refers to it.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError, NotFoundError } from '../errors.js';
import { processRegistry } from '../process-registry.js';
import { closestMatches } from '../strings.js';
import { tactics } from '../tactic/definition.js';
import { agentTypeRegistry } from './agent-type-registry.js';
import { LLLM_TOML, type LllmToml, readLllmToml } from './lllm-toml.js';
import { isTarball, mtimeOf, unpackTarball } from './tarball.js';
import { satisfiesRange } from './versions.js';

/** Where a dependency comes from. */
export type DependencySource =
  | { readonly kind: 'folder'; readonly path: string }
  | { readonly kind: 'tarball'; readonly path: string }
  | { readonly kind: 'npm'; readonly name: string };

/** One entry of `[dependencies]`. */
export interface DependencyEntry {
  readonly source: DependencySource;
  /** Another name the package's resources are available under. */
  readonly alias?: string;
  /** A version range the package must satisfy. */
  readonly version?: string;
  /** The entry as written, for messages. */
  readonly spec: string;
}

/** One loaded package. */
export interface LllmPackage {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** The folder holding its `lllm.toml`. */
  readonly root: string;
  readonly toml: LllmToml;
  readonly source: DependencySource | { readonly kind: 'project' };
  /** Names its resources are also available under. */
  readonly aliases: readonly string[];
  /** Who required it (package names), for messages. */
  readonly requiredBy: readonly string[];
}

/** A project and the packages it depends on, directly or not. */
export interface PackageGraph {
  readonly project: LllmPackage;
  /** Every package by name (the project too). */
  readonly packages: ReadonlyMap<string, LllmPackage>;
  /** Alias → package name. */
  readonly aliases: ReadonlyMap<string, string>;
}

const NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

/** The `[package]` of a project: its name (default: the folder's) and version (default `0.0.0`). */
export function packageIdentity(toml: LllmToml): { name: string; version: string; description: string } {
  const section = toml.raw.package;
  const table = (typeof section === 'object' && section !== null && !Array.isArray(section) ? section : {}) as Record<string, unknown>;
  // Without a name, the folder's, made valid (a folder may be called "My Project").
  const name =
    typeof table.name === 'string'
      ? table.name
      : basename(toml.root)
          .replace(/[^\w.-]+/g, '-')
          .replace(/^[^a-z0-9]+/i, '') || 'project';
  const version = typeof table.version === 'string' ? table.version : '0.0.0';
  const problems: string[] = [];
  if (!NAME.test(name))
    problems.push(`package.name: ${JSON.stringify(name)} is not a package name (letters, digits, ".", "-", "_", optionally @scope/)`);
  if (table.version !== undefined && typeof table.version !== 'string')
    problems.push(`package.version: expected a string such as "1.0.0", got ${JSON.stringify(table.version)}`);
  if (problems.length > 0)
    throw new ConfigError(`${toml.file}:\n${problems.map((p) => `- ${p}`).join('\n')}`, { file: toml.file, problems });
  return { name, version, description: typeof table.description === 'string' ? table.description : '' };
}

/** `"./dir"`, `"./pack.tgz"`, `"name"`, `"name@^1.0.0"`, each optionally `" as alias"`; or a table. */
export function parseDependency(entry: unknown, aliasKey?: string): DependencyEntry | string {
  let spec: string;
  let alias = aliasKey;
  let version: string | undefined;
  let source: DependencySource | undefined;
  if (typeof entry === 'string') {
    spec = entry;
    const match = /^(.*?)\s+as\s+(\S+)\s*$/.exec(entry);
    const target = (match ? match[1] : entry)?.trim() ?? '';
    if (match) alias = match[2];
    if (target.startsWith('.') || isAbsolute(target))
      source = isTarball(target) ? { kind: 'tarball', path: target } : { kind: 'folder', path: target };
    else {
      const npm = /^(@?[^@\s]+)(?:@(.+))?$/.exec(target);
      if (npm?.[1]) {
        source = { kind: 'npm', name: npm[1] };
        version = npm[2];
      }
    }
  } else if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
    const table = entry as Record<string, unknown>;
    spec = JSON.stringify(entry);
    alias = (table.alias ?? table.as ?? aliasKey) as string | undefined;
    version = table.version as string | undefined;
    if (typeof table.path === 'string')
      source = isTarball(table.path) ? { kind: 'tarball', path: table.path } : { kind: 'folder', path: table.path };
    else if (typeof table.tarball === 'string') source = { kind: 'tarball', path: table.tarball };
    else if (typeof table.npm === 'string') source = { kind: 'npm', name: table.npm };
  } else {
    return `expected "./folder", "./pack.tgz", "npm-name@range" (each optionally "as alias") or { path | tarball | npm, alias, version }, got ${JSON.stringify(entry)}`;
  }
  if (!source) return `cannot tell where ${JSON.stringify(spec)} comes from: write "./folder", "./pack.tgz" or an npm package name`;
  if (alias !== undefined && (typeof alias !== 'string' || !NAME.test(alias))) return `alias ${JSON.stringify(alias)} is not a name`;
  if (version !== undefined && typeof version !== 'string') return `version ${JSON.stringify(version)} is not a range such as "^1.0.0"`;
  return { source, spec, ...(alias ? { alias } : {}), ...(version ? { version } : {}) };
}

/** The entries of `[dependencies]`: `packages = [...]`, and `alias = <entry>` keys. Problems are listed with their keys. */
export function readDependencies(toml: LllmToml): DependencyEntry[] {
  const section = toml.raw.dependencies;
  if (section === undefined) return [];
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new ConfigError(`${toml.file}: [dependencies] must be a table.`, { file: toml.file });
  }
  const entries: DependencyEntry[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(section as Record<string, unknown>)) {
    const list = key === 'packages' ? (Array.isArray(value) ? value : [value]) : [value];
    list.forEach((item, index) => {
      const parsed = parseDependency(item, key === 'packages' ? undefined : key);
      if (typeof parsed === 'string') problems.push(`dependencies.${key}${key === 'packages' ? `[${index}]` : ''}: ${parsed}`);
      else entries.push(parsed);
    });
  }
  if (problems.length > 0)
    throw new ConfigError(`${toml.file}:\n${problems.map((p) => `- ${p}`).join('\n')}`, { file: toml.file, problems });
  return entries;
}

/** Where tarball dependencies of a project are unpacked. */
export const packagesCache = (projectRoot: string) => join(projectRoot, '.lllm', 'packages');

/** The folder a dependency lives in (a tarball is unpacked first, again when it changed). */
export function dependencyFolder(entry: DependencyEntry, from: LllmToml, projectRoot: string): string {
  const { source } = entry;
  if (source.kind === 'folder') return resolve(from.root, source.path);
  if (source.kind === 'tarball') {
    const file = resolve(from.root, source.path);
    if (!existsSync(file)) {
      throw new ConfigError(
        `${from.file}: dependency ${entry.spec}: ${file} does not exist. Build it with lllm pkg export, or fix the path.`,
        { file: from.file },
      );
    }
    const target = join(packagesCache(projectRoot), basename(file).replace(/\.(tgz|tar\.gz)$/i, ''));
    const stamp = join(target, '.lllm-unpacked');
    if (!existsSync(stamp) || mtimeOf(stamp) < mtimeOf(file)) {
      mkdirSync(target, { recursive: true });
      unpackTarball(file, target);
      writeFileSync(stamp, file);
    }
    return target;
  }
  for (let folder = from.root; ; folder = dirname(folder)) {
    const candidate = join(folder, 'node_modules', ...source.name.split('/'));
    if (existsSync(join(candidate, LLLM_TOML))) return candidate;
    if (dirname(folder) === folder) break;
  }
  throw new ConfigError(
    `${from.file}: dependency ${entry.spec}: no node_modules/${source.name} with an ${LLLM_TOML} above ${from.root}. Install it: lllm pkg install ${source.name}.`,
    { file: from.file },
  );
}

/** Read a project's whole dependency graph and check it. */
export function resolvePackageGraph(project: LllmToml): PackageGraph {
  const identity = packageIdentity(project);
  const packages = new Map<string, LllmPackage & { aliases: string[]; requiredBy: string[] }>();
  const aliases = new Map<string, string>();
  const root = { ...identity, root: project.root, toml: project, source: { kind: 'project' as const }, aliases: [], requiredBy: [] };
  packages.set(identity.name, root);
  const where = (pkg: LllmPackage) => relative(project.root, pkg.root) || '.';
  const visit = (parent: LllmPackage, chain: readonly string[], depth: number) => {
    if (depth > 64) throw new ConfigError(`${project.file}: dependencies nest more than 64 levels deep.`, { file: project.file });
    for (const entry of readDependencies(parent.toml)) {
      const folder = dependencyFolder(entry, parent.toml, project.root);
      if (!existsSync(join(folder, LLLM_TOML)) || !statSync(folder).isDirectory()) {
        throw new ConfigError(`${parent.toml.file}: dependency ${entry.spec} (${folder}) has no ${LLLM_TOML}; it is not an LLLM project.`, {
          file: parent.toml.file,
        });
      }
      const toml = readLllmToml(join(folder, LLLM_TOML));
      const { name, version, description } = packageIdentity(toml);
      if (chain.includes(name)) {
        const cycle = [...chain.slice(chain.indexOf(name)), name];
        throw new ConfigError(
          `Package dependencies have a cycle: ${cycle.join(' → ')}. "${parent.name}" (${parent.toml.file}) must not depend on "${name}".`,
          {
            file: parent.toml.file,
            problems: [`cycle: ${cycle.join(' → ')}`],
          },
        );
      }
      if (entry.version && !satisfiesRange(version, entry.version)) {
        throw new ConfigError(`"${parent.name}" needs ${name} ${entry.version}, but ${folder} is ${name} ${version}. Update one side.`, {
          file: parent.toml.file,
        });
      }
      const existing = packages.get(name);
      if (existing && existing.version !== version) {
        throw new ConfigError(
          `Package "${name}" is required at two versions: ${existing.version} (${where(existing)}) by ${existing.requiredBy.map((n) => `"${n}"`).join(', ') || 'the project'}, and ${version} (${relative(project.root, folder) || folder}) by "${parent.name}". Make both depend on one version.`,
          { file: parent.toml.file, problems: [`${name}: ${existing.version} vs ${version}`] },
        );
      }
      const pkg = existing ?? { name, version, description, root: folder, toml, source: entry.source, aliases: [], requiredBy: [] };
      if (!pkg.requiredBy.includes(parent.name)) pkg.requiredBy.push(parent.name);
      if (entry.alias && entry.alias !== name) {
        const taken = aliases.get(entry.alias) ?? (packages.has(entry.alias) ? entry.alias : undefined);
        if (taken && taken !== name) {
          throw new ConfigError(
            `Alias "${entry.alias}" (for ${name}, in ${parent.toml.file}) is already the name of package "${taken}". Pick another alias.`,
            {
              file: parent.toml.file,
            },
          );
        }
        aliases.set(entry.alias, name);
        if (!pkg.aliases.includes(entry.alias)) pkg.aliases.push(entry.alias);
      }
      if (!existing) {
        packages.set(name, pkg);
        visit(pkg, [...chain, name], depth + 1);
      }
    }
  };
  visit(root, [identity.name], 0);
  return { project: root, packages, aliases };
}

interface PackageState {
  graph: PackageGraph | undefined;
  /** Package names whose modules were imported. */
  loaded: Set<string>;
  /** Imports a package's modules (set by discovery, which knows the importer and the sections). */
  loader: ((pkg: LllmPackage, namespaces: readonly string[]) => Promise<void>) | undefined;
  /** What each loaded package's modules registered, by resource kind (`agent_type`, `proxy`, …). */
  resources: Map<string, Map<string, readonly string[]>>;
}

const state = () =>
  processRegistry('packages', (): PackageState => ({ graph: undefined, loaded: new Set(), loader: undefined, resources: new Map() }));

/**
 * The kinds of named resources a package may define, each with how to list what is registered.
 * Core's own: agent types and tactics. `@lllm/proxy` adds `proxy` (`registerPackageResourceKind`).
 */
const resourceKinds = () =>
  processRegistry(
    'package-resource-kinds',
    (): Map<string, () => Iterable<string>> =>
      new Map<string, () => Iterable<string>>([
        ['agent_type', () => agentTypeRegistry().keys()],
        ['tactic', () => tactics().keys()],
      ]),
  );

/**
 * Say how to list the registered resources of a kind, so `package:name` references of that kind
 * resolve to what the package's modules registered (`@lllm/proxy` registers `proxy` with `listProxies`).
 */
export function registerPackageResourceKind(kind: string, list: () => Iterable<string>): void {
  resourceKinds().set(kind, list);
}

/** The kinds `package:name` references can name. */
export function packageResourceKinds(): string[] {
  return [...resourceKinds().keys()];
}

/** Whether `name` is registered as a resource of `kind` (names may hold a colon: a tactic `x:y`). */
export function isRegisteredResource(kind: string, name: string): boolean {
  const list = resourceKinds().get(kind);
  if (!list) return false;
  for (const registered of list()) if (registered === name) return true;
  return false;
}

function snapshotResources(): Map<string, Set<string>> {
  return new Map([...resourceKinds()].map(([kind, list]) => [kind, new Set(list())]));
}

/** What package `name` registered of `kind` when it loaded (undefined when it is not loaded). */
export function packageResources(name: string, kind: string): readonly string[] | undefined {
  const current = state();
  if (!current.loaded.has(name)) return undefined;
  return current.resources.get(name)?.get(kind) ?? [];
}

/** Make `graph` the process's packages (discovery does). */
export function setPackageGraph(graph: PackageGraph | undefined, loader?: PackageState['loader']): void {
  const current = state();
  current.graph = graph;
  current.loaded = new Set();
  current.loader = loader;
  current.resources = new Map();
}

/** The packages of the discovered project, if any. */
export function packageGraph(): PackageGraph | undefined {
  return state().graph;
}

/** A package by name or alias; unknown names list the known ones. */
export function findPackage(nameOrAlias: string): LllmPackage {
  const graph = state().graph;
  const name = graph?.aliases.get(nameOrAlias) ?? nameOrAlias;
  const pkg = graph?.packages.get(name);
  if (pkg) return pkg;
  const known = graph ? [...graph.packages.keys(), ...graph.aliases.keys()] : [];
  const suggestions = closestMatches(nameOrAlias, known);
  throw new NotFoundError(
    `Unknown package "${nameOrAlias}". ${known.length ? `Known: ${known.map((k) => `"${k}"`).join(', ')}.` : 'No [dependencies] are loaded: add it to lllm.toml (lllm pkg install <folder | tarball | npm name>).'}${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''}`,
    { what: 'package', key: nameOrAlias, suggestions },
  );
}

/** Import a package's modules (once), registering its prompts under its name and aliases. */
export async function loadPackage(nameOrAlias: string): Promise<LllmPackage> {
  const pkg = findPackage(nameOrAlias);
  const current = state();
  if (pkg.source.kind === 'project' || current.loaded.has(pkg.name)) return pkg;
  current.loaded.add(pkg.name);
  // What its modules register while they load is its own: `pkg:name` references resolve against it.
  const before = snapshotResources();
  try {
    await current.loader?.(pkg, [pkg.name, ...pkg.aliases]);
  } catch (error) {
    current.loaded.delete(pkg.name);
    throw error;
  }
  const added = new Map<string, readonly string[]>();
  for (const [kind, list] of resourceKinds()) {
    const earlier = before.get(kind) ?? new Set<string>();
    added.set(
      kind,
      [...list()].filter((name) => !earlier.has(name)),
    );
  }
  current.resources.set(pkg.name, added);
  return pkg;
}

/** Whether a package's modules were imported. */
export function isPackageLoaded(name: string): boolean {
  return state().loaded.has(name);
}

/** The package of a `package:path` reference, when it has one (`undefined` for plain paths and URLs). */
export function referencedPackage(reference: string): string | undefined {
  const match = /^([^:/\s][^:\s]*):(?!\/\/)./.exec(reference);
  return match?.[1];
}

/** The YAML of `package:name` (a config of a dependency), for `base:` references. */
export function packageConfigFile(packageName: string, configName: string): string {
  const pkg = findPackage(packageName);
  const folderForm = join(pkg.root, 'config', configName, 'default.yaml');
  const fileForm = join(pkg.root, 'config', `${configName}.yaml`);
  return existsSync(folderForm) || !existsSync(fileForm) ? folderForm : fileForm;
}

/** Import the packages `references` name (`kit:sys/writer` → `kit`); plain references are skipped. */
export async function loadReferencedPackages(references: readonly (string | undefined)[]): Promise<void> {
  for (const reference of references) {
    const name = reference ? referencedPackage(reference) : undefined;
    if (name && state().graph) await loadPackage(name);
  }
}
