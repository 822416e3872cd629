import { parseArgs } from 'node:util';
import {
  AbortError,
  buildAgent,
  ConsoleStream,
  createLogStore,
  getAgentType,
  LllmError,
  type LogStore,
  listAgentTypes,
  listDiscoverySections,
  newSessionName,
  redactSecrets,
  redactString,
} from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { escapeControlCharacters } from '@lllm/core/utils';
import { ReplaySession, renderTranscript, serveReplayViewer, writeSessionEnd } from '@lllm/log';
import { findPrompt, getPrompt, listPrompts, promptSource } from '@lllm/prompts';
import { getProxy, listProxies, ProxyRuntime, proxySource } from '@lllm/proxy';
import { commandCreate } from './create.js';
import { nodeVersionProblem, SUPPORTED_NODE } from './node-version.js';
import {
  chooseProviders,
  loadConfig,
  loadProject,
  providerAvailability,
  providerHint,
  proxyRuntimeFor,
  RunLog,
  SCRIPTED_LABEL,
} from './runtime.js';

/** Where a command writes. */
export interface Io {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A mistake in how the command was called: exit code 2 with a usage hint. */
class UsageError extends Error {}

const USAGE = `Usage: lllm <command> [options]

Commands:
  create [name] [--template init_template|example] [--dir <folder>]         scaffold a project (asks on a terminal)
  run "<task>" [--config <name|file.yaml>] [--session <name>] [--strict]    run the system on a task
      [--model <name>] [--provider openai|anthropic]                         (also LLLM_MODEL, LLLM_PROVIDER)
      [--timeout <ms>]                                                       per-request limit of every agent (default 120000)
  prompts                                                                    list discovered prompts
  proxies                                                                    list discovered proxies and their endpoints
  proxies test [path…]                                                       call endpoints with their examples, report per category
  replay <session> [--config <name>] | replay --serve [--port <n>]          show a logged session
  doctor                                                                     check the setup

Exit codes: 0 ok, 1 a problem to fix (the message says how), 2 bad usage, 3 the run finished and its
result is printed but its log could not be written, 70 a bug in lllm, 130 / 143 stopped by SIGINT /
SIGTERM (the log is saved and the session marked cancelled).`;

/** `lllm run` finished and printed its result, but the log could not be written. */
export const EXIT_LOG_FAILED = 3;
/** The exit status of a process ended by a signal, as a shell reports it (128 + the signal number). */
const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

const line = (io: Io, text = '') => io.stdout.write(`${text}\n`);
/** Text that comes from data (a log, a model, a file, an error): secrets redacted, control characters shown as escapes. */
const shown = (text: string) => escapeControlCharacters(redactString(text));

/** Close the log; the failure, if any, instead of a throw (a paid result must still be shown). */
async function closeLog(log: LogStore): Promise<unknown> {
  try {
    await log.close();
    return undefined;
  } catch (error) {
    return error ?? new Error('unknown failure');
  }
}

/**
 * While `work` runs, SIGINT and SIGTERM abort it through `controller` and reject at once with the
 * signal's name, so the caller can save the log and exit 130/143 even if the work ignores the abort.
 * A second signal exits immediately (the log stores' own hook still saves their queued entries).
 */
async function cancellable<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onSignal = (signal) => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT[signal] ?? 1);
      const error = new AbortError(`Cancelled by ${signal}.`);
      controller.abort(error);
      reject(Object.assign(error, { signal }));
    };
  });
  const handler = (signal: NodeJS.Signals) => onSignal?.(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await Promise.race([work(controller.signal), cancelled]);
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}

function signalOf(error: unknown): NodeJS.Signals | undefined {
  const signal = typeof error === 'object' && error !== null && 'signal' in error ? error.signal : undefined;
  return signal === 'SIGINT' || signal === 'SIGTERM' ? signal : undefined;
}

