/**
 * What an agent config adds to an agent beyond its model and prompt: text after the system prompt
 * and tools every call of the agent offers (besides the top prompt's). `skills:` is core's own; other
 * keys are served by packages that register a factory (`@lllm/sandbox` registers `proxy:` for the API
 * interpreter), so core never imports them.
 */
import { ConfigError } from '../errors.js';
import { processRegistry } from '../process-registry.js';
import type { PromptLike, ToolLike } from '../prompt-like.js';
import { activateSkillTool, skillCatalog } from '../skills/activate-skill.js';
import { resolveSkills } from '../skills/skill.js';
import type { AgentConfig, SystemConfig } from './system-config.js';

/** What one config key adds to an agent. */
export interface AgentTooling {
  /** Appended to the rendered system prompt (e.g. a catalog of skills, a directory of APIs). */
  readonly promptAddendum?: string;
  /** Tools every call of the agent offers. */
  readonly tools?: readonly ToolLike[];
  /** Releases what the tooling holds (a sandbox session); called by `AgentSystem.close()`. */
  close?(): Promise<void>;
}

/** What a tooling factory receives. */
export interface AgentToolingContext {
  readonly agentName: string;
  readonly agent: AgentConfig;
  readonly config: SystemConfig;
  /** `BuildAgentOptions.services` (the CLI's proxy runtime under `proxy`). */
  readonly services: Readonly<Record<string, unknown>>;
}

/** Serves one agent config key. */
export type AgentToolingFactory = (context: AgentToolingContext) => AgentTooling | undefined | Promise<AgentTooling | undefined>;

const factories = () => processRegistry('agent-tooling', () => new Map<string, AgentToolingFactory>());

/** Serve an agent config key (`proxy`, …) with a factory. Registering again replaces the factory. */
export function registerAgentTooling(key: string, factory: AgentToolingFactory): void {
  factories().set(key, factory);
}

/** The tooling of one agent: its skills, then every registered key the agent config sets. */
export async function agentTooling(context: AgentToolingContext): Promise<AgentTooling[]> {
  const result: AgentTooling[] = [];
  if (context.agent.skills !== undefined) {
    const skills = resolveSkills(context.agent.skills);
    if (skills.length > 0) result.push({ promptAddendum: skillCatalog(skills), tools: [activateSkillTool(skills)] });
  }
  const agent = context.agent as Record<string, unknown>;
  if (agent.proxy !== undefined && !factories().has('proxy')) {
    throw new ConfigError(
      `agent_configs.${context.agentName}.proxy asks for the API interpreter, but nothing serves it: call registerApiInterpreter() from @lllm/sandbox (the lllm CLI does).`,
      { file: context.config.file },
    );
  }
  for (const [key, factory] of factories()) {
    if (agent[key] === undefined) continue;
    const tooling = await factory(context);
    if (tooling) result.push(tooling);
  }
  return result;
}

/** A system prompt with text appended to what it renders; everything else is the original's. */
export function withPromptAddendum<T>(prompt: PromptLike<T>, addendum: string): PromptLike<T> {
  if (addendum === '') return prompt;
  return {
    get path() {
      return prompt.path;
    },
    render: (args) => `${prompt.render(args)}${addendum}`,
    parse: (content, args) => prompt.parse(content, args),
    get exceptionHandler() {
      return prompt.exceptionHandler;
    },
    get interruptHandler() {
      return prompt.interruptHandler;
    },
    get finalHandler() {
      return prompt.finalHandler;
    },
    get tools() {
      return prompt.tools;
    },
    get format() {
      return prompt.format;
    },
    get hostedTools() {
      return prompt.hostedTools;
    },
  };
}
