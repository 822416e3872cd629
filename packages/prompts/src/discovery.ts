import { type DiscoveredModuleInfo, processRegistry, registerDiscoverySection } from '@lllm/core';
import { Prompt } from './prompt.js';
import { registerPrompt } from './registry.js';

/**
 * The path a discovered prompt is registered under: a path without `/` is namespaced by the
 * module's folder-relative path (`a/x.ts` exporting path `task` → `a/x/task`), so prompts named alike
 * in different files never collide; a path with `/` is kept as written.
 */
export function discoveredPromptPath(path: string, info: Pick<DiscoveredModuleInfo, 'modulePath' | 'namespace'>): string {
  const local = path.includes('/') ? path : `${info.modulePath}/${path}`;
  // A dependency package's prompts are `<package>:<path>` (and `<alias>:<path>`).
  return info.namespace ? `${info.namespace}:${local}` : local;
}

// The same exported prompt discovered again (a second discover() in one process) must give the
// same namespaced object, or the registry would see "a different prompt" at its own path.
const derived = new WeakMap<object, Map<string, unknown>>();

function namespaced<T>(prompt: Prompt<T>, path: string): Prompt<T> {
  let byPath = derived.get(prompt);
  if (!byPath) {
    byPath = new Map();
    derived.set(prompt, byPath);
  }
  let copy = byPath.get(path) as Prompt<T> | undefined;
  if (!copy) {
    copy = prompt.withPath(path);
    byPath.set(path, copy);
  }
  return copy;
}

const sources = () => processRegistry('prompt-sources', () => new Map<string, string>());

/** The file discovery registered the prompt at `path` from, if it came from discovery. */
export function promptSource(path: string): string | undefined {
  return sources().get(path);
}

/** Handle one discovered module: register every `Prompt` it exports. Returns the registered paths. */
export function registerPromptsFromModule(
  exports: Readonly<Record<string, unknown>>,
  info: Pick<DiscoveredModuleInfo, 'modulePath' | 'file' | 'namespace'>,
): string[] {
  const registered: string[] = [];
  const seen = new Set<unknown>();
  for (const value of Object.values(exports)) {
    if (!Prompt.isInstance(value) || seen.has(value)) continue;
    seen.add(value);
    const path = discoveredPromptPath(value.path, info);
    registerPrompt(path === value.path ? value : namespaced(value, path));
    sources().set(path, info.file);
    registered.push(path);
  }
  return registered;
}

/** Register the `[prompts]` section of `lllm.toml` with core's discovery. Call it before `discover()`. */
export function registerPromptDiscovery(): void {
  registerDiscoverySection('prompts', (exports, info) => {
    registerPromptsFromModule(exports, info);
  });
}
