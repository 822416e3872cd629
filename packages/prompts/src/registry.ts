import type { PromptLike } from '@lllm/core';
import { ConfigError, NotFoundError, processRegistry } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';

const registry = () => processRegistry('prompts', () => new Map<string, PromptLike>());

/** Add a prompt to the registry. A different prompt under the same path is an error unless `override`. */
export function registerPrompt<P extends PromptLike>(prompt: P, options: { override?: boolean } = {}): P {
  const existing = registry().get(prompt.path);
  if (existing && existing !== prompt && !options.override) {
    throw new ConfigError(
      `A different prompt is already registered as "${prompt.path}". Give one of them another path, or pass { override: true } to replace it.`,
    );
  }
  registry().set(prompt.path, prompt);
  return prompt;
}

/** The prompt at `path`; an unknown path is a `NotFoundError` naming the closest registered paths. */
export function getPrompt(path: string): PromptLike {
  const prompt = registry().get(path);
  if (prompt) return prompt;
  const suggestions = closestMatches(path, registry().keys());
  throw new NotFoundError(
    `No prompt is registered as "${path}".${suggestions.length ? ` Closest: ${suggestions.map((s) => `"${s}"`).join(', ')}.` : registry().size === 0 ? ' No prompts are registered: run discovery or call registerPrompt().' : ''}`,
    { what: 'prompt', key: path, suggestions },
  );
}

/** The prompt at `path`, or `undefined`. */
export function findPrompt(path: string): PromptLike | undefined {
  return registry().get(path);
}

/** Registered prompt paths, sorted. */
export function listPrompts(): string[] {
  return [...registry().keys()].sort();
}

/** Remove one prompt, or all of them (for tests and reloading). */
export function unregisterPrompt(path?: string): void {
  if (path === undefined) registry().clear();
  else registry().delete(path);
}

/** A lookup scoped to a folder: `prompts('research')('task')` is `getPrompt('research/task')`. */
export function prompts(root: string): (name: string) => PromptLike {
  const prefix = root.replace(/\/+$/, '');
  return (name) => getPrompt(prefix ? `${prefix}/${name}` : name);
}
