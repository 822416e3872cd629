// `lllm pkg install | remove | list | export`: the [dependencies] of lllm.toml, and tarballs of a project.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  ConfigError,
  findLllmToml,
  LLLM_TOML,
  type LllmToml,
  packageIdentity,
  parseDependency,
  readDependencies,
  readLllmToml,
  resolvePackageGraph,
  skillRoots,
} from '@lllm/core';
import { isTarball, listFiles, packTarball, unpackTarball } from '@lllm/core/utils';
import { type Io, line, printJson, UsageError } from '../io.js';
import { assertNoNpmConflict, installFromNpm, npmNameOf, uninstallFromNpm } from './pkg-npm.js';
import { shown } from './shared.js';

function projectToml(io: Io): LllmToml {
  const file = findLllmToml({ startPath: io.cwd, env: io.env });
  if (!file) throw new UsageError(`No ${LLLM_TOML} here or above ${io.cwd}: run lllm pkg in a project (lllm create makes one).`);
  return readLllmToml(file);
}

/** The `[dependencies] packages = [...]` array of `text` replaced by `entries` (the section is added when missing). Comments elsewhere survive. */
export function writeDependencyList(text: string, entries: readonly string[]): string {
  const rendered =
    entries.length === 0 ? 'packages = []' : `packages = [\n${entries.map((entry) => `  ${JSON.stringify(entry)},`).join('\n')}\n]`;
  const section = /^\[dependencies\][ \t]*(#.*)?$/m.exec(text);
  if (!section) return `${text.replace(/\s*$/, '\n')}\n[dependencies]\n${rendered}\n`;
  const start = section.index + section[0].length;
  const nextSection = /^\[/m.exec(text.slice(start));
  const end = nextSection ? start + nextSection.index : text.length;
  const body = text.slice(start, end);
  const existing = /^packages\s*=\s*\[[\s\S]*?\]/m.exec(body);
  const newBody = existing
    ? `${body.slice(0, existing.index)}${rendered}${body.slice(existing.index + existing[0].length)}`
    : `\n${rendered}${body.startsWith('\n') ? '' : '\n'}${body}`;
  return `${text.slice(0, start)}${newBody}${text.slice(end)}`;
}

/** The entries of `packages = [...]` as written (strings only: tables are kept by `lllm pkg` as they are). */
function listedEntries(toml: LllmToml): unknown[] {
  const section = toml.raw.dependencies as Record<string, unknown> | undefined;
  const packages = section?.packages;
  return Array.isArray(packages) ? packages : packages === undefined ? [] : [packages];
}

function assertStringEntries(toml: LllmToml, entries: readonly unknown[]): string[] {
  if (entries.every((entry) => typeof entry === 'string')) return entries as string[];
  throw new UsageError(
    `${toml.file}: [dependencies] packages has table entries; edit them by hand (lllm pkg rewrites only string entries).`,
  );
}

/** Apply `change` to lllm.toml and keep it only when the dependency graph still resolves. */
function rewriteChecked(toml: LllmToml, entries: readonly string[]): void {
  const before = readFileSync(toml.file, 'utf8');
  writeFileSync(toml.file, writeDependencyList(before, entries));
  try {
    resolvePackageGraph(readLllmToml(toml.file));
  } catch (error) {
    writeFileSync(toml.file, before);
    throw error;
  }
}

export async function commandPkgInstall(spec: string, options: { as?: string }, io: Io): Promise<number> {
  const toml = projectToml(io);
  const entries = assertStringEntries(toml, listedEntries(toml));
  let entry: string;
  const local = spec.startsWith('.') || isAbsolute(spec) || existsSync(resolve(io.cwd, spec));
  if (local) {
    const path = resolve(io.cwd, spec);
    if (!existsSync(path))
      throw new UsageError(`${path} does not exist: give a project folder, a .tgz made by lllm pkg export, or an npm package name.`);
    if (statSync(path).isDirectory() && !existsSync(join(path, LLLM_TOML)))
      throw new UsageError(`${path} has no ${LLLM_TOML}: it is not an LLLM project.`);
    if (statSync(path).isFile() && !isTarball(path)) throw new UsageError(`${path} is a file but not a .tgz / .tar.gz package.`);
    const fromRoot = relative(toml.root, path).split(sep).join('/');
    entry = fromRoot.startsWith('.') ? fromRoot : `./${fromRoot}`;
  } else {
    const parsed = parseDependency(spec);
    if (typeof parsed === 'string' || parsed.source.kind !== 'npm')
      throw new UsageError(`Cannot install ${JSON.stringify(spec)}: ${typeof parsed === 'string' ? parsed : 'not an npm name'}.`);
    entry = spec;
  }
  if (options.as) entry = `${entry} as ${options.as}`;
  if (entries.includes(entry)) {
    line(io, `${shown(entry)} is already a dependency.`);
    return 0;
  }
  if (local) rewriteChecked(toml, [...entries, entry]);
  else {
    assertNoNpmConflict(toml, entries, spec);
    // npm fetches it into the project's node_modules; a graph that then fails to resolve puts npm's files back.
    await installFromNpm(toml, spec, io, () => rewriteChecked(toml, [...entries, entry]));
  }
  line(io, `Added ${shown(entry)} to [dependencies] in ${toml.file}.`);
  return 0;
}

export async function commandPkgRemove(name: string, io: Io): Promise<number> {
  const toml = projectToml(io);
  const entries = assertStringEntries(toml, listedEntries(toml));
  const graph = resolvePackageGraph(toml);
  const target = graph.aliases.get(name) ?? name;
  const keep = entries.filter((entry) => {
    const parsed = parseDependency(entry);
    if (typeof parsed === 'string') return true;
    if (parsed.alias === name) return false;
    const pkg = [...graph.packages.values()].find(
      (candidate) => candidate.requiredBy.includes(graph.project.name) && sameSource(candidate.source, parsed.source, toml),
    );
    return pkg?.name !== target;
  });
  if (keep.length === entries.length) {
    throw new UsageError(`No dependency named "${name}" in ${toml.file}; lllm pkg list shows them.`);
  }
  rewriteChecked(toml, keep);
  line(io, `Removed "${shown(name)}" from [dependencies] in ${toml.file}.`);
  // An npm package leaves node_modules and package.json too (unless another entry still lists it).
  const stillListed = new Set(keep.map(npmNameOf));
  for (const removed of entries.filter((entry) => !keep.includes(entry))) {
    const npmName = npmNameOf(removed);
    if (npmName && !stillListed.has(npmName)) uninstallFromNpm(toml, npmName, io);
  }
  return 0;
}

function sameSource(
  a: { kind: string; path?: string; name?: string },
  b: { kind: string; path?: string; name?: string },
  toml: LllmToml,
): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'npm') return a.name === b.name;
  return resolve(toml.root, a.path ?? '') === resolve(toml.root, b.path ?? '');
}

