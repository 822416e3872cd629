// `lllm prompts`: the prompts discovery registered, and where each came from.
import { findPrompt, listPrompts, promptSource } from '@lllm/prompts';
import { type Io, line, note, printJson } from '../io.js';
import { loadProject } from '../runtime.js';
import { shown } from './shared.js';

/** One prompt in `lllm prompts --json` (stable: fields are only ever added). */
export interface PromptJson {
  readonly path: string;
  readonly tools: number;
  readonly structuredOutput: boolean;
  readonly source: string | null;
}

export async function commandPrompts(options: { json?: boolean }, io: Io): Promise<number> {
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) note(io, `warning: ${shown(warning)}`);
  const prompts: PromptJson[] = listPrompts().map((path) => {
    const prompt = findPrompt(path);
    return { path, tools: prompt?.tools.length ?? 0, structuredOutput: Boolean(prompt?.format), source: promptSource(path) ?? null };
  });
  if (options.json) {
    printJson(io, { prompts });
    return 0;
  }
  if (prompts.length === 0) {
    line(io, 'No prompts registered. Add a [prompts] section with folders to lllm.toml.');
    return 0;
  }
  for (const prompt of prompts) {
    const extras = [prompt.tools ? `${prompt.tools} tools` : '', prompt.structuredOutput ? 'structured output' : '']
      .filter(Boolean)
      .join(', ');
    line(io, `${prompt.path}${extras ? `  (${extras})` : ''}${prompt.source ? `  ← ${prompt.source}` : ''}`);
  }
  return 0;
}
