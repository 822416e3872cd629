import { ConfigError } from '../errors.js';
import type { PromptLike } from '../prompt-like.js';
import { literalPrompt } from '../tactic/literal-prompt.js';
import type { AgentConfig } from './system-config.js';

/** How a system prompt named by a config becomes a `PromptLike`. */
export interface SystemPromptSources {
  /** Resolves `system_prompt_path` (e.g. `@lllm/prompts`' `getPrompt`). */
  readonly promptLookup: (path: string) => PromptLike;
  /**
   * Makes a prompt of an inline `system_prompt` (e.g. `(path, text) => new Prompt({ path, prompt: text })`
   * from `@lllm/prompts`). The path is `_inline/<agent>/system`. Default: the text as it is, with
   * `{name}` placeholders filled from the arguments given.
   */
  readonly inlinePrompt?: (path: string, text: string) => PromptLike;
}

/** The system prompt of one configured agent: by path, or inline. */
export function agentSystemPrompt(name: string, agent: AgentConfig, sources: SystemPromptSources, file?: string): PromptLike {
  if (agent.system_prompt !== undefined) {
    const path = `_inline/${name}/system`;
    return sources.inlinePrompt ? sources.inlinePrompt(path, agent.system_prompt) : literalPrompt(path, agent.system_prompt);
  }
  if (agent.system_prompt_path === undefined) {
    throw new ConfigError(`agent_configs.${name} has no system prompt: set system_prompt_path or system_prompt.`, { file });
  }
  return sources.promptLookup(agent.system_prompt_path);
}
