// What a system config written for the Python LLLM (its two templates' config/<name>/default.yaml)
// needs in order to load here: its keys that mean nothing here are accepted with a note each, a config
// that names no agent_type (upstream's example template) gets the one registered type that fits, and
// a temperature on a reasoning model is handled as upstream handles it instead of refused.
import type { ModelCard } from '../model-card.js';
import { agentTypeRegistry } from './agent-type-registry.js';

/** One line about a config that loaded: an upstream key accepted, a value filled in or left out. */
export interface ConfigNote {
  /** The key path it is about (`random_seed`, `agent_configs.vanilla.temperature`). */
  readonly key: string;
  /** `note`: accepted as it is; `warning`: a value was filled in or is not sent as written. */
  readonly severity: 'note' | 'warning';
  /** One line, starting with the key path. */
  readonly message: string;
}

interface UpstreamKey {
  /** What the Python LLLM's templates put there, for the error when the value is something else. */
  readonly expected: string;
  readonly accepts: (value: unknown) => boolean;
  readonly note: (shown: string, root: string) => string;
}

const isWholeNumber = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isText = (value: unknown): boolean => typeof value === 'string';

/** Top-level keys of the Python LLLM's system configs that nothing here reads. */
const UPSTREAM_ONLY_KEYS: Readonly<Record<string, UpstreamKey>> = {
  random_seed: {
    expected: 'a whole number',
    accepts: isWholeNumber,
    note: (shown) =>
      `random_seed: ${shown} is not used: the Python LLLM reads it but never sends it to a model; to send a seed, set agent_configs.<agent>.seed.`,
  },
  max_query_retry: {
    expected: 'a whole number',
    accepts: isWholeNumber,
    note: (shown) =>
      `max_query_retry: ${shown} is not used: nothing in the Python LLLM reads it either; the budgets are max_exception_retry, max_interrupt_times and max_llm_recall.`,
  },
  system_type: {
    expected: 'a string',
    accepts: isText,
    note: (shown) =>
      `system_type: ${shown} is not used: it picks the Python template's system wrapper, which only calls the agent; lllm runs agent_type directly.`,
  },
  project_root: {
    expected: 'a string',
    accepts: isText,
    note: (shown, root) =>
      `project_root: ${shown} is not used: the Python template's loader overwrites it with its own folder; the project root here is ${root}.`,
  },
};

/** The upstream-only top-level keys, for "did you mean" suggestions. */
export const UPSTREAM_CONFIG_KEYS: readonly string[] = Object.keys(UPSTREAM_ONLY_KEYS);

/**
 * Take the upstream-only keys out of a config's data: each one present gives a note, or a problem when
 * its value is not of the kind upstream's templates use.
 */
export function takeUpstreamKeys(
  data: Readonly<Record<string, unknown>>,
  root: string,
): { data: Record<string, unknown>; notes: ConfigNote[]; problems: string[] } {
  const rest: Record<string, unknown> = {};
  const notes: ConfigNote[] = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const known = UPSTREAM_ONLY_KEYS[key];
    if (!known) rest[key] = value;
    else if (!known.accepts(value)) problems.push(`${key}: expected ${known.expected}, got ${JSON.stringify(value)}`);
    else notes.push({ key, severity: 'note', message: known.note(JSON.stringify(value), root) });
  }
  return { data: rest, notes, problems };
}

/**
 * The agent type of a config that names none, as the Python example template's config (which sets
 * only `system_type`) needs: the one registered type whose agents all have `agent_configs`.
 */
export function inferAgentType(agentNames: readonly string[]): { agentType: string; note: ConfigNote } | { problem: string } {
  const registered = [...agentTypeRegistry().values()];
  const fitting = registered.filter(
    (definition) => definition.agentGroup.length > 0 && definition.agentGroup.every((name) => agentNames.includes(name)),
  );
  const only = fitting.length === 1 ? fitting[0] : undefined;
  if (only) {
    return {
      agentType: only.agentType,
      note: {
        key: 'agent_type',
        severity: 'warning',
        message: `agent_type: not set; using "${only.agentType}", the one registered agent type whose agents (${only.agentGroup.join(', ')}) all have agent_configs. Set agent_type: ${only.agentType} to say so.`,
      },
    };
  }
  const quoted = (names: readonly string[]) => names.map((name) => `"${name}"`).join(', ');
  const choices =
    fitting.length > 1
      ? `several registered types fit agent_configs: ${quoted(fitting.map((definition) => definition.agentType))}`
      : registered.length > 0
        ? `no registered type has all its agents in agent_configs (registered: ${quoted(registered.map((definition) => definition.agentType))})`
        : 'no agent type is registered (define one with defineAgent in a module the [agents] section of lllm.toml discovers)';
  return { problem: `agent_type: missing: set it to the agent type to run; ${choices}` };
}

/**
 * The Python LLLM sends `temperature: 1` to a reasoning model whatever the config says. A reasoning
 * model whose card refuses `temperature` samples at 1 only, so the value is left out of the request
 * (the same thing) with a warning, instead of refusing the config. Other models are left as they are.
 */
export function reasoningTemperature<A extends { readonly model_name: string; readonly temperature?: number | undefined }>(
  keyPath: string,
  agent: A,
  card: ModelCard | undefined,
): { agent: A; note?: ConfigNote } {
  if (!card?.features.reasoning || agent.temperature === undefined || !card.argumentRules?.unsupported?.includes('temperature'))
    return { agent };
  const { temperature, ...rest } = agent;
  return {
    agent: rest as unknown as A,
    note: {
      key: `${keyPath}.temperature`,
      severity: 'warning',
      message: `${keyPath}.temperature: ${temperature} is not sent: ${agent.model_name} is a reasoning model, which samples at temperature 1 only (the Python LLLM sets it to 1; leaving it out is the same). Remove it from the config.`,
    },
  };
}
