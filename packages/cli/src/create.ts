import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, InvalidArgumentError } from '@lllm/core';

const here = dirname(fileURLToPath(import.meta.url));
const SKIPPED = new Set(['node_modules', 'logs', 'dist', '.turbo', 'ckpt']);
const TEXT = /\.(ts|mts|js|mjs|cjs|json|ya?ml|toml|md|txt|html|css|gitignore|env|example)$/i;

/** Where the templates are: shipped in the package (`templates/`), or the repository's when run from source. */
export function templatesDirectory(): string {
  for (const candidate of [join(here, '..', 'templates'), join(here, '..', '..', '..', 'templates')]) {
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new ConfigError('The LLLM templates are missing from this installation of @lllm/cli; reinstall it.');
}

/** Template names. */
export function listTemplates(): string[] {
  return readdirSync(templatesDirectory(), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function workspaceRoot(from: string): string | undefined {
  let folder = resolve(from);
  for (;;) {
    const manifest = join(folder, 'packages', 'core', 'package.json');
    if (
      existsSync(join(folder, 'pnpm-workspace.yaml')) &&
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === '@lllm/core'
    ) {
      return folder;
    }
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

function publishedVersion(name: string): string {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${name}/package.json`);
    return `^${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version}`;
  } catch {
    return 'latest';
  }
}

/** What `createProject` made. */
export interface CreatedProject {
  readonly directory: string;
  /** The directory relative to the parent, for messages. */
  readonly relative: string;
  readonly template: string;
  readonly files: number;
}

/**
 * Copy a template into `<parent>/<name>`: `__project_name__` in paths and `{{project_name}}`,
 * `{{PROJECT_NAME}}` in text files are replaced, binaries copied as they are. An existing target,
 * a name or template that would escape its folder, or an unknown template is refused. `@lllm/*`
 * dependencies become real versions, or `workspace:*` when the project is inside this repository.
 */
export function createProject(options: { name: string; template?: string; parent: string }): CreatedProject {
  const { name } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,213}$/.test(name) || name.includes('..')) {
    throw new InvalidArgumentError(
      `Project name ${JSON.stringify(name)} is not allowed: use letters, digits, ".", "_" and "-", with no path separators.`,
      {
        argument: 'name',
      },
    );
  }
  const template = options.template ?? 'init_template';
  const templates = listTemplates();
  if (!/^[A-Za-z0-9_-]+$/.test(template) || !templates.includes(template)) {
    throw new InvalidArgumentError(`Unknown template ${JSON.stringify(template)}. Templates: ${templates.join(', ')}.`, {
      argument: 'template',
    });
  }
  const parent = resolve(options.parent);
  const target = resolve(parent, name);
  if (!target.startsWith(parent + sep)) {
    throw new InvalidArgumentError(`Project name ${JSON.stringify(name)} would create a folder outside ${parent}.`, { argument: 'name' });
  }
  if (existsSync(target)) throw new ConfigError(`${target} already exists: choose another name or remove it first.`);
  const source = join(templatesDirectory(), template);
  const upper = name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  const substitute = (text: string) =>
    text.replaceAll('{{project_name}}', name).replaceAll('{{PROJECT_NAME}}', upper).replaceAll('__project_name__', name);
  let files = 0;
  const copy = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const sourcePath = join(from, entry.name);
      const targetPath = join(to, substitute(entry.name));
      if (entry.isDirectory()) copy(sourcePath, targetPath);
      else if (entry.isFile()) {
        const bytes = readFileSync(sourcePath);
        const binary = !TEXT.test(entry.name) || bytes.subarray(0, 8192).includes(0);
        if (binary) copyFileSync(sourcePath, targetPath);
        else writeFileSync(targetPath, substitute(bytes.toString('utf8')));
        files += 1;
      }
    }
  };
  copy(source, target);
  const manifestPath = join(target, 'package.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.name = name;
    const inWorkspace = workspaceRoot(target) !== undefined;
    for (const field of ['dependencies', 'devDependencies']) {
      const deps = manifest[field] as Record<string, string> | undefined;
      for (const dep of Object.keys(deps ?? {})) {
        if (deps && dep.startsWith('@lllm/') && deps[dep]?.startsWith('workspace:') && !inWorkspace) deps[dep] = publishedVersion(dep);
      }
    }
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    if (!inWorkspace) dropSourceCondition(target);
  }
  return { directory: target, relative: relative(parent, target) || '.', template, files };
}

/**
 * Inside this repository the templates resolve `@lllm/*` to their TypeScript sources (the
 * `lllm-source` export condition); a published package ships only `dist`, so a project made
 * elsewhere must resolve the ordinary way.
 */
function dropSourceCondition(target: string): void {
  const tsconfigPath = join(target, 'tsconfig.json');
  if (existsSync(tsconfigPath)) {
    const tsconfig = JSON.parse(readFileSync(tsconfigPath, 'utf8')) as { compilerOptions?: { customConditions?: string[] } };
    const options = tsconfig.compilerOptions;
    if (options?.customConditions) {
      options.customConditions = options.customConditions.filter((condition) => condition !== 'lllm-source');
      if (options.customConditions.length === 0) delete options.customConditions;
      writeFileSync(tsconfigPath, `${JSON.stringify(tsconfig, null, 2)}\n`);
    }
  }
  const vitestPath = join(target, 'vitest.config.ts');
  if (existsSync(vitestPath)) {
    const text = readFileSync(vitestPath, 'utf8')
      .replace(/^\s*(resolve|ssr): \{.*'lllm-source'.*\},?\n/gm, '')
      .replaceAll("'lllm-source', ", '');
    writeFileSync(vitestPath, text);
  }
}
