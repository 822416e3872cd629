import { ConfigError } from './errors.js';
import { processRegistry } from './process-registry.js';

/** Where a discovered module came from. */
export interface DiscoveredModuleInfo {
  /** The `lllm.toml` section (`prompts`, `proxies`, …). */
  readonly section: string;
  /** Absolute path of the module file. */
  readonly file: string;
  /** The configured folder it was found under (absolute). */
  readonly folder: string;
  /** Its path relative to that folder, without extension, with `/` separators (`a/x`). */
  readonly modulePath: string;
  /**
   * Set for a module of a dependency package: the package name (or alias) its resources are
   * registered under, as `<namespace>:<path>`.
   */
  readonly namespace?: string;
}

/** Receives the exports of every module discovery imports for a section. */
export type DiscoverySectionHandler = (exports: Readonly<Record<string, unknown>>, info: DiscoveredModuleInfo) => void | Promise<void>;

const sections = () => processRegistry('discovery-sections', () => new Map<string, DiscoverySectionHandler>());

/**
 * Make `[name] folders = [...]` in `lllm.toml` meaningful: discovery imports every module in those
 * folders and hands its exports to `handler`. `@lllm/prompts` registers `prompts`, `@lllm/proxy`
 * registers `proxies`; third parties add their own.
 */
export function registerDiscoverySection(name: string, handler: DiscoverySectionHandler): void {
  if (!/^[a-z][a-z0-9_-]*$/i.test(name)) {
    throw new ConfigError(`Discovery section name "${name}" is not valid: use letters, digits, "-" and "_", starting with a letter.`);
  }
  sections().set(name, handler);
}

/** The handler of a section, if one is registered. */
export function getDiscoverySection(name: string): DiscoverySectionHandler | undefined {
  return sections().get(name);
}

/** Registered section names. */
export function listDiscoverySections(): string[] {
  return [...sections().keys()];
}
