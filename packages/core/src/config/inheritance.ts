/**
 * Config inheritance: a YAML system config may name a `base` (another config, by name, path or
 * `package:name`) and is deep-merged over it; `global` holds defaults for every agent;
 * `agent_configs` is a map or a list of `{ name, … }`; an agent's `model_args` are lifted to its own
 * keys. The result remembers where every value came from.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { type ConfigMap, type ConfigOrigins, deepMerge, isConfigMap, keyPath } from './merge.js';
import { readYamlFile } from './yaml-file.js';

/** Finds the YAML file of a `package:name` reference (the project's dependencies do). */
export type PackageConfigResolver = (packageName: string, configName: string, from: string) => string;

/** Options of `resolveConfigFile`. */
export interface ResolveConfigOptions {
  /** The project root: names resolve to `<root>/config/<name>/default.yaml` (or `<root>/config/<name>.yaml`). */
  readonly root: string;
  /** Resolves `package:name` references; without it they are an error. */
  readonly resolvePackageConfig?: PackageConfigResolver;
}

/** A config with its inheritance resolved. */
export interface ResolvedConfig {
  /** The merged data: no `base`, no `global`, `agent_configs` as a map with `global` applied. */
  readonly data: ConfigMap;
  /** Dotted key path of every leaf → the file (and `global` when it came from there) that set it. */
  readonly origins: ConfigOrigins;
  /** The files merged, from the requested one down to its root base. */
  readonly chain: readonly string[];
}

const PATH_LIKE = /^(\.{1,2}[\\/]|[\\/])|\.ya?ml$/i;
const PACKAGE_REFERENCE = /^([A-Za-z0-9@][\w.@/-]*?):(?!\/\/)(.+)$/;

/** The file a `base` reference names, seen from the config `from`. */
export function resolveConfigReference(reference: string, from: string, options: ResolveConfigOptions): string {
  const packageMatch = PACKAGE_REFERENCE.exec(reference);
  if (packageMatch && !isAbsolute(reference)) {
    const [, packageName = '', configName = ''] = packageMatch;
    if (!options.resolvePackageConfig) {
      throw new ConfigError(
        `${from}: base "${reference}" names package "${packageName}", but no package dependencies are loaded. Declare it under [dependencies] in lllm.toml.`,
        { file: from },
      );
    }
    return options.resolvePackageConfig(packageName, configName, from);
  }
  if (PATH_LIKE.test(reference) || isAbsolute(reference)) return resolve(dirname(from), reference);
  const folderForm = join(options.root, 'config', reference, 'default.yaml');
  const fileForm = join(options.root, 'config', `${reference}.yaml`);
  if (existsSync(folderForm) || !existsSync(fileForm)) return folderForm;
  return fileForm;
}

/** `agent_configs` of one layer as a map: a list of `{ name, … }` is keyed by name. */
function agentConfigsAsMap(value: unknown, file: string): ConfigMap | unknown {
  if (!Array.isArray(value)) return value;
  const map: ConfigMap = {};
  const problems: string[] = [];
  value.forEach((entry, index) => {
    if (!isConfigMap(entry) || typeof entry.name !== 'string' || entry.name.length === 0) {
      problems.push(`agent_configs[${index}]: expected a map with a "name", got ${JSON.stringify(entry)}`);
      return;
    }
    const { name, ...agent } = entry;
    if (Object.hasOwn(map, name)) problems.push(`agent_configs[${index}]: a second agent named "${name}"; give each agent its own name`);
    map[name] = agent;
  });
  if (problems.length > 0) throw new ConfigError(`${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`, { file, problems });
  return map;
}

function label(file: string, root: string): string {
  const relativePath = relative(root, file);
  return relativePath.startsWith('..') || isAbsolute(relativePath) ? file : relativePath;
}

/** Read one layer: a YAML map with its `agent_configs` list turned into a map. */
function readLayer(file: string): ConfigMap {
  const data = readYamlFile(file) ?? {};
  if (!isConfigMap(data)) throw new ConfigError(`${file}: a system config is a YAML map, got ${JSON.stringify(data)}.`, { file });
  if (data.agent_configs === undefined) return data;
  return { ...data, agent_configs: agentConfigsAsMap(data.agent_configs, file) };
}

/**
 * Load a YAML config and resolve its inheritance: `base` chains (by name, path or `package:name`)
 * merged root first (maps merge, lists replace, `null` deletes), then `global` applied under every
 * agent and each agent's `model_args` lifted to its own keys. A cycle is an error naming it.
 */
