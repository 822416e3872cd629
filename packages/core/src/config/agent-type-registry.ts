// The process-wide agent types, on their own so the config loader can read them (a config that sets
// no agent_type) without importing the agent systems that register them.
import { processRegistry } from '../process-registry.js';
import type { AgentTypeDefinition } from './agent-system.js';

/** Registered agent system types, by `agent_type`. */
export const agentTypeRegistry = (): Map<string, AgentTypeDefinition> =>
  processRegistry('agent-types', () => new Map<string, AgentTypeDefinition>());