async function commandRun(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      session: { type: 'string' },
      strict: { type: 'boolean' },
      quiet: { type: 'boolean' },
      model: { type: 'string' },
      provider: { type: 'string' },
      timeout: { type: 'string' },
    },
  });
  const task = positionals.join(' ').trim();
  if (!task) throw new UsageError('lllm run needs a task: lllm run "Summarise the report"');
  // --timeout <ms>: the per-request limit of every agent, over timeout_ms in the config (0: none).
  const timeoutMs = values.timeout === undefined || !/^\d+$/.test(values.timeout) ? undefined : Number(values.timeout);
  if (values.timeout !== undefined && timeoutMs === undefined) {
    throw new UsageError(
      `--timeout takes milliseconds (a whole number >= 0, 0 for no limit), got ${JSON.stringify(values.timeout)}: e.g. --timeout 300000`,
    );
  }
  const project = await loadProject({ cwd: io.cwd, strict: values.strict ?? false, env: io.env });
  for (const warning of project.report.warnings) io.stderr.write(`warning: ${shown(warning)}\n`);
  const loaded = loadConfig(project, values.config);
  const definition = getAgentType(loaded.agent_type);
  const { config, notices, missing } = chooseProviders(loaded, definition.agentGroup, io.env, {
    model: values.model,
    provider: values.provider,
  });
  for (const notice of notices) io.stderr.write(`note: ${notice}\n`);
  let scripted = false;
  if (missing.length > 0) {
    const needs = [...new Set(missing.map((name) => providerHint(loaded.agent_configs[name]?.api_type ?? 'completion')))];
    io.stderr.write(
      `No model provider is configured for ${missing.map((name) => `"${name}"`).join(', ')}: set ${needs.join(' and ')} to use a real model.\n`,
    );
    if (!definition.offline) {
      io.stderr.write(`agent_type "${config.agent_type}" has no scripted offline replies, so it cannot run without a provider.\n`);
      return 1;
    }
    scripted = true;
    io.stderr.write(`Running on a ${SCRIPTED_LABEL} instead: its replies are fixed, not generated.\n`);
  }
  const proxy = proxyRuntimeFor(config, { env: io.env, warn: (message) => io.stderr.write(`warning: ${shown(message)}\n`) });
  const log = new RunLog(await createLogStore({ type: config.log_type, directory: config.log_dir }));
  const offline = scripted ? (definition.offline?.(task) ?? {}) : {};
  // The session is named before the run so what the terminal shows is logged to it too (frontend).
  const session = newSessionName(config.name, values.session);
  const stream = new ConsoleStream({ output: io.stdout, silent: values.quiet ?? false, log: { store: log, session } });
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    log,
    stream,
    ...(timeoutMs === undefined ? {} : { agentOptions: { timeoutMs } }),
    ...(proxy ? { services: { proxy } } : {}),
    ...(scripted ? { invokerFor: (name: string) => createScriptedInvoker([...(offline[name] ?? [])], { name: 'scripted' }) } : {}),
  });
  const spinner = stream.spinner(`${scripted ? `[${SCRIPTED_LABEL}] ` : ''}${config.name} (${config.agent_type}) is working…`);
  const reportLogFailure = (failure: unknown) =>
    io.stderr.write(
      `lllm: the ${config.log_type} log in ${config.log_dir} could not be written, so session ${session} is incomplete: ${shown(failure instanceof Error ? failure.message : String(failure))}\n`,
    );
  let run: Awaited<ReturnType<typeof system.run>>;
  try {
    run = await cancellable((signal) => system.run(task, { session, signal }));
    spinner.stop('success', `${config.name} finished`);
  } catch (error) {
    const signal = signalOf(error);
    spinner.stop(signal ? 'cancelled' : 'failure', `${config.name} ${signal ? `cancelled by ${signal}` : 'failed'}`);
    writeSessionEnd(
      log,
      session,
      signal ? 'cancelled' : 'failed',
      signal ?? redactString(error instanceof Error ? error.message : String(error)),
    );
    const logFailure = await closeLog(log);
    if (logFailure !== undefined) reportLogFailure(logFailure);
    if (signal) {
      io.stderr.write(`lllm: cancelled by ${signal}; what ran so far is logged: lllm replay ${session}\n`);
      const code = SIGNAL_EXIT[signal] ?? 1;
      // Work that ignores the abort (a project's own code) must not keep the process alive.
      setTimeout(() => process.exit(code), 2000).unref();
      return code;
    }
    if (LllmError.isInstance(error)) throw error;
    // A throw from the system's own run() is a bug in the project, not in lllm: say where it came from.
    io.stderr.write(
      `lllm: agent_type "${config.agent_type}" failed in its run(): ${shown(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return 1;
  }
  writeSessionEnd(log, session, 'completed');
  // The result is paid for: it is printed whatever happens to the log.
  const logFailure = await closeLog(log);
  line(io, scripted ? `Result (${SCRIPTED_LABEL}):` : 'Result:');
  // Redact the value, then serialize: JSON escapes every control character, and no regex ever edits JSON text.
  line(io, JSON.stringify(redactSecrets(run.result), null, 2) ?? 'undefined');
  line(
    io,
    `Cost: $${run.cost.totalUsd.toFixed(6)}${run.cost.known ? '' : ' (some models have no price card)'}${scripted ? ' (scripted: no real spend)' : ''}`,
  );
  if (logFailure !== undefined) {
    reportLogFailure(logFailure);
    return EXIT_LOG_FAILED;
  }
  line(io, `Session: ${shown(run.session)} (${config.log_type} log in ${config.log_dir}; see it with: lllm replay ${shown(run.session)})`);
  return 0;
}

async function commandPrompts(io: Io): Promise<number> {
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) io.stderr.write(`warning: ${shown(warning)}\n`);
  const paths = listPrompts();
  if (paths.length === 0) {
    line(io, 'No prompts registered. Add a [prompts] section with folders to lllm.toml.');
    return 0;
  }
  for (const path of paths) {
    const prompt = findPrompt(path);
    const source = promptSource(path);
    const extras = [prompt?.tools.length ? `${prompt.tools.length} tools` : '', prompt?.format ? 'structured output' : '']
      .filter(Boolean)
      .join(', ');
    line(io, `${path}${extras ? `  (${extras})` : ''}${source ? `  ← ${source}` : ''}`);
  }
  return 0;
}

async function commandProxies(args: string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const [subcommand, ...paths] = positionals;
  if (subcommand !== undefined && subcommand !== 'test')
    throw new UsageError(`Unknown proxies subcommand "${subcommand}": use lllm proxies or lllm proxies test [path…].`);
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) io.stderr.write(`warning: ${shown(warning)}\n`);
  const section = project.report.sections.find((candidate) => candidate.name === 'proxies');
  const names = listProxies();
  if (names.length === 0) {
    line(
      io,
      section?.modules.length
        ? `Proxy modules were imported (${section.modules.map((module) => module.modulePath).join(', ')}) but none exports a defineProxy(...) result.`
        : 'No proxy modules discovered. Add a [proxies] section with folders to lllm.toml.',
    );
    return 0;
  }
  const warnings: string[] = [];
  const runtime = new ProxyRuntime({ activate: names, env: io.env, onWarning: (message) => warnings.push(message) });
  if (subcommand === 'test') {
    for (const warning of warnings) io.stderr.write(`warning: ${shown(warning)}\n`);
    const stream = new ConsoleStream({ output: io.stdout });
    const report = await runtime.autoTest({ stream, ...(paths.length ? { paths } : {}) });
    for (const [category, tally] of Object.entries(report.byCategory)) {
      line(
        io,
        `${tally.failed ? '✗' : '✓'} ${category}: ${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}`,
      );
    }
    for (const result of report.results.filter((candidate) => candidate.status !== 'passed'))
      line(io, `  ${result.status}: ${result.path}: ${shown(result.error ?? '')}`);
    line(io, `${report.passed} passed, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`);
    return report.failed > 0 ? 1 : 0;
  }
  for (const name of names) {
    const definition = getProxy(name);
    const skipped = warnings.find((warning) => warning.startsWith(`Proxy "${name}" is skipped: `));
    line(
      io,
      `${definition.path}: ${definition.name} (${definition.endpoints.length} endpoints)${proxySource(name) ? `  ← ${proxySource(name)}` : ''}${skipped ? `  [inactive: ${skipped.slice(`Proxy "${name}" is skipped: `.length)}]` : ''}`,
    );
    for (const endpoint of definition.endpoints)
      line(io, `  ${endpoint.fullPath}  ${endpoint.handler ? 'CALL' : endpoint.method}  ${endpoint.name}`);
  }
  return 0;
}

async function commandReplay(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' }, color: { type: 'boolean' } },
  });
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  const config = loadConfig(project, values.config);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (values.serve && (!/^\d+$/.test(values.port ?? '0') || port > 65_535))
    throw new UsageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
  const store = await createLogStore({ type: config.log_type, directory: config.log_dir });
  if (values.serve) {
    try {
      const viewer = await serveReplayViewer({ store, port });
      line(io, `Replay viewer: ${viewer.url} (Ctrl+C to stop; the token in the address is required)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await viewer.close();
    } finally {
      await store.close();
    }
    return 0;
  }
  const session = positionals[0];
  if (!session) {
    const recent = await store.sessions({ limit: 10 });
    line(io, recent.length ? 'Recent sessions:' : 'No logged sessions yet.');
    for (const info of recent) line(io, `  ${shown(info.session)}  ${new Date(info.lastTime).toISOString()}  ${info.entries} entries`);
    await store.close();
    return 0;
  }
  const replay = await ReplaySession.load(store, session);
  line(io, renderTranscript(replay, { color: values.color ?? Boolean(io.stdout.isTTY) }));
  await store.close();
  return 0;
}

