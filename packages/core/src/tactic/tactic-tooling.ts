/**
 * What a tactic's agent gets from its agent config besides model and prompt — exactly what an agent
 * system's agent gets: `skills:` (a catalog and `activate_skill`), every registered tooling key
 * (`proxy:` → the API interpreter) and a `context_manager:`. The toolings are released by `Tactic.close()`.
 */
import type { AgentOptions } from '../agent.js';
import { type AgentTooling, agentTooling, withPromptAddendum } from '../config/agent-tooling.js';
import type { AgentConfig, SystemConfig } from '../config/system-config.js';
import { contextManagerFor } from '../context/context-config.js';
import type { Invoker } from '../invoker.js';
import type { PromptLike, ToolLike } from '../prompt-like.js';

/** The parts of one agent's options its config's tooling and context budget add. */
export interface TacticAgentExtras {
  readonly systemPrompt: PromptLike;
  readonly options: Pick<AgentOptions, 'tools' | 'contextManager'>;
  /** What must be released when the tactic is closed. */
  readonly toolings: readonly AgentTooling[];
}

/** Skills, registered tooling keys and the context manager of agent `name`, as `buildAgent` wires them. */
export async function tacticAgentExtras(
  name: string,
  agent: AgentConfig,
  config: SystemConfig,
  context: { readonly systemPrompt: PromptLike; readonly invoker: Invoker; readonly services: Readonly<Record<string, unknown>> },
): Promise<TacticAgentExtras> {
  const toolings = await agentTooling({ agentName: name, agent, config, services: context.services });
  const addendum = toolings.map((part) => part.promptAddendum ?? '').join('');
  const tools: ToolLike[] = toolings.flatMap((part) => part.tools ?? []);
  const contextManager = contextManagerFor(name, agent.model_name, agent.context_manager, context.invoker, config.file);
  return {
    systemPrompt: withPromptAddendum(context.systemPrompt, addendum),
    options: { ...(tools.length > 0 ? { tools } : {}), ...(contextManager ? { contextManager } : {}) },
    toolings,
  };
}

/** Release every tooling; the first failure is thrown after all were tried. */
export async function closeToolings(toolings: AgentTooling[]): Promise<void> {
  const closing = toolings.splice(0).map((part) => part.close?.());
  const failures = (await Promise.allSettled(closing)).filter((outcome) => outcome.status === 'rejected');
  if (failures.length > 0) throw (failures[0] as PromiseRejectedResult).reason;
}
