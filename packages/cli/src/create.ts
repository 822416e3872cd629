// `lllm create` is create-lllm's scaffolder: one implementation, shared with `pnpm create lllm`.
import { type CreatedProject, createProject, listTemplates, runCreate, templatesDirectory } from 'create-lllm';
import type { Io } from './main.js';

export type { CreatedProject };
export { createProject, listTemplates, templatesDirectory };

/** `lllm create [name] [--name] [--template] [--dir] [--install]`: prompts on a terminal, like `pnpm create lllm`. */
export function commandCreate(args: readonly string[], io: Io): Promise<number> {
  return runCreate(args, { ...io, stdin: io.stdout === process.stdout ? process.stdin : undefined }, { program: 'lllm create' });
}