export function resolveConfigFile(file: string, options: ResolveConfigOptions): ResolvedConfig {
  const chain: string[] = [];
  const layers: ConfigMap[] = [];
  let current = resolve(file);
  // A chain longer than this is a mistake even without a cycle.
  for (let depth = 0; ; depth++) {
    if (chain.includes(current)) {
      const cycle = [...chain.slice(chain.indexOf(current)), current].map((path) => label(path, options.root));
      throw new ConfigError(`Config inheritance has a cycle: ${cycle.join(' → ')}. Remove one of these "base" keys.`, {
        file: chain[0],
        problems: [`base cycle: ${cycle.join(' → ')}`],
      });
    }
    if (depth >= 32) throw new ConfigError(`${chain[0]}: more than 32 levels of "base"; flatten the chain.`, { file: chain[0] });
    const layer = readLayer(current);
    chain.push(current);
    layers.push(layer);
    const base = layer.base;
    if (base === undefined || base === null) break;
    if (typeof base !== 'string' || base.trim() === '') {
      throw new ConfigError(`${current}: base: expected the name or path of another config, got ${JSON.stringify(base)}.`, {
        file: current,
      });
    }
    const next = resolveConfigReference(base.trim(), current, options);
    if (!existsSync(next)) {
      throw new ConfigError(`${current}: base "${base}" resolves to ${next}, which does not exist. Fix the name or path.`, {
        file: current,
        problems: [`base: ${next} does not exist`],
      });
    }
    current = next;
  }

  const origins: ConfigOrigins = {};
  let merged: ConfigMap = {};
  // An agent key set to null deletes a `global` default too (applied after the merge), unless a later layer sets it again.
  const nulled = new Set<string>();
  for (let index = layers.length - 1; index >= 0; index--) {
    const { base: _base, ...layer } = layers[index] as ConfigMap;
    if (isConfigMap(layer.agent_configs)) {
      for (const [name, agent] of Object.entries(layer.agent_configs)) {
        if (!isConfigMap(agent)) continue;
        for (const [key, value] of Object.entries(agent)) {
          const entries = key === 'model_args' && isConfigMap(value) ? Object.entries(value) : [[key, value] as const];
          for (const [leaf, leafValue] of entries) {
            if (leafValue === null) nulled.add(`${name}\u0000${leaf}`);
            else nulled.delete(`${name}\u0000${leaf}`);
          }
        }
      }
    }
    merged = deepMerge(merged, layer, { origins, origin: label(chain[index] as string, options.root) });
  }
  return { data: applyAgentDefaults(merged, origins, nulled), origins, chain };
}

/** `global` under every agent (the agent's own keys win), then `model_args` lifted; origins follow. */
function applyAgentDefaults(merged: ConfigMap, origins: ConfigOrigins, nulled: ReadonlySet<string>): ConfigMap {
  const { global, ...rest } = merged;
  const agents = rest.agent_configs;
  if (global !== undefined && !isConfigMap(global)) {
    throw new ConfigError(`global: expected a map of agent defaults, got ${JSON.stringify(global)}.`, {
      problems: ['global: expected a map'],
    });
  }
  if (!isConfigMap(agents)) {
    for (const key of Object.keys(origins)) if (key.startsWith('global.')) delete origins[key];
    return rest;
  }
  const resolvedAgents: ConfigMap = {};
  for (const [name, agent] of Object.entries(agents)) {
    if (!isConfigMap(agent)) {
      resolvedAgents[name] = agent;
      continue;
    }
    const agentPath = keyPath('agent_configs', name);
    let resolved = agent;
    if (global) {
      const defaults = agentDefaults(global, agent);
      const own: ConfigOrigins = {};
      for (const [key, value] of Object.entries(origins)) if (key.startsWith(`${agentPath}.`)) own[key] = value;
      const fromGlobal: ConfigOrigins = {};
      for (const [key, value] of Object.entries(origins)) {
        if (!key.startsWith('global.')) continue;
        const leaf = key.slice('global.'.length);
        if (Object.keys(defaults).some((name) => leaf === name || leaf.startsWith(`${name}.`))) {
          fromGlobal[`${agentPath}.${leaf}`] = `${value} (global)`;
        }
      }
      resolved = deepMerge(defaults, agent);
      for (const key of Object.keys(fromGlobal)) if (!hasLeaf(own, key)) origins[key] = fromGlobal[key] as string;
    }
    const { model_args: modelArgs, ...withoutArgs } = resolved;
    if (isConfigMap(modelArgs)) {
      // Upstream's nested form: each model argument becomes one of the agent's own keys.
      for (const [key, value] of Object.entries(origins)) {
        if (!key.startsWith(`${agentPath}.model_args.`)) continue;
        delete origins[key];
        origins[`${agentPath}.${key.slice(`${agentPath}.model_args.`.length)}`] = value;
      }
      resolved = { ...withoutArgs, ...modelArgs };
    }
    for (const key of Object.keys(resolved)) {
      if (!nulled.has(`${name}\u0000${key}`)) continue;
      delete resolved[key];
      for (const path of Object.keys(origins))
        if (path === `${agentPath}.${key}` || path.startsWith(`${agentPath}.${key}.`)) delete origins[path];
    }
    resolvedAgents[name] = resolved;
  }
  for (const key of Object.keys(origins)) if (key.startsWith('global.')) delete origins[key];
  return { ...rest, agent_configs: resolvedAgents };
}

/** Whether `origins` has `path` or anything under it, or a leaf above it (which replaced the map). */
/** Keys that name one setting (the Python LLLM renamed it): an agent that sets one takes none of them from `global`. */
const SAME_SETTING: readonly (readonly string[])[] = [['max_interrupt_times', 'max_interrupt_steps']];

/** `global` as defaults for one agent: without the other names of a setting the agent sets itself. */
function agentDefaults(global: ConfigMap, agent: ConfigMap): ConfigMap {
  const dropped = SAME_SETTING.filter((names) => names.some((name) => name in agent)).flat();
  if (dropped.length === 0) return global;
  return Object.fromEntries(Object.entries(global).filter(([key]) => !dropped.includes(key)));
}

function hasLeaf(origins: ConfigOrigins, path: string): boolean {
  for (const key of Object.keys(origins)) if (key === path || key.startsWith(`${path}.`) || path.startsWith(`${key}.`)) return true;
  return false;
}

/** The origin of a key path: its own, or the nearest recorded one above or below it. */
export function originOf(origins: ConfigOrigins, path: string): string | undefined {
  if (origins[path]) return origins[path];
  for (let cut = path.lastIndexOf('.'); cut > 0; cut = path.lastIndexOf('.', cut - 1)) {
    const above = origins[path.slice(0, cut)];
    if (above) return above;
  }
  const below = Object.keys(origins).find((key) => key.startsWith(`${path}.`));
  return below ? origins[below] : undefined;
}
