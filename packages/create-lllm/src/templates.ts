import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateLllmError } from './errors.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where the templates are: shipped in this package (`templates/`, copied there by its build), or the
 * repository's `templates/` when running from the sources.
 */
export function templatesDirectory(): string {
  for (const candidate of [join(here, '..', 'templates'), join(here, '..', '..', '..', 'templates')]) {
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new CreateLllmError('template', `The LLLM templates are missing from create-lllm in ${join(here, '..')}; reinstall create-lllm.`);
}

/** Template names, sorted. */
export function listTemplates(): string[] {
  return readdirSync(templatesDirectory(), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** A one-line description of a template, from its package.json (for `--help` and the prompt). */
export function describeTemplate(template: string): string {
  try {
    const manifest = JSON.parse(readFileSync(join(templatesDirectory(), template, 'package.json'), 'utf8')) as { description?: string };
    const description = manifest.description ?? '';
    // "{{project_name}}: an LLLM project (example template: two agents, …)." → "two agents, …"
    const inner = /\(([^)]+)\)/.exec(description)?.[1] ?? description.replace(/^\{\{project_name\}\}:\s*/, '');
    return inner.replace(/^\w+ template: /, '');
  } catch {
    return '';
  }
}

/** The version of this package: the `@lllm/*` versions a new project asks for (one release group). */
export function scaffolderVersion(): string {
  return (JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string }).version;
}
