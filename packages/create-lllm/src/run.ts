import { spawn } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateLllmError } from './errors.js';
import { detectPackageManager, type PackageManager, packageManagerCommands } from './package-manager.js';
import { validateProjectName } from './project-name.js';
import { type CreatedProject, createProject } from './scaffold.js';
import { describeTemplate, listTemplates, scaffolderVersion } from './templates.js';

/** Where the scaffolder reads and writes. */
export interface CreateIo {
  /** Output; prompts are shown only when it and `stdin` are terminals. */
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  /** Errors. */
  readonly stderr: { write(text: string): unknown };
  /** Input for the prompts; without it (or when it is not a terminal) nothing is asked. */
  readonly stdin?: { isTTY?: boolean };
  /** The folder relative paths start from. */
  readonly cwd: string;
  /** Read for `npm_config_user_agent` (which package manager ran us). */
  readonly env: NodeJS.ProcessEnv;
}

/** How the scaffolder was invoked, for its usage text: `create-lllm` or `lllm create`. */
export interface RunCreateOptions {
  readonly program?: string;
}

const DEFAULT_TEMPLATE = 'init_template';
const DEFAULT_NAME = 'my-agents';
const line = (io: CreateIo, text = '') => io.stdout.write(`${text}\n`);

function usage(program: string): string {
  const templates = listTemplates()
    .map((template) => `${template}${template === DEFAULT_TEMPLATE ? ' (default)' : ''}: ${describeTemplate(template)}`)
    .join('\n                          ');
  return `Usage: ${program} [name] [options]
${program === 'create-lllm' ? '       pnpm create lllm [name] [options]   |   npm create lllm@latest [name] -- [options]   |   yarn create lllm [name] [options]\n' : ''}
Scaffold an LLLM project in a new folder <name>.

Options:
  -n, --name <name>       the project name, a valid npm package name (also the first argument)
  -t, --template <name>   ${templates}
  -d, --dir <folder>      create the project folder inside <folder> (default: the current folder)
      --install           install its dependencies with the package manager that ran this command
  -h, --help              show this help
  -v, --version           print the version

On a terminal, a missing name or template is asked for; otherwise the name is required.
Exit codes: 0 created, 1 refused (the message says why), 2 bad usage, 70 a bug.`;
}

interface Answers {
  readonly name: string;
  readonly template: string;
}

/** Ask for what the flags left out, on a terminal. Returns undefined when the user cancels. */
async function ask(name: string | undefined, template: string | undefined): Promise<Answers | undefined> {
  const prompts = await import('@clack/prompts');
  prompts.intro(`create-lllm ${scaffolderVersion()}`);
  let chosenName = name;
  if (chosenName === undefined) {
    const answer = await prompts.text({
      message: 'Project name',
      placeholder: DEFAULT_NAME,
      defaultValue: DEFAULT_NAME,
      validate: (value) => {
        try {
          validateProjectName(value || DEFAULT_NAME);
          return undefined;
        } catch (error) {
          return error instanceof Error ? error.message : String(error);
        }
      },
    });
    if (prompts.isCancel(answer)) {
      prompts.cancel('Cancelled: nothing was written.');
      return undefined;
    }
    chosenName = answer || DEFAULT_NAME;
  }
  let chosenTemplate = template;
  if (chosenTemplate === undefined) {
    const answer = await prompts.select({
      message: 'Template',
      initialValue: DEFAULT_TEMPLATE,
      options: listTemplates().map((value) => ({ value, label: value, hint: describeTemplate(value) })),
    });
    if (prompts.isCancel(answer)) {
      prompts.cancel('Cancelled: nothing was written.');
      return undefined;
    }
    chosenTemplate = answer;
  }
  return { name: chosenName, template: chosenTemplate };
}

function install(directory: string, manager: PackageManager, io: CreateIo): Promise<void> {
  const [command, ...args] = packageManagerCommands(manager).install;
  line(io, `Installing with ${[command, ...args].join(' ')}…`);
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { cwd: directory, stdio: ['ignore', 'inherit', 'inherit'], env: io.env });
    child.on('error', (error) =>
      reject(
        new CreateLllmError(
          'install',
          `Could not start ${command} in ${directory} (${error.message}): install it, or run the install yourself.`,
          {
            cause: error,
          },
        ),
      ),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new CreateLllmError(
              'install',
              `${[command, ...args].join(' ')} failed in ${directory} (exit code ${code}); the project is there, rerun the install yourself.`,
            ),
          ),
    );
  });
}

/** The lines printed after a project is created: `cd` from where the user is, then the next commands. */
export function nextSteps(created: CreatedProject, options: { cwd: string; manager: PackageManager; installed: boolean }): string[] {
  const commands = packageManagerCommands(options.manager);
  const path = relative(options.cwd, created.directory) || '.';
  const quoted = /^[\w./@+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
  return [
    ...(path === '.' ? [] : [`cd ${quoted}`]),
    ...(options.installed ? [] : [commands.install.join(' ')]),
    commands.exec('lllm doctor'),
    commands.run('test'),
    `${commands.exec('lllm run')} "What is 2 + 2?"`,
  ];
}

/**
 * The `create-lllm` command (and `lllm create`): flags, prompts on a terminal, the scaffold, the
 * next steps for the package manager that ran it, and an optional install. Returns the exit code;
 * user mistakes are one line on stderr (exit 1, or 2 for a wrong invocation).
 */
export async function runCreate(argv: readonly string[], io: CreateIo, options: RunCreateOptions = {}): Promise<number> {
  const program = options.program ?? 'create-lllm';
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (error) {
      throw new CreateLllmError('usage', error instanceof Error ? error.message : String(error));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      line(io, usage(program));
      return 0;
    }
    if (values.version) {
      line(io, scaffolderVersion());
      return 0;
    }
    if (positionals.length > 1 || (positionals.length === 1 && values.name !== undefined)) {
      throw new CreateLllmError(
        'usage',
        `Give the project name once: ${program} my-agents (got ${positionals.concat(values.name ?? []).join(', ')}).`,
      );
    }
    let name = values.name ?? positionals[0];
    let template = values.template;
    const interactive = Boolean(io.stdin?.isTTY && io.stdout.isTTY);
    if (interactive && (name === undefined || template === undefined)) {
      const answers = await ask(name, template);
      if (!answers) return 1;
      name = answers.name;
      template = answers.template;
    }
    if (name === undefined) {
      throw new CreateLllmError('usage', `${program} needs a project name: ${program} my-agents [--template ${listTemplates().join('|')}]`);
    }
    const created = createProject({ name, template: template ?? DEFAULT_TEMPLATE, parent: resolve(io.cwd, values.dir ?? '.') });
    line(io, `Created ${created.directory} from the ${created.template} template (${created.files} files).`);
    const manager = detectPackageManager(io.env);
    if (values.install) await install(created.directory, manager, io);
    line(io, '');
    line(io, 'Next:');
    for (const step of nextSteps(created, { cwd: io.cwd, manager, installed: values.install ?? false })) line(io, `  ${step}`);
    return 0;
  } catch (error) {
    if (CreateLllmError.isInstance(error)) {
      io.stderr.write(`${program}: ${error.message}\n`);
      if (error.kind === 'usage') {
        io.stderr.write(`\n${usage(program)}\n`);
        return 2;
      }
      return 1;
    }
    io.stderr.write(
      `${program}: internal error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string', short: 'n' },
      template: { type: 'string', short: 't' },
      dir: { type: 'string', short: 'd' },
      install: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