async function commandDoctor(io: Io): Promise<number> {
  let problems = 0;
  const ok = (text: string) => line(io, `✓ ${text}`);
  const bad = (text: string) => {
    problems += 1;
    line(io, `✗ ${text}`);
  };
  const nodeProblem = nodeVersionProblem();
  if (nodeProblem) bad(nodeProblem);
  else ok(`node ${process.version} (supported: ${SUPPORTED_NODE})`);
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  const { report } = project;
  if (report.disabled) line(io, '- discovery is off (LLLM_AUTO_DISCOVER)');
  else if (report.config) ok(`lllm.toml: ${report.config.file}`);
  else bad(`no lllm.toml in ${io.cwd} or its parents (create one with: lllm create --name <project>)`);
  for (const section of report.sections) {
    const status = `${section.modules.length} modules from ${section.folders.join(', ')}${section.failures.length ? `, ${section.failures.length} failed` : ''}`;
    if (section.failures.length) bad(`[${section.name}] ${status}`);
    else ok(`[${section.name}] ${status}`);
  }
  for (const warning of report.warnings) bad(shown(warning));
  line(
    io,
    `  prompts: ${listPrompts().length}; agent types: ${listAgentTypes().join(', ') || 'none'}; discovery sections: ${listDiscoverySections().join(', ')}`,
  );
  try {
    const config = loadConfig(project, undefined);
    ok(`system config: ${config.file} (agent_type ${config.agent_type}, log_type ${config.log_type})`);
    const definition = getAgentType(config.agent_type);
    for (const name of definition.agentGroup) {
      const agent = config.agent_configs[name];
      if (!agent) continue;
      const prompt = findPrompt(agent.system_prompt_path);
      if (prompt) ok(`agent ${name}: ${agent.model_name} via ${agent.api_type}, system prompt ${agent.system_prompt_path}`);
      else bad(`agent ${name}: system prompt "${agent.system_prompt_path}" is not registered`);
    }
  } catch (error) {
    bad(shown(error instanceof Error ? error.message : String(error)));
  }
  const available = providerAvailability(io.env);
  line(
    io,
    `  OPENAI_API_KEY: ${available.openai ? 'set' : 'not set'}; OPENAI_BASE_URL: ${available.openaiCompatible ? 'set' : 'not set'}; ANTHROPIC_API_KEY: ${available.anthropic ? 'set' : 'not set'}`,
  );
  if (!available.openai && !available.openaiCompatible && !available.anthropic) {
    line(
      io,
      `- no provider configured: set ${providerHint('completion')} or ANTHROPIC_API_KEY; until then lllm run uses a ${SCRIPTED_LABEL}`,
    );
  }
  line(io, problems === 0 ? 'Everything looks right.' : `${problems} problem${problems === 1 ? '' : 's'} found.`);
  return problems === 0 ? 0 : 1;
}

/** Run the `lllm` command line; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env },
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await commandRun(rest, io);
      case 'prompts':
        return await commandPrompts(io);
      case 'proxies':
        return await commandProxies(rest, io);
      case 'replay':
        return await commandReplay(rest, io);
      case 'doctor':
        return await commandDoctor(io);
      case 'create':
        return await commandCreate(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        line(io, USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
      io.stderr.write(`lllm: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    if (LllmError.isInstance(error)) {
      io.stderr.write(`lllm: ${shown(error.message)}\n`);
      return 1;
    }
    // The file system or the network refused (a path in the way, no permission, a full disk, a busy
    // port): the user's environment, not a bug in lllm.
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (/^E[A-Z]+$/.test(code) && error instanceof Error && ('syscall' in error || 'path' in error)) {
      io.stderr.write(`lllm: ${shown(error.message)}. Check the path and its permissions, then try again.\n`);
      return 1;
    }
    io.stderr.write(
      `lllm: internal error (please report it):\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 70;
  }
}
