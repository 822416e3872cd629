/**
 * `package:name` references to the named resources of a dependency — agent types
 * (`agent_type: kit:review_desk`), tactics and proxies (`activate_proxies: [kit:fred]`, an agent's
 * `proxy.activate_proxies`) — as prompts have `package:path`. Registries keep one name per resource
 * (a proxy's path is what `CALL_API` sends); the reference says which package must define it, loads
 * that package first (lazily: its modules are imported only then), and fails naming the package and
 * the fix when it does not.
 */
import { ConfigError, NotFoundError } from '../errors.js';
import { closestMatches } from '../strings.js';
import {
  findPackage,
  isRegisteredResource,
  loadReferencedPackages,
  packageGraph,
  packageResourceKinds,
  packageResources,
  referencedPackage,
} from './packages.js';
import type { SystemConfig } from './system-config.js';

const KIND_NAMES: Readonly<Record<string, string>> = { agent_type: 'agent type', proxy: 'proxy', tactic: 'tactic' };

/** Where a kind's resources come from in a package, for the fix in messages. */
const KIND_SECTIONS: Readonly<Record<string, string>> = {
  agent_type: '[agents] (defineAgent or defineTactic)',
  proxy: '[proxies] (defineProxy)',
  tactic: '[agents] or [tactics] (defineTactic)',
};

/**
 * The registered name `reference` stands for: a plain name as it is; `package:name` (a package name or
 * alias from `[dependencies]`) is `name`, after checking that package defines a `kind` called so. The
 * package must be loaded first (`loadPackageReferences`, which `buildAgent`, `buildTactic` and the
 * CLI call); `where` (e.g. `agent_type`) goes into messages.
 */
export function packageResourceName(reference: string, kind: string, where = kind): string {
  const packageName = referencedPackage(reference);
  if (packageName === undefined || !packageGraph() || isRegisteredResource(kind, reference)) return reference;
  const name = reference.slice(packageName.length + 1);
  const what = KIND_NAMES[kind] ?? kind;
  if (!packageResourceKinds().includes(kind)) {
    throw new ConfigError(
      `${where}: "${reference}" names a ${what} of package "${packageName}", but nothing lists the registered ones of kind "${kind}": register the kind with registerPackageResourceKind("${kind}", list) (@lllm/proxy's registerProxyDiscovery() does for proxies).`,
    );
  }
  const pkg = findPackage(packageName);
  if (pkg.source.kind === 'project') return name;
  const defined = packageResources(pkg.name, kind);
  if (defined === undefined) {
    throw new ConfigError(
      `${where}: "${reference}" names package "${pkg.name}", whose modules are not loaded yet. Load them first: await loadPackageReferences(["${reference}"]) (buildAgent, buildTactic and lllm run do).`,
    );
  }
  if (defined.includes(name)) return name;
  const suggestions = closestMatches(name, defined);
  throw new NotFoundError(
    `${where}: package "${pkg.name}" ${pkg.version} (${pkg.root}) defines no ${what} "${name}". ${
      defined.length ? `It defines: ${defined.map((entry) => `"${packageName}:${entry}"`).join(', ')}.` : `It defines none of that kind.`
    }${suggestions.length ? ` Did you mean "${packageName}:${suggestions[0]}"?` : ''} Fix the reference, or add the ${what} to that package's ${KIND_SECTIONS[kind] ?? 'modules'}.`,
    { what, key: reference, suggestions: suggestions.map((entry) => `${packageName}:${entry}`) },
  );
}

/** Import the packages `references` name (`kit:fred` → `kit`), once each; plain names are skipped. */
export async function loadPackageReferences(references: readonly (string | undefined)[]): Promise<void> {
  await loadReferencedPackages(references);
}

/**
 * Every `package:` reference of a system config: its `agent_type`, its agents' `system_prompt_path`,
 * `activate_proxies` and each agent's `proxy.activate_proxies`.
 */
export function systemConfigReferences(config: SystemConfig): string[] {
  const references: string[] = [];
  const add = (reference: string, kind?: string) => {
    if (referencedPackage(reference) !== undefined && !(kind && isRegisteredResource(kind, reference))) references.push(reference);
  };
  add(config.agent_type, 'agent_type');
  for (const proxy of config.activate_proxies) add(proxy, 'proxy');
  for (const agent of Object.values(config.agent_configs)) {
    if (agent.system_prompt_path) add(agent.system_prompt_path);
    for (const proxy of agent.proxy?.activate_proxies ?? []) add(proxy, 'proxy');
  }
  return references;
}

/** Load the dependency packages a system config refers to (see `systemConfigReferences`), then check its references resolve. */
export async function loadSystemPackages(config: SystemConfig): Promise<void> {
  if (!packageGraph()) return;
  const references = systemConfigReferences(config);
  await loadPackageReferences(references);
  packageResourceName(config.agent_type, 'agent_type', `${config.file}: agent_type`);
  for (const proxy of config.activate_proxies) packageResourceName(proxy, 'proxy', `${config.file}: activate_proxies`);
  for (const [name, agent] of Object.entries(config.agent_configs)) {
    for (const proxy of agent.proxy?.activate_proxies ?? [])
      packageResourceName(proxy, 'proxy', `${config.file}: agent_configs.${name}.proxy.activate_proxies`);
  }
}
