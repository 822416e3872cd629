import {
  ConfigError,
  type DiscoveredModuleInfo,
  NotFoundError,
  packageResourceName,
  processRegistry,
  registerDiscoverySection,
  registerPackageResourceKind,
} from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';
import { ProxyDefinition } from './define.js';

const proxies = () => processRegistry('proxies', () => new Map<string, { definition: ProxyDefinition; source: string | undefined }>());

/**
 * Register a proxy under its `path`. Registering the same definition again is harmless; a different
 * definition at a taken path is a `ConfigError` naming both sources (pass `{ replace: true }` to swap it).
 */
export function registerProxy(definition: ProxyDefinition, options: { source?: string; replace?: boolean } = {}): ProxyDefinition {
  if (!ProxyDefinition.isInstance(definition)) {
    throw new ConfigError(`registerProxy() takes a proxy made with defineProxy(), got ${typeof definition}.`);
  }
  const existing = proxies().get(definition.path);
  if (existing && existing.definition !== definition && !options.replace) {
    throw new ConfigError(
      `Proxy "${definition.path}" is defined twice${existing.source ? ` (first in ${existing.source}` : ' ('}${options.source ? `, again in ${options.source})` : ')'}: rename one of them or pass { replace: true }.`,
    );
  }
  proxies().set(definition.path, { definition, source: options.source ?? existing?.source });
  return definition;
}

/**
 * The proxy registered at `path`; a `NotFoundError` with the closest names otherwise. `package:path`
 * (`kit:fred`) is the proxy a loaded dependency package defines; an error names the package and the fix.
 */
export function getProxy(path: string): ProxyDefinition {
  const found = proxies().get(path) ?? proxies().get(packageResourceName(path, 'proxy', 'proxy'));
  if (found) return found.definition;
  const suggestions = closestMatches(path, proxies().keys());
  throw new NotFoundError(
    `No proxy is registered as "${path}".${suggestions.length ? ` Did you mean ${suggestions.map((name) => `"${name}"`).join(' or ')}?` : ''} Registered: ${[...proxies().keys()].join(', ') || 'none'} (add a [proxies] folder to lllm.toml or call registerProxy()).`,
    { what: 'proxy', key: path, suggestions },
  );
}

/** The proxy registered at `path` (or `package:path`), or undefined. */
export function findProxy(path: string): ProxyDefinition | undefined {
  const found = proxies().get(path);
  if (found) return found.definition;
  try {
    return proxies().get(packageResourceName(path, 'proxy', 'proxy'))?.definition;
  } catch {
    return undefined;
  }
}

/** The file (or other source) a proxy was registered from, when known. */
export function proxySource(path: string): string | undefined {
  return proxies().get(path)?.source;
}

/** Registered proxy paths, sorted. */
export function listProxies(): string[] {
  return [...proxies().keys()].sort();
}

/** Remove a proxy from the registry (tests, hot reload). */
export function unregisterProxy(path: string): boolean {
  return proxies().delete(path);
}

/** Handle one discovered module: register every `ProxyDefinition` it exports. Returns their paths. */
export function registerProxiesFromModule(exports: Readonly<Record<string, unknown>>, info: Pick<DiscoveredModuleInfo, 'file'>): string[] {
  const registered: string[] = [];
  for (const value of new Set(Object.values(exports))) {
    if (!ProxyDefinition.isInstance(value)) continue;
    registerProxy(value, { source: info.file });
    registered.push(value.path);
  }
  return registered;
}

/**
 * Register the `[proxies]` section of `lllm.toml` with core's discovery, and make `package:path`
 * references to a dependency's proxies (`activate_proxies: [kit:fred]`) resolve. Call it before `discover()`.
 */
export function registerProxyDiscovery(): void {
  registerDiscoverySection('proxies', (exports, info) => {
    registerProxiesFromModule(exports, info);
  });
  registerPackageResourceKind('proxy', listProxies);
}
