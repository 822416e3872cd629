// `lllm run "<task>"`: run the project's system on a task. The result goes to stdout (text, or one
// JSON document with --json); notices, progress and streamed model text go to stderr.
import {
  buildAgent,
  ConsoleStream,
  createLogStore,
  getAgentType,
  LllmError,
  loadSystemPackages,
  newSessionName,
  redactSecrets,
  redactString,
} from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { writeSessionEnd } from '@lllm/log';
import { getPrompt } from '@lllm/prompts';
import { colorEnabled, EXIT_LOG_FAILED, type Io, line, note, painter, printJson, SIGNAL_EXIT, UsageError } from '../io.js';
import { RunProgress } from '../progress.js';
import { chooseProviders, loadConfig, loadProject, providerHint, proxyRuntimeFor, RunLog, SCRIPTED_LABEL } from '../runtime.js';
import { cancellable, closeLog, messageOf, shown, signalOf } from './shared.js';

/** Options of `lllm run`. */
export interface RunOptions {
  readonly config?: string;
  readonly session?: string;
  readonly strict?: boolean;
  readonly quiet?: boolean;
  readonly model?: string;
  readonly provider?: string;
  readonly timeout?: string;
  readonly json?: boolean;
}

/**
 * The `--json` document of `lllm run` (stable: fields are only ever added). `status` is `completed`,
 * `failed` or `cancelled`; `result` is the system's result (`null` unless completed); `errors` holds
 * what went wrong, each with a `kind` (`cancelled`, `log`, `run`, or the LLLM error's class name).
 */
export interface RunJson {
  readonly session: string | null;
  readonly status: 'completed' | 'failed' | 'cancelled';
  readonly system: string | null;
  readonly scripted: boolean;
  readonly result: unknown;
  readonly cost: { readonly totalUsd: number; readonly known: boolean };
  readonly tokens: { readonly input: number; readonly output: number };
  readonly elapsedMs: number;
  readonly log: { readonly type: string; readonly directory: string; readonly written: boolean } | null;
  readonly errors: readonly { readonly kind: string; readonly message: string }[];
}

/** An error's kind in the JSON document: the LLLM error's class name (`ConfigError`, `AgentCallError`, …), or `run`. */
function errorKind(error: unknown): string {
  return LllmError.isInstance(error) ? error.name : 'run';
}

export async function commandRun(words: readonly string[], options: RunOptions, io: Io): Promise<number> {
  const task = words.join(' ').trim();
  if (!task) throw new UsageError('lllm run needs a task: lllm run "Summarise the report"');
  // --timeout <ms>: the per-request limit of every agent, over timeout_ms in the config (0: none).
  const timeoutMs = options.timeout === undefined || !/^\d+$/.test(options.timeout) ? undefined : Number(options.timeout);
  if (options.timeout !== undefined && timeoutMs === undefined) {
    throw new UsageError(
      `--timeout takes milliseconds (a whole number >= 0, 0 for no limit), got ${JSON.stringify(options.timeout)}: e.g. --timeout 300000`,
    );
  }
  const json = options.json ?? false;
  const paint = painter(io.stderr, io.env);
  const started = Date.now();
  // With --json, a failure before the run still yields one JSON document.
  const failEarly = (error: unknown): never => {
    if (json && LllmError.isInstance(error)) {
      printJson(io, {
        session: null,
        status: 'failed',
        system: null,
        scripted: false,
        result: null,
        cost: { totalUsd: 0, known: true },
        tokens: { input: 0, output: 0 },
        elapsedMs: Date.now() - started,
        log: null,
        errors: [{ kind: errorKind(error), message: messageOf(error) }],
      } satisfies RunJson);
    }
    throw error;
  };
  let setup: Awaited<ReturnType<typeof prepare>>;
  try {
    setup = await prepare(task, options, timeoutMs, io, paint);
  } catch (error) {
    return failEarly(error);
  }
  if (typeof setup === 'number') return setup;
  const { config, system, log, session, scripted, progress, stream } = setup;
  const spinner = stream.spinner(`${scripted ? `[${SCRIPTED_LABEL}] ` : ''}${config.name} (${config.agent_type}) is working…`);
  progress.attach(spinner);
  const reportLogFailure = (failure: unknown) =>
    note(
      io,
      `lllm: the ${config.log_type} log in ${config.log_dir} could not be written, so session ${session} is incomplete: ${messageOf(failure)}`,
    );
  const document = (status: RunJson['status'], result: unknown, errors: RunJson['errors'], written: boolean): RunJson => {
    const totals = progress.totals;
    return {
      session,
      status,
      system: config.name,
      scripted,
      result: status === 'completed' ? (redactSecrets(result) ?? null) : null,
      cost: { totalUsd: totals.cost.totalUsd, known: totals.cost.known },
      tokens: { input: totals.inputTokens, output: totals.outputTokens },
      elapsedMs: Date.now() - started,
      log: { type: config.log_type, directory: config.log_dir, written },
      errors,
    };
  };
  let run: Awaited<ReturnType<typeof system.run>>;
  try {
    // The agents' tooling (an API interpreter's sandbox session) is released whatever the run did.
    run = await cancellable((signal) => system.run(task, { session, signal })).finally(() =>
      system.close().catch((error) => note(io, `warning: could not release the agents' tools: ${messageOf(error)}`)),
    );
    progress.detach();
    spinner.stop('success', `${config.name} finished · ${progress.status()}`);
  } catch (error) {
    progress.detach();
    const signal = signalOf(error);
    spinner.stop(signal ? 'cancelled' : 'failure', `${config.name} ${signal ? `cancelled by ${signal}` : 'failed'} · ${progress.status()}`);
    writeSessionEnd(
      log,
      session,
      signal ? 'cancelled' : 'failed',
      signal ?? redactString(error instanceof Error ? error.message : String(error)),
    );
    const logFailure = await closeLog(log);
    if (logFailure !== undefined) reportLogFailure(logFailure);
    const errors = [
      { kind: signal ? 'cancelled' : errorKind(error), message: signal ? `cancelled by ${signal}` : messageOf(error) },
      ...(logFailure === undefined ? [] : [{ kind: 'log', message: messageOf(logFailure) }]),
    ];
    if (json) printJson(io, document(signal ? 'cancelled' : 'failed', undefined, errors, logFailure === undefined));
    if (signal) {
      note(io, `lllm: cancelled by ${signal}; what ran so far is logged: lllm replay ${session}`);
      const code = SIGNAL_EXIT[signal] ?? 1;
      // Work that ignores the abort (a project's own code) must not keep the process alive.
      setTimeout(() => process.exit(code), 2000).unref();
      return code;
    }
    if (LllmError.isInstance(error)) {
      note(io, `lllm: ${messageOf(error)}`);
    } else {
      // A throw from the system's own run() is a bug in the project, not in lllm: say where it came from.
      note(
        io,
        `lllm: agent_type "${config.agent_type}" failed in its run(): ${shown(error instanceof Error ? (error.stack ?? error.message) : String(error))}`,
      );
    }
    note(io, `lllm: session ${session} failed; see what happened with: lllm replay ${session}`);
    return 1;
  }
  writeSessionEnd(log, session, 'completed');
  // The result is paid for: it is printed whatever happens to the log.
  const logFailure = await closeLog(log);
  if (json) {
    printJson(
      io,
      document('completed', run.result, logFailure === undefined ? [] : [{ kind: 'log', message: messageOf(logFailure) }], !logFailure),
    );
  } else {
    line(io, scripted ? `Result (${SCRIPTED_LABEL}):` : 'Result:');
    // Redact the value, then serialize: JSON escapes every control character, and no regex ever edits JSON text.
    line(io, JSON.stringify(redactSecrets(run.result), null, 2) ?? 'undefined');
    line(
      io,
      `Cost: $${run.cost.totalUsd.toFixed(6)}${run.cost.known ? '' : ' (some models have no price card)'}${scripted ? ' (scripted: no real spend)' : ''}`,
    );
  }
  if (logFailure !== undefined) {
    reportLogFailure(logFailure);
    return EXIT_LOG_FAILED;
  }
  const where = `Session: ${shown(run.session)} (${config.log_type} log in ${config.log_dir}; see it with: lllm replay ${shown(run.session)})`;
  if (json) note(io, where);
  else line(io, where);
  return 0;
}

