// The `lllm` command line: commander declares the commands and options (help, version, suggestions
// for mistyped commands and flags); each command's code is imported only when it runs, so
// `lllm --help` and `lllm --version` load no provider SDK, no SQLite and no proxy code.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { type Io, line, UsageError } from './io.js';

export type { Io } from './io.js';
export { EXIT_LOG_FAILED } from './io.js';

const EXIT_CODES = `Results go to stdout; progress, notices and errors to stderr. --json prints one JSON document on stdout
(its shape is in the @lllm/cli README). NO_COLOR turns colours off, FORCE_COLOR on.

Exit codes: 0 ok, 1 a problem to fix (the message says how), 2 bad usage, 3 the run finished and its
result is printed but its log could not be written, 70 a bug in lllm, 130 / 143 stopped by SIGINT /
SIGTERM (the log is saved and the session marked cancelled).`;

/** This package's version, from its package.json (src/ and dist/ are both one folder below it). */
export function cliVersion(): string {
  const manifest = createRequire(import.meta.url)('../package.json') as { version?: string };
  return manifest.version ?? '0.0.0';
}

type Run = (work: () => Promise<number>) => Promise<void>;

/** The program: every command and option, with lazy actions. `run` records each action's exit code. */
export function buildProgram(io: Io, run: Run): Command {
  const program = new Command('lllm')
    .description('LLLM for TypeScript: create, run, inspect and replay deterministic LLM agent systems.')
    .version(cliVersion(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help (also: lllm <command> --help)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`${text.replace(/^error: /, 'lllm: ')}Run lllm --help (or lllm <command> --help) for usage.\n`),
    })
    .addHelpText('after', `\n${EXIT_CODES}`);

  program
    .command('create')
    .description('scaffold a project from a template (asks on a terminal; lllm create --help for its options)')
    .argument('[name]', 'the project name')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments();

  program
    .command('batch')
    .description('one tactic call per line of a JSONL file, resumable, with a spend cap; --queue for workers (lllm batch --help)')
    .argument('<tactic>', 'the tactic to call')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments();

  program
    .command('worker')
    .description('run the jobs of distributed batches (lllm batch --queue) from Redis; needs @lllm/queue')
    .argument('<tactic>', 'the tactic whose jobs to run')
    .option('--queue <url>', 'the Redis that holds the batches, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'jobs at once in this process (default 8)')
    .option('--config <name>', 'the system config: a name under config/ or a YAML file (default: config/<tactic>/)')
    .option('--name <name>', 'this worker in lllm batch status (default: <host>-<pid>)')
    .option('--lock-ms <ms>', "a job's lock: a killed worker's jobs go to another worker after about this long (default 30000)")
    .option('--strict', 'fail when a discovered module does not load')
    .option('--quiet', 'no progress lines on stderr')
    .action((tactic: string, options) => run(async () => (await import('./commands/worker.js')).commandWorker(tactic, options, io)));

  program
    .command('run')
    .description('run the system on a task')
    .argument('[task...]', 'what to do, e.g. "Summarise the report"')
    .option('--config <name>', 'the system config: a name under config/ or a YAML file (default: default)')
    .option('--session <name>', 'the session name (default: <system>-<date>-<time>-<random>)')
    .option('--strict', 'fail when a discovered module does not load')
    .option('--quiet', 'show no progress or streamed text (stderr)')
    .option('--model <name>', 'use this model for every agent (also LLLM_MODEL)')
    .option('--provider <name>', 'send every agent to openai or anthropic (also LLLM_PROVIDER)')
    .option('--timeout <ms>', 'per-request limit of every agent in ms, 0 for none (default 120000)')
    .option('--json', 'print one JSON document: session, status, result, cost, tokens, errors')
    .action((task: string[], options) => run(async () => (await import('./commands/run.js')).commandRun(task, options, io)));

  program
    .command('prompts')
    .description('list discovered prompts')
    .option('--json', 'print { prompts: [{ path, tools, structuredOutput, source }] }')
    .action((options) => run(async () => (await import('./commands/prompts.js')).commandPrompts(options, io)));

  const proxies = program
    .command('proxies')
    .description('list discovered proxies and their endpoints')
    .option('--json', 'print { proxies: [{ path, name, source, active, inactiveReason, endpoints }] }')
    .action((options) => run(async () => (await import('./commands/proxies.js')).commandProxies(options, io)));
  proxies
    .command('test')
    .description('call endpoints with their examples and report per category')
    .argument('[paths...]', 'only these endpoint paths')
    .option('-c, --cutoff-date <date>', 'test as a backtest sees the APIs: withhold entries dated on or after this day')
    .option('-s, --skip <k>', 'do not call the first k endpoints (resume a long run)')
    .option('--json', 'print { cutoffDate, passed, failed, skipped, byCategory, results }')
    // `--json` after `test` is also the listing's option name, which commander gives the parent: read both.
    .action((paths: string[], _options, command: Command) =>
      run(async () => (await import('./commands/proxies.js')).commandProxiesTest(paths, command.optsWithGlobals(), io)),
    );

  program
    .command('replay')
    .description('show a logged session (or the recent ones), search the log, or open the replay viewer')
    .argument('[session]', 'the session name (lllm run prints it)')
    .option('--config <name>', 'the system config whose log to read (default: default)')
    .option('--serve', 'open the local replay viewer (on 127.0.0.1, with a token), at the session if one is named')
    .option('--port <n>', 'the viewer port (default 0: a free one)')
    .option('--search <text>', 'full-text search of message contents and tool calls (in the session, or in every session)')
    .option('--limit <n>', 'at most this many sessions or matches (default 20)')
    .option('--color', 'colour the transcript even when stdout is not a terminal')
    .option('--no-color', 'never colour the transcript')
    .option('--json', 'print the session (or the list, or the matches) as JSON')
    .action((session: string | undefined, options) =>
      run(async () => (await import('./commands/replay.js')).commandReplay(session, options, io)),
    );

  program
    .command('config')
    .description('system configs with their inheritance resolved')
    .command('show')
    .description('print a resolved config and where each value came from (a file, a global default, or the default)')
    .argument('[name]', 'a name under config/ or a YAML file (default: the only one)')
    .option('--json', 'print { file, chain, values: [{ key, value, origin }] }')
    .action((name: string | undefined, options) =>
      run(async () => (await import('./commands/config.js')).commandConfigShow(name, options, io)),
    );

  const pkg = program.command('pkg').description("the project's package dependencies ([dependencies] in lllm.toml)");
  pkg
    .command('install')
    .description('add a dependency: a project folder, a .tgz from lllm pkg export, or an npm package (installed with npm)')
    .argument('<spec>', './folder, ./name-1.0.0.tgz, or an npm name such as @acme/prompts@^1.0.0')
    .option('--as <alias>', 'also make its resources available as <alias>:<path>')
    .action((spec: string, options) => run(async () => (await import('./commands/pkg.js')).commandPkgInstall(spec, options, io)));
  pkg
    .command('remove')
    .description('remove a dependency by package name or alias')
    .argument('<name>', 'the package name or alias')
    .action((name: string) => run(async () => (await import('./commands/pkg.js')).commandPkgRemove(name, io)));
  pkg
    .command('list')
    .description('list the dependency graph: name, version, source, aliases, who requires it')
    .option('--json', 'print { project, packages: [{ name, version, source, aliases, requiredBy, root }] }')
    .action((options) => run(async () => (await import('./commands/pkg.js')).commandPkgList(options, io)));
  pkg
    .command('export')
    .description("write a tarball of the project's resources (lllm.toml, its folders, config/, skills)")
    .option('--out <file>', 'the tarball to write (default: <name>-<version>.tgz)')
    .option('--json', 'print { file, name, version, files, bytes }')
    .action((options) => run(async () => (await import('./commands/pkg.js')).commandPkgExport(options, io)));

  program
    .command('doctor')
    .description('check the setup: Node, SQLite, lllm.toml, the system config, log backend, model cards, provider keys')
    .option('--config <name>', 'the system config to check (default: default)')
    .option('--json', 'print { ok, problems, checks: [{ check, status, message }] }')
    .action((options) => run(async () => (await import('./commands/doctor.js')).commandDoctor(options, io)));

  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) =>
      run(async () => {
        const { completionScript } = await import('./commands/completion.js');
        io.stdout.write(completionScript(program, shell));
        return 0;
      }),
    );
  return program;
}

