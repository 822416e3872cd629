import { createHash } from 'node:crypto';
import { slugify } from '../define.js';

/** The longest tool name providers accept. */
export const MAX_TOOL_NAME = 64;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function fit(base: string, suffix: string): string {
  return base.slice(0, MAX_TOOL_NAME - suffix.length) + suffix;
}

/**
 * Agent tool names for MCP tools: `<prefix>_<tool>` with every character outside `[a-zA-Z0-9_-]`
 * replaced by `_`, at most 64 characters (a long name keeps its start and gets a hash of the full
 * name, so two long names stay distinct). Names that still collide get `_2`, `_3`, … in list order,
 * so the mapping is the same on every run. An empty prefix means no prefix.
 */
export function agentToolNames(prefix: string, toolNames: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  const used = new Set<string>();
  for (const toolName of toolNames) {
    const raw = prefix ? `${prefix}_${toolName}` : toolName;
    let name = raw.replace(/[^a-zA-Z0-9_-]/g, '_') || `tool_${shortHash(raw)}`;
    if (name.length > MAX_TOOL_NAME) name = fit(name, `_${shortHash(raw)}`);
    let candidate = name;
    for (let index = 2; used.has(candidate); index++) candidate = fit(name, `_${index}`);
    used.add(candidate);
    result.set(toolName, candidate);
  }
  return result;
}

/** Endpoint keys (lower case with dashes) for MCP tools, distinct in list order (`-2`, `-3`, … on a clash). */
export function endpointKeys(toolNames: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  const used = new Set<string>();
  for (const toolName of toolNames) {
    const base = slugify(toolName) || `tool-${shortHash(toolName)}`;
    let candidate = base;
    for (let index = 2; used.has(candidate); index++) candidate = `${base}-${index}`;
    used.add(candidate);
    result.set(toolName, candidate);
  }
  return result;
}