async function prepare(task: string, options: RunOptions, timeoutMs: number | undefined, io: Io, paint: ReturnType<typeof painter>) {
  const project = await loadProject({ cwd: io.cwd, strict: options.strict ?? false, env: io.env });
  for (const warning of project.report.warnings) note(io, `warning: ${shown(warning)}`);
  const loaded = loadConfig(project, options.config);
  // Dependency packages the config names (`agent_type: kit:desk`, `activate_proxies: [kit:fred]`) load now, lazily.
  await loadSystemPackages(loaded);
  // Python LLLM keys accepted, an agent_type filled in, a reasoning model's temperature left out: one line each.
  for (const configNote of loaded.notes) note(io, `${configNote.severity}: ${shown(configNote.message)}`);
  const definition = getAgentType(loaded.agent_type);
  const { config, notices, warnings, missing } = chooseProviders(loaded, definition.agentGroup, io.env, {
    model: options.model,
    provider: options.provider,
  });
  for (const notice of notices) note(io, `note: ${notice}`);
  for (const warning of warnings) note(io, `warning: ${warning}`);
  let scripted = false;
  if (missing.length > 0) {
    const needs = [...new Set(missing.map((name) => providerHint(loaded.agent_configs[name]?.api_type ?? 'completion')))];
    note(
      io,
      `No model provider is configured for ${missing.map((name) => `"${name}"`).join(', ')}: set ${needs.join(' and ')} to use a real model.`,
    );
    if (!definition.offline) {
      note(io, `agent_type "${config.agent_type}" has no scripted offline replies, so it cannot run without a provider.`);
      return 1;
    }
    scripted = true;
    note(io, `Running on a ${SCRIPTED_LABEL} instead: its replies are fixed, not generated.`);
  }
  const proxy = proxyRuntimeFor(config, { env: io.env, warn: (message) => note(io, `warning: ${shown(message)}`) });
  const tty = Boolean(io.stderr.isTTY);
  const progress = new RunProgress({ stderr: io.stderr, tty, paint, label: config.name });
  const log = new RunLog(
    await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options }),
    (collection, data) => progress.observe(collection, data),
  );
  const offline = scripted ? (definition.offline?.(task) ?? {}) : {};
  // The session is named before the run so what the terminal shows is logged to it too (frontend).
  const session = newSessionName(config.name, options.session);
  note(io, paint('dim', `session ${session}`));
  // Everything the run shows while it works goes to stderr: stdout is the result alone.
  const stream = new ConsoleStream({
    output: io.stderr,
    silent: options.quiet ?? false,
    color: colorEnabled(io.stderr, io.env),
    log: { store: log, session },
  });
  const system = await buildAgent(config, {
    promptLookup: getPrompt,
    log,
    stream,
    ...(timeoutMs === undefined ? {} : { agentOptions: { timeoutMs } }),
    ...(proxy ? { services: { proxy } } : {}),
    ...(scripted ? { invokerFor: (name: string) => createScriptedInvoker([...(offline[name] ?? [])], { name: 'scripted' }) } : {}),
  });
  return { config, system, log, session, scripted, progress, stream };
}
