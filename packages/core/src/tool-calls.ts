// A reply's tool calls: their raw JSON arguments parsed and checked against the offered tools (every
// problem becomes the error fed back for that call id), and a tool's return value as the text the model reads.
import type { RawToolCall } from './invoker.js';
import { deepFreeze, FunctionCall } from './message.js';
import type { ToolLike } from './prompt-like.js';
import { closestMatches } from './strings.js';

/** The text the model reads for a tool's return value: its own formatter, a string as it is, else JSON. */
export function formatToolResult(tool: ToolLike, value: unknown): string {
  if (tool.formatResult) return tool.formatResult(value);
  if (typeof value === 'string') return value;
  if (value === undefined) return 'Done (no result).';
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** Parse and check the raw tool calls of a reply; returns the calls and an error per bad call id. */
export function checkToolCalls(
  raw: readonly RawToolCall[],
  tools: readonly ToolLike[],
  finalPromptSent: boolean,
): { calls: FunctionCall[]; errors: Map<string, string> } {
  const errors = new Map<string, string>();
  const calls = raw.map((call, index) => {
    const id = call.id || `call_${index}`;
    let args: Record<string, unknown> = {};
    const tool = tools.find((candidate) => candidate.name === call.name);
    if (!tool) {
      const names = tools.map((candidate) => candidate.name);
      const suggestion = closestMatches(call.name, names)[0];
      errors.set(
        id,
        finalPromptSent
          ? `No functions are available now; do not call "${call.name}". Give your final answer.`
          : `Unknown function "${call.name}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Available: ${names.length ? names.join(', ') : 'none'}.`,
      );
    }
    const text = call.arguments.trim() === '' ? '{}' : call.arguments;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the arguments must be a JSON object');
      args = value as Record<string, unknown>;
    } catch (error) {
      if (!errors.has(id)) {
        const detail = error instanceof Error ? error.message : String(error);
        errors.set(
          id,
          `The arguments of "${call.name}" are not valid JSON (${detail}): ${JSON.stringify(call.arguments.slice(0, 200))}. Send a JSON object.`,
        );
      }
    }
    if (tool && !errors.has(id) && tool.validate) {
      const validation = tool.validate(args);
      if (validation.success) args = validation.data as Record<string, unknown>;
      else errors.set(id, `Invalid arguments for "${call.name}": ${validation.error}`);
    }
    // The arguments were parsed for this call: frozen here, FunctionCall shares them instead of cloning.
    return new FunctionCall({ id, name: call.name, arguments: deepFreeze(args), rawArguments: call.arguments });
  });
  return { calls, errors };
}
