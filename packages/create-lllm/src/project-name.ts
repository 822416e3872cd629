import { createRequire } from 'node:module';
import { CreateLllmError } from './errors.js';

/** What validate-npm-package-name (which ships no types) answers. */
interface NameValidation {
  readonly validForNewPackages: boolean;
  readonly errors?: readonly string[];
  readonly warnings?: readonly string[];
}

const validate = createRequire(import.meta.url)('validate-npm-package-name') as (name: string) => NameValidation;

/**
 * Refuse a name npm would refuse for a new package (uppercase, spaces, leading dot or underscore,
 * core module names, more than 214 characters…), quoting the name and npm's reasons. A scoped
 * name (`@team/agents`) is allowed; its folder is the part after the slash.
 */
export function validateProjectName(name: string): void {
  const result = validate(name);
  if (result.validForNewPackages) return;
  const reasons = [...(result.errors ?? []), ...(result.warnings ?? [])];
  const suggestion = suggestName(name);
  throw new CreateLllmError(
    'name',
    `Project name ${JSON.stringify(name)} is not a valid npm package name: ${reasons.join('; ')}.` +
      (suggestion && suggestion !== name ? ` Try ${JSON.stringify(suggestion)}.` : ' Use lowercase letters, digits and "-".'),
  );
}

/** The folder a project name creates: the name, or the part after the scope. */
export function projectFolderName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}

function suggestName(name: string): string | undefined {
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '')
    .slice(0, 214);
  return suggestion && validate(suggestion).validForNewPackages ? suggestion : undefined;
}
