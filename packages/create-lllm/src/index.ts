import { main } from '@lllm/cli';

/**
 * `pnpm create lllm <name> [--template init_template|example]`: the same as
 * `lllm create --name <name>`, in the current folder. Returns the exit code.
 */
export async function createLllm(argv: readonly string[], io?: Parameters<typeof main>[1]): Promise<number> {
  const [first, ...rest] = argv;
  const args = first && !first.startsWith('-') ? ['create', '--name', first, ...rest] : ['create', ...argv];
  return io ? main(args, io) : main(args);
}