/** Run the `lllm` command line; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env },
): Promise<number> {
  let code = 0;
  const program = buildProgram(io, async (work) => {
    code = await work();
  });
  try {
    // `lllm create` is create-lllm's own command line (its options, help and prompts), handed over as is.
    if (argv[0] === 'create') return await (await import('./create.js')).commandCreate(argv.slice(1), io);
    // `lllm batch` parses its own options (batch.ts); its help is its usage text.
    if (argv[0] === 'batch' && (argv[1] === 'status' || argv.some((arg) => arg === '--queue' || arg.startsWith('--queue=')))) {
      const queued = await import('./batch-queue.js');
      if (argv.includes('--help') || argv.includes('-h')) {
        line(io, `Usage: ${queued.BATCH_QUEUE_USAGE}`);
        return 0;
      }
      return await queued.commandBatchQueue(argv.slice(1), io);
    }
    if (argv[0] === 'batch') {
      const batch = await import('./batch.js');
      if (argv.includes('--help') || argv.includes('-h')) {
        line(io, `Usage: ${batch.BATCH_USAGE}`);
        return 0;
      }
      return await batch.commandBatch(argv.slice(1), io);
    }
    if (argv.length === 0) {
      line(io, program.helpInformation().trimEnd());
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end the parse with a "throw" that is not a failure.
      return error.exitCode === 0 ? 0 : 2;
    }
    // An option node:util parseArgs refused (lllm batch): bad usage, like commander's refusals.
    const parseCode = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (error instanceof UsageError || (error instanceof TypeError && parseCode.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`lllm: ${error.message}\nRun lllm --help (or lllm <command> --help) for usage.\n`);
      return 2;
    }
    const { reportFailure } = await import('./failure.js');
    return reportFailure(error, io);
  }
}
