/**
 * Skills in the agentskills.io layout: a folder holding `SKILL.md` (YAML front matter with `name` and
 * `description`, then the instructions) and any files the instructions refer to. Discovery reads the
 * folders `[skills]` names in lllm.toml; an agent sees each skill's name and description and loads
 * one with the `activate_skill` tool.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, relative, sep } from 'node:path';
import type * as Yaml from 'yaml';
import { ConfigError, NotFoundError } from '../errors.js';
import { processRegistry } from '../process-registry.js';
import { closestMatches } from '../strings.js';

const requireModule = createRequire(import.meta.url);

/** One skill. */
export interface Skill {
  /** Lowercase letters, digits and hyphens, at most 64 characters: the folder's name. */
  readonly name: string;
  /** What it does and when to use it (at most 1,024 characters): all the agent sees before activating it. */
  readonly description: string;
  /** The instructions: `SKILL.md` after its front matter. */
  readonly instructions: string;
  /** The skill's folder (absolute). */
  readonly folder: string;
  /** Files in the folder besides `SKILL.md`, relative, with `/` separators. */
  readonly resources: readonly string[];
  /** Other front-matter fields (`license`, `compatibility`, `metadata`, `allowed-tools`). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** A skill folder lists at most this many resource files (the rest are still on disk). */
const MAX_RESOURCES = 200;

/** Read and check one skill folder. Every problem is listed in one `ConfigError` naming the file. */
export function readSkill(folder: string): Skill {
  const file = join(folder, 'SKILL.md');
  if (!existsSync(file)) throw new ConfigError(`${folder} is not a skill: it has no SKILL.md.`, { file });
  const text = readFileSync(file, 'utf8');
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) {
    throw new ConfigError(`${file}: a SKILL.md starts with YAML front matter between "---" lines holding name and description.`, { file });
  }
  const { parse } = requireModule('yaml') as typeof Yaml;
  let front: unknown;
  try {
    front = parse(match[1] ?? '', { maxAliasCount: 20 });
  } catch (error) {
    throw new ConfigError(`${file}: invalid front matter: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, {
      file,
      cause: error,
    });
  }
  const fields = (typeof front === 'object' && front !== null && !Array.isArray(front) ? front : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const { name, description, ...metadata } = fields;
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 64)
    problems.push(`name: expected lowercase letters, digits and single hyphens (at most 64), got ${JSON.stringify(name)}`);
  else if (name !== basename(folder)) problems.push(`name: "${name}" must match its folder's name "${basename(folder)}"`);
  if (typeof description !== 'string' || description.trim() === '' || description.length > 1024)
    problems.push(
      `description: expected text of 1 to 1,024 characters saying what the skill does and when to use it, got ${JSON.stringify(description)}`,
    );
  if (problems.length > 0) {
    throw new ConfigError(
      `${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      {
        file,
        problems,
      },
    );
  }
  return {
    name: name as string,
    description: (description as string).trim(),
    instructions: (match[2] ?? '').trim(),
    folder,
    resources: listResources(folder),
    metadata,
  };
}

function listResources(folder: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (found.length >= MAX_RESOURCES || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && path !== join(folder, 'SKILL.md')) found.push(relative(folder, path).split(sep).join('/'));
    }
  };
  walk(folder);
  return found;
}

const registry = () => processRegistry('skills', () => new Map<string, Skill>());

/** Register a skill by name (a second skill of the same name from another folder is an error naming both). */
export function registerSkill(skill: Skill): void {
  const existing = registry().get(skill.name);
  if (existing && existing.folder !== skill.folder) {
    throw new ConfigError(
      `Two skills are named "${skill.name}": ${existing.folder} and ${skill.folder}. Rename one folder (and its name).`,
    );
  }
  registry().set(skill.name, skill);
}

/** Every skill folder (a folder holding SKILL.md) directly under `root`, or `root` itself when it is one. */
export function skillFolders(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  if (existsSync(join(root, 'SKILL.md'))) return [root];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(root, entry.name, 'SKILL.md')))
    .map((entry) => join(root, entry.name))
    .sort();
}

/** Read and register the skills under each folder; returns their names. */
export function loadSkills(folders: readonly string[]): string[] {
  const names: string[] = [];
  for (const folder of folders) {
    for (const skillFolder of skillFolders(folder)) {
      const skill = readSkill(skillFolder);
      registerSkill(skill);
      names.push(skill.name);
    }
  }
  return names;
}

/** Registered skill names, sorted. */
export function listSkills(): string[] {
  return [...registry().keys()].sort();
}

/** The skills an agent config names (`"*"`: all registered); an unknown name lists the known ones. */
export function resolveSkills(names: '*' | readonly string[]): Skill[] {
  if (names === '*') return listSkills().map((name) => registry().get(name) as Skill);
  return names.map((name) => {
    const skill = registry().get(name);
    if (skill) return skill;
    const known = listSkills();
    const suggestions = closestMatches(name, known);
    throw new NotFoundError(
      `Unknown skill "${name}". Registered: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none (add [skills] paths = ["./skills"] to lllm.toml, each skill a folder with SKILL.md)'}.${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''}`,
      { what: 'skill', key: name, suggestions },
    );
  });
}
