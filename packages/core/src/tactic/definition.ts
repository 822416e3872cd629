// A tactic's definition (what `defineTactic` takes) and the process-wide registry that keeps them.

import { packageResourceName } from '../config/package-resources.js';
import type { SystemConfig } from '../config/system-config.js';
import { NotFoundError } from '../errors.js';
import type { LogStore } from '../log-store.js';
import { processRegistry } from '../process-registry.js';
import type { ScriptStep } from '../scripted-invoker.js';
import type { Stream } from '../stream.js';
import { closestMatches } from '../strings.js';
import type { TacticAgent } from './tactic-agent.js';

/** What a tactic's `run` receives on each call. */
export interface TacticContext {
  /** One fresh agent per member of `agents`, by name, with named dialogs; its calls are recorded. */
  readonly agents: Readonly<Record<string, TacticAgent>>;
  /** The sub-tactics, by the name the definition gave them; their calls are recorded too. */
  readonly tactics: Readonly<Record<string, SubTactic>>;
  /** The system config the tactic was built from (undefined for `Tactic.quick`). */
  readonly config: SystemConfig | undefined;
  readonly log: LogStore;
  /** The log session of this call. */
  readonly session: string;
  readonly signal: AbortSignal | undefined;
  readonly stream: Stream | undefined;
  /** What the host handed to `buildTactic` (e.g. the CLI's proxy runtime under `proxy`). */
  readonly services: Readonly<Record<string, unknown>>;
}

/** A named program over a group of agents and sub-tactics (upstream LLLM's `Tactic`). */
export interface TacticDefinition<I = unknown, O = unknown> {
  /** The name it is registered and discovered by (a system config's `agent_type` may name it). */
  readonly name: string;
  /** The agents it uses: each must be a key of the config's `agent_configs`. */
  readonly agents: readonly string[];
  /** Sub-tactics by the name `run` uses: a definition, or the name of a registered tactic. */
  readonly tactics?: Readonly<Record<string, TacticDefinition<never, unknown> | string>>;
  readonly description?: string;
  /** One call: an input to a result. Throwing fails the call (and, in a batch, that input only). */
  run(input: I, context: TacticContext): Promise<O>;
  /** Scripted replies per agent for offline runs (no provider configured), as agent systems have. */
  offline?(input: I): Readonly<Record<string, readonly ScriptStep[]>>;
}

/** A sub-tactic as a parent tactic's `run` sees it. */
export interface SubTactic<I = unknown, O = unknown> {
  readonly name: string;
  /** Call it; its session is recorded in the parent's, its dialogs go to the parent's log session. */
  call(input: I): Promise<O>;
}

/** The process-wide registry of tactics, by name. */
export const tactics = () => processRegistry('tactics', () => new Map<string, TacticDefinition>());

/** The registered tactic `name`; an unknown name lists the registered ones. */
export function getTactic(name: string): TacticDefinition {
  // `kit:summarize`: the tactic package "kit" defines (its modules loaded first, as buildTactic does).
  const found = tactics().get(name) ?? tactics().get(packageResourceName(name, 'tactic', 'tactic'));
  if (found) return found;
  const known = [...tactics().keys()];
  const suggestions = closestMatches(name, known);
  throw new NotFoundError(
    `Unknown tactic "${name}". Registered: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none (define one with defineTactic and make sure discovery imports it)'}.${suggestions.length ? ` Did you mean "${suggestions[0]}"?` : ''}`,
    { what: 'tactic', key: name, suggestions },
  );
}

/** Whether a tactic called `name` is registered. */
export function hasTactic(name: string): boolean {
  return tactics().has(name);
}

/** Registered tactic names. */
export function listTactics(): string[] {
  return [...tactics().keys()].sort();
}

export function isTacticDefinition(value: unknown): value is TacticDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TacticDefinition).name === 'string' &&
    Array.isArray((value as TacticDefinition).agents) &&
    typeof (value as TacticDefinition).run === 'function' &&
    !('agentType' in value)
  );
}

/** Every agent `definition` and its sub-tactics use (each sub-tactic once). */
export function collectAgents(definition: TacticDefinition<never, unknown>, into: Set<string>, seen: Set<string>): void {
  if (seen.has(definition.name)) return;
  seen.add(definition.name);
  for (const name of definition.agents) into.add(name);
  for (const sub of Object.values(definition.tactics ?? {})) collectAgents(typeof sub === 'string' ? getTactic(sub) : sub, into, seen);
}