/** One package in `lllm pkg list --json`. */
export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly source: string;
  readonly aliases: readonly string[];
  readonly requiredBy: readonly string[];
  readonly root: string;
}

export async function commandPkgList(options: { json?: boolean }, io: Io): Promise<number> {
  const toml = projectToml(io);
  const graph = resolvePackageGraph(toml);
  readDependencies(toml);
  const packages: PackageJson[] = [...graph.packages.values()]
    .filter((pkg) => pkg !== graph.project)
    .map((pkg) => ({
      name: pkg.name,
      version: pkg.version,
      source:
        pkg.source.kind === 'npm'
          ? `npm:${pkg.source.name}`
          : pkg.source.kind === 'project'
            ? 'project'
            : `${pkg.source.kind}:${pkg.source.path}`,
      aliases: pkg.aliases,
      requiredBy: pkg.requiredBy,
      root: pkg.root,
    }));
  if (options.json) {
    printJson(io, { project: { name: graph.project.name, version: graph.project.version }, packages });
    return 0;
  }
  line(io, `${shown(graph.project.name)} ${shown(graph.project.version)}`);
  if (packages.length === 0) line(io, '  no dependencies (lllm pkg install <folder | .tgz | npm name>)');
  for (const pkg of packages) {
    line(
      io,
      `  ${shown(pkg.name)} ${shown(pkg.version)}  ${shown(pkg.source)}${pkg.aliases.length ? `  as ${pkg.aliases.map(shown).join(', ')}` : ''}  ← ${pkg.requiredBy.map(shown).join(', ')}`,
    );
  }
  return 0;
}

/** The files of a project's resources: lllm.toml, every section's folders inside it, config/, skills. */
export function exportedFiles(toml: LllmToml): string[] {
  const folders = new Set<string>();
  for (const section of Object.values(toml.sections)) for (const folder of section.folders) folders.add(folder);
  for (const folder of skillRoots(toml)) folders.add(folder);
  const config = join(toml.root, 'config');
  if (existsSync(config)) folders.add(config);
  const files = new Set<string>([LLLM_TOML]);
  // Folder and tarball dependencies inside the project travel with it (npm ones stay references).
  for (const entry of readDependencies(toml)) {
    if (entry.source.kind === 'npm') continue;
    const path = resolve(toml.root, entry.source.path);
    const inside = relative(toml.root, path);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new ConfigError(
        `${toml.file}: dependency ${entry.spec} is outside the project, so a tarball of it would not resolve; export that package and depend on its tarball, or move it inside.`,
        { file: toml.file },
      );
    }
    if (entry.source.kind === 'tarball') files.add(inside.split(sep).join('/'));
    else folders.add(path);
  }
  for (const folder of folders) {
    const inside = relative(toml.root, folder);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new ConfigError(
        `${toml.file}: folder ${folder} is outside the project; a package tarball holds only the project's own folders.`,
        {
          file: toml.file,
        },
      );
    }
    if (!existsSync(folder)) continue;
    for (const file of listFiles(folder)) files.add(`${inside.split(sep).join('/')}/${file}`);
  }
  for (const extra of ['README.md', 'package.json']) if (existsSync(join(toml.root, extra))) files.add(extra);
  return [...files].sort();
}

export async function commandPkgExport(options: { out?: string; json?: boolean }, io: Io): Promise<number> {
  const toml = projectToml(io);
  const { name, version } = packageIdentity(toml);
  const files = exportedFiles(toml);
  const out = resolve(io.cwd, options.out ?? `${name.replace(/^@/, '').replace(/\//g, '-')}-${version}.tgz`);
  const data = packTarball(toml.root, files);
  writeFileSync(out, data);
  // Read it back: an archive that does not unpack to the same files is never left behind.
  const check = mkdtempSync(join(tmpdir(), 'lllm-pkg-check-'));
  try {
    const unpacked = unpackTarball(out, check).sort();
    if (unpacked.join('\n') !== files.join('\n')) throw new Error(`${out} does not unpack to the files packed; this is a bug.`);
  } finally {
    rmSync(check, { recursive: true, force: true });
  }
  if (options.json) printJson(io, { file: out, name, version, files, bytes: data.length });
  else
    line(
      io,
      `Wrote ${out} (${name} ${version}: ${files.length} files, ${data.length} bytes). Install it elsewhere with: lllm pkg install ${basename(out)}`,
    );
  return 0;
}
