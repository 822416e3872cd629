/** The package managers create-lllm knows how to speak for. */
export type PackageManager = 'pnpm' | 'npm' | 'yarn' | 'bun';

/**
 * The package manager that started this process, from `npm_config_user_agent`
 * (`pnpm/10.4.0 npm/? node/v22…`, `npm/10.9.0 node/…`, `yarn/4.5.0 …`, `bun/1.2.0 …`); npm when unknown.
 */
export function detectPackageManager(env: NodeJS.ProcessEnv = process.env): PackageManager {
  const agent = env.npm_config_user_agent ?? '';
  const name = agent.split('/', 1)[0];
  return name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : 'npm';
}

/** The commands to print (or run) for a package manager. */
export interface PackageManagerCommands {
  /** Install the dependencies: `pnpm install`, `npm install`, `yarn`, `bun install`. */
  readonly install: readonly string[];
  /** Run a binary of the project, e.g. `lllm doctor`: `pnpm exec lllm doctor`, `npx lllm doctor`… */
  readonly exec: (command: string) => string;
  /** Run a package script: `pnpm test`, `npm test`, `yarn test`, `bun run test`. */
  readonly run: (script: string) => string;
}

/** How to install, run a binary and run a script with `manager`. */
export function packageManagerCommands(manager: PackageManager): PackageManagerCommands {
  switch (manager) {
    case 'pnpm':
      return { install: ['pnpm', 'install'], exec: (command) => `pnpm exec ${command}`, run: (script) => `pnpm ${script}` };
    case 'yarn':
      return { install: ['yarn'], exec: (command) => `yarn ${command}`, run: (script) => `yarn ${script}` };
    case 'bun':
      return { install: ['bun', 'install'], exec: (command) => `bunx ${command}`, run: (script) => `bun run ${script}` };
    default:
      return {
        install: ['npm', 'install'],
        exec: (command) => `npx ${command}`,
        run: (script) => `npm ${script === 'test' ? 'test' : `run ${script}`}`,
      };
  }
}
