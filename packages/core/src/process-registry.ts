// Registries (model cards, log backends, secrets, agent types, prompts, …) are process-wide: they
// live on globalThis under a Symbol.for key, so two installed copies of @lllm/core (an upgrade of
// one package next to others pinned to an older version) share one set instead of silently
// splitting it — a split made every cost unknown and let registered secrets reach the log.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LllmError } from './errors.js';

const ROOT_KEY = Symbol.for('lllm.process-registries');

/**
 * The layout of what is stored under the root key. Bump it when a registry's stored shape changes
 * incompatibly; copies of core with different formats refuse to share.
 */
const REGISTRY_FORMAT = 1;

/** Who created the process-wide registries, for the error when an incompatible copy arrives. */
interface RegistryOwner {
  readonly version: string;
  readonly location: string;
}

interface RegistryRoot {
  readonly format: number;
  readonly owner: RegistryOwner;
  readonly registries: Map<string, unknown>;
  /** Every copy of core that joined, by location. */
  readonly copies: Map<string, string>;
}

/** Thrown when a second copy of `@lllm/core` in the process cannot share the registries. */
export class IncompatibleCoreError extends LllmError {
  constructor(message: string) {
    super(message);
    this.name = 'IncompatibleCoreError';
  }

  static override isInstance = (value: unknown): value is IncompatibleCoreError =>
    LllmError.isInstance(value) && value.name === 'IncompatibleCoreError';
}

let self: RegistryOwner | undefined;
/** The registries this copy has already looked up, by name (hot paths ask on every request). */
const joined = new Map<string, unknown>();

function thisCopy(): RegistryOwner {
  if (!self) {
    const location = dirname(fileURLToPath(import.meta.url));
    let version = '0.0.0';
    try {
      version = (createRequire(import.meta.url)('../package.json') as { version?: string }).version ?? version;
    } catch {
      // A bundler that inlined core has no package.json beside it: the format check still guards.
    }
    self = { version, location };
  }
  return self;
}

/** Same major, and for 0.x the same minor: the versions semver calls compatible. */
export function compatibleVersions(left: string, right: string): boolean {
  const [leftMajor, leftMinor] = left.split('.');
  const [rightMajor, rightMinor] = right.split('.');
  if (leftMajor !== rightMajor) return false;
  return leftMajor !== '0' || leftMinor === rightMinor;
}

function root(): RegistryRoot {
  const host = globalThis as { [ROOT_KEY]?: RegistryRoot };
  const me = thisCopy();
  let found = host[ROOT_KEY];
  if (!found) {
    found = { format: REGISTRY_FORMAT, owner: me, registries: new Map(), copies: new Map([[me.location, me.version]]) };
    Object.defineProperty(host, ROOT_KEY, { value: found, enumerable: false, configurable: false, writable: false });
    return found;
  }
  if (!found.copies.has(me.location)) {
    if (found.format !== REGISTRY_FORMAT || !compatibleVersions(found.owner.version, me.version)) {
      throw new IncompatibleCoreError(
        `Two incompatible copies of @lllm/core are loaded in this process: ${found.owner.version} at ${found.owner.location} ` +
          `and ${me.version} at ${me.location}. Install one version of @lllm/core for every @lllm/* package ` +
          '(align their versions, then `pnpm dedupe` or `npm dedupe`).',
      );
    }
    found.copies.set(me.location, me.version);
  }
  return found;
}

/**
 * The process-wide registry called `name`, made by `create` the first time any copy of core asks
 * for it. Packages keep their registries here (e.g. `processRegistry('prompts', () => new Map())`),
 * never in module-level variables, so every installed copy sees the same entries.
 */
export function processRegistry<T>(name: string, create: () => T): T {
  // The shared root can never be replaced (a non-writable, non-configurable global) and registries are
  // never removed from it: once this copy has joined, a name resolves to the same object for good.
  const known = joined.get(name);
  if (known !== undefined) return known as T;
  const registries = root().registries;
  if (!registries.has(name)) registries.set(name, create());
  const registry = registries.get(name);
  joined.set(name, registry);
  return registry as T;
}

/** The copies of `@lllm/core` sharing the registries in this process: location → version. */
export function loadedCoreCopies(): ReadonlyMap<string, string> {
  return new Map(root().copies);
}
