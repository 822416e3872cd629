import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { CreateLllmError } from './errors.js';
import { entryAt, makeFolders } from './folders.js';
import { projectFolderName, validateProjectName } from './project-name.js';
import { listTemplates, scaffolderVersion, templatesDirectory } from './templates.js';

const SKIPPED = new Set(['node_modules', 'logs', 'dist', '.turbo', 'ckpt', '.env']);
const TEXT = /\.(ts|mts|js|mjs|cjs|json|ya?ml|toml|md|txt|html|css|gitignore|env|example)$/i;

/** What a new project must never commit: dependencies, logs with full transcripts, secrets, builds. */
export const GITIGNORE = `node_modules/
dist/
# lllm's logs hold full transcripts (logs/lllm.sqlite): keep them out of git.
logs/
ckpt/
.env
.env.*
!.env.example
*.log
`;

/** What to scaffold. */
export interface CreateProjectOptions {
  /** The package name (validated as npm does); also the folder name, without its scope. */
  readonly name: string;
  /** A template from `listTemplates()`; default `init_template`. */
  readonly template?: string;
  /** The folder the project folder is created in. */
  readonly parent: string;
  /**
   * The range `@lllm/*` dependencies get; default `^<version of create-lllm>` (one release group).
   * Inside the LLLM repository itself they stay `workspace:^`.
   */
  readonly lllmRange?: string;
}

/** What `createProject` made. */
export interface CreatedProject {
  /** The absolute path of the new project. */
  readonly directory: string;
  /** The package name. */
  readonly name: string;
  /** The template it was copied from. */
  readonly template: string;
  /** How many files were written, `.gitignore` included. */
  readonly files: number;
}

function workspaceRoot(from: string): string | undefined {
  let folder = resolve(from);
  for (let depth = 0; depth < 100; depth += 1) {
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
  return undefined;
}

/**
 * Copy a template into `<parent>/<folder of name>`: `__project_name__` in paths and
 * `{{project_name}}`, `{{PROJECT_NAME}}` in text files are replaced, binaries copied as they are,
 * and a `.gitignore` is written. A name npm would refuse, an unknown template or an existing folder
 * is refused with a `CreateLllmError` before anything is written.
 */
export function createProject(options: CreateProjectOptions): CreatedProject {
  const { name } = options;
  validateProjectName(name);
  const template = options.template ?? 'init_template';
  const templates = listTemplates();
  if (!templates.includes(template)) {
    throw new CreateLllmError(
      'template',
      `Unknown template ${JSON.stringify(template)}: choose one of ${templates.join(', ')} (--template ${templates[0]}).`,
    );
  }
  const parent = resolve(options.parent);
  const folder = projectFolderName(name);
  const target = resolve(parent, folder);
  if (!target.startsWith(parent + sep)) {
    throw new CreateLllmError('name', `Project name ${JSON.stringify(name)} would create a folder outside ${parent}.`);
  }
  const present = entryAt(target);
  if (present) {
    const what = present.isSymbolicLink()
      ? existsSync(target)
        ? 'a link'
        : 'a link to a missing target'
      : present.isDirectory()
        ? 'a folder'
        : 'a file';
    throw new CreateLllmError('exists', `${target} already exists (${what}): choose another name or remove it first.`);
  }
  const source = join(templatesDirectory(), template);
  const upper = folder.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  const substitute = (text: string) =>
    text.replaceAll('{{project_name}}', name).replaceAll('{{PROJECT_NAME}}', upper).replaceAll('__project_name__', folder);
  let files = 0;
  const copy = (from: string, to: string, depth: number) => {
    if (depth > 20) throw new CreateLllmError('template', `Template ${template} nests folders deeper than 20 levels at ${from}.`);
    if (depth === 0) makeFolders(to);
    else mkdirSync(to);
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const sourcePath = join(from, entry.name);
      const targetPath = join(to, substitute(entry.name));
      if (entry.isDirectory()) copy(sourcePath, targetPath, depth + 1);
      else if (entry.isFile()) {
        const bytes = readFileSync(sourcePath);
        const binary = !TEXT.test(entry.name) || bytes.subarray(0, 8192).includes(0);
        if (binary) copyFileSync(sourcePath, targetPath);
        else writeFileSync(targetPath, substitute(bytes.toString('utf8')));
        files += 1;
      }
    }
  };
  copy(source, target, 0);
  // npm drops .gitignore from published tarballs, so it is written here rather than shipped.
  writeFileSync(join(target, '.gitignore'), GITIGNORE);
  files += 1;
  const inWorkspace = workspaceRoot(target) !== undefined;
  const range = inWorkspace ? 'workspace:^' : (options.lllmRange ?? `^${scaffolderVersion()}`);
  const manifestPath = join(target, 'package.json');
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.name = name;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      const dependencies = manifest[field] as Record<string, string> | undefined;
      for (const dependency of Object.keys(dependencies ?? {})) {
        if (dependencies && dependency.startsWith('@lllm/')) dependencies[dependency] = range;
      }
    }
    // pnpm 10 runs no install scripts unless allowed: the SQLite log store needs better-sqlite3 built.
    if (!inWorkspace) manifest.pnpm = { onlyBuiltDependencies: ['better-sqlite3', 'esbuild'] };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  if (!inWorkspace) dropSourceCondition(target);
  return { directory: target, name, template, files };
}

/**
 * Inside the LLLM repository the templates resolve `@lllm/*` to their TypeScript sources (the
 * `lllm-source` export condition); the published packages ship only `dist`, so a project made
 * elsewhere resolves them the ordinary way.
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
      .replace(/^[ \t]*\/\/.*lllm-source.*\n/gm, '')
      .replace(/^[ \t]*(resolve|ssr): \{.*'lllm-source'.*\},?\n/gm, '');
    writeFileSync(vitestPath, text);
  }
}
