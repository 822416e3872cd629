// `lllm batch <tactic> --input items.jsonl`: one tactic call per JSONL line, within a concurrency
// limit, the provider budgets and a spend cap; resumable by id; progress on stderr, results as JSONL.
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { anthropicBatchSubmitter, createAnthropic } from '@lllm/anthropic';
import {
  AbortError,
  type BatchOutcome,
  type BatchProgress,
  type BatchSubmitter,
  buildTactic,
  ConfigError,
  createLogStore,
  getTactic,
  InvalidArgumentError,
  loadPackageReferences,
  providerBudget,
  redactSecrets,
  redactString,
  registerTacticDiscovery,
} from '@lllm/core';
import { createOpenAI, openaiBatchSubmitter } from '@lllm/openai';
import { getPrompt } from '@lllm/prompts';
import { chooseProviders, loadConfig, loadProject, providerHint, proxyRuntimeFor, RunLog } from './runtime.js';

/** Where the command writes (the CLI's `Io`). */
export interface BatchIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export const BATCH_USAGE = `lllm batch <tactic> --input items.jsonl [--output results.jsonl] [--concurrency N] [--max-cost USD]
      [--resume ID] [--config <name|file.yaml>] [--rpm N] [--tpm N] [--provider-batch [--poll-ms N]] [--quiet]
  One tactic call per input line (JSON). Results are JSONL lines {index, ok, value | error, costUsd, session}
  as calls finish (earlier runs' results first) on stdout or --output. Progress on stderr. The batch id is
  printed; the same id and inputs (--resume ID) skip the inputs that already succeeded. --provider-batch sends
  each call's first request through the OpenAI / Anthropic batch APIs (half price, slower; polled every
  --poll-ms, default 10000); replies that fail to parse are retried live.
  With --queue redis://…: one job per input on Redis, run by lllm worker processes (lllm batch --queue x --help).`;

/** A mistake in the command line or input file: the CLI prints it with the usage, exit 2. */
export class BatchUsageError extends InvalidArgumentError {}

export function positiveNumber(flag: string, value: string | undefined, whole: boolean): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || (whole && (!Number.isInteger(number) || number < 1))) {
    throw new BatchUsageError(
      `${flag} takes ${whole ? 'a whole number >= 1' : 'a number >= 0'}, got ${JSON.stringify(value)}: e.g. ${flag} ${whole ? '8' : '2.5'}`,
      { argument: flag },
    );
  }
  return number;
}

/** Parse a JSONL file of inputs; a bad line is an error naming its number and text. */
export function readInputs(file: string): unknown[] {
  if (!existsSync(file)) throw new BatchUsageError(`The input file ${file} does not exist.`, { argument: '--input' });
  const inputs: unknown[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [index, text] of lines.entries()) {
    if (text.trim() === '') continue;
    try {
      inputs.push(JSON.parse(text));
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `${file}:${index + 1} is not JSON (${detail}): ${JSON.stringify(text.slice(0, 120))}. Write one JSON value per line (a string input is "quoted").`,
        { file },
      );
    }
  }
  return inputs;
}

/** One result line. */
export function resultLine(outcome: BatchOutcome<unknown>): string {
  const common = { index: outcome.index, costUsd: outcome.cost.totalUsd, session: outcome.session ?? null, resumed: outcome.resumed };
  const kind = outcome.ok ? undefined : (outcome.error as unknown as { kind?: unknown }).kind;
  const record = outcome.ok
    ? { ...common, ok: true, value: outcome.value ?? null }
    : {
        ...common,
        ok: false,
        error: { name: outcome.error.name, message: redactString(outcome.error.message), ...(typeof kind === 'string' ? { kind } : {}) },
      };
  return `${JSON.stringify(redactSecrets(record))}\n`;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '--';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The progress line: a bar, done/failed/in flight, tokens, cost, ETA. */
export function progressLine(progress: BatchProgress, width = 20): string {
  const finished = progress.done + progress.failed + progress.skipped;
  const filled = progress.total === 0 ? width : Math.round((finished / progress.total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return `[${bar}] ${finished}/${progress.total}  done ${progress.done}  failed ${progress.failed}  in flight ${progress.inFlight}${
    progress.skipped ? `  skipped ${progress.skipped}` : ''
  }${progress.resumed ? `  resumed ${progress.resumed}` : ''}  tokens ${progress.tokens}  $${progress.spentUsd.toFixed(4)}  ETA ${duration(progress.etaMs)}`;
}

/**
 * The batch APIs of the providers the environment configures (`--provider-batch`): OpenAI's (or an
 * OpenAI-compatible server's at OPENAI_BASE_URL) for `completion` agents, Anthropic's for `anthropic` ones.
 */
function providerBatchSubmitters(env: NodeJS.ProcessEnv, pollIntervalMs: number | undefined): BatchSubmitter[] {
  const poll = pollIntervalMs === undefined ? {} : { pollIntervalMs };
  const submitters: BatchSubmitter[] = [];
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    const openai = createOpenAI({
      ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      ...(env.OPENAI_API_KEY ? {} : { apiKey: 'local' }),
    });
    submitters.push(openaiBatchSubmitter(openai.client, poll));
  }
  if (env.ANTHROPIC_API_KEY) submitters.push(anthropicBatchSubmitter(createAnthropic().client, poll));
  return submitters;
}

/**
 * Discover the project (its warnings on stderr), find the tactic — loading the packages it and its
 * sub-tactics come from — and load its config (`--config`, else `config/<tactic>/`).
 */
export async function loadTacticConfig(
  name: string,
  values: { readonly config?: string | undefined; readonly strict?: boolean | undefined },
  io: BatchIo,
): Promise<{ definition: ReturnType<typeof getTactic>; config: ReturnType<typeof loadConfig> }> {
  registerTacticDiscovery();
  const project = await loadProject({ cwd: io.cwd, strict: values.strict ?? false, env: io.env });
  for (const warning of project.report.warnings) io.stderr.write(`warning: ${redactString(warning)}\n`);
  // `lllm batch kit:summarize`, and sub-tactics from packages: their packages load before the names are looked up.
  await loadPackageReferences([name]);
  const definition = getTactic(name);
  await loadPackageReferences(Object.values(definition.tactics ?? {}).filter((sub): sub is string => typeof sub === 'string'));
  const configName = values.config ?? (existsSync(join(project.root, 'config', name, 'default.yaml')) ? name : undefined);
  return { definition, config: loadConfig(project, configName) };
}

/** The options `lllm batch` parses, with or without `--queue`. */
export const BATCH_ARG_OPTIONS = {
  input: { type: 'string' },
  output: { type: 'string' },
  concurrency: { type: 'string' },
  'max-cost': { type: 'string' },
  resume: { type: 'string' },
  config: { type: 'string' },
  rpm: { type: 'string' },
  tpm: { type: 'string' },
  quiet: { type: 'boolean' },
  strict: { type: 'boolean' },
  'provider-batch': { type: 'boolean' },
  'poll-ms': { type: 'string' },
} as const;

/**
 * Discover the project, load the tactic's config (`--config`, else `config/<tactic>/`), choose the
 * providers and build the tactic with a log: shared by `lllm batch` and `lllm worker`. A number is
 * the exit code of a setup problem already reported on stderr.
 */
export async function loadTactic(
  name: string,
  values: { readonly config?: string | undefined; readonly strict?: boolean | undefined },
  io: BatchIo,
): Promise<{ tactic: Awaited<ReturnType<typeof buildTactic>>; log: RunLog; config: ReturnType<typeof loadConfig> } | number> {
  const { definition, config: loaded } = await loadTacticConfig(name, values, io);
  const group = new Set<string>(definition.agents);
  for (const sub of Object.values(definition.tactics ?? {}))
    for (const agent of (typeof sub === 'string' ? getTactic(sub) : sub).agents) group.add(agent);
  const { config, notices, missing } = chooseProviders(loaded, [...group], io.env);
  for (const notice of notices) io.stderr.write(`note: ${notice}\n`);
  if (missing.length > 0) {
    const needs = [...new Set(missing.map((agent) => providerHint(loaded.agent_configs[agent]?.api_type ?? 'completion')))];
    io.stderr.write(
      `lllm: no model provider is configured for ${missing.map((agent) => `"${agent}"`).join(', ')}: set ${needs.join(' and ')}.\n`,
    );
    return 1;
  }
  const log = new RunLog(await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options }));
  // Agents with a `proxy:` config (the API interpreter) and tactics that call proxies get the system's runtime.
  const proxy = proxyRuntimeFor(config, { env: io.env, warn: (message) => io.stderr.write(`warning: ${redactString(message)}\n`) });
  const tactic = await buildTactic(config, { tactic: definition, promptLookup: getPrompt, log, ...(proxy ? { services: { proxy } } : {}) });
  return { tactic, log, config };
}

/** `lllm batch`: returns the exit code (0 every input succeeded, 1 some failed or were skipped, 2 bad usage, 130/143 stopped). */
export async function commandBatch(args: string[], io: BatchIo): Promise<number> {
  try {
    return await runBatchCommand(args, io);
  } catch (error) {
    if (!(error instanceof BatchUsageError)) throw error;
    io.stderr.write(`lllm: ${error.message}\n\nUsage: ${BATCH_USAGE}\n`);
    return 2;
  }
}

async function runBatchCommand(args: string[], io: BatchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: BATCH_ARG_OPTIONS,
  });
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0)
    throw new BatchUsageError('lllm batch needs one tactic name: lllm batch summarize --input items.jsonl', { argument: 'tactic' });
  if (!values.input) throw new BatchUsageError('lllm batch needs --input <file.jsonl> (one JSON input per line).', { argument: '--input' });
  const concurrency = positiveNumber('--concurrency', values.concurrency, true) ?? 8;
  const maxCostUsd = positiveNumber('--max-cost', values['max-cost'], false);
  const rpm = positiveNumber('--rpm', values.rpm, true);
  const tpm = positiveNumber('--tpm', values.tpm, true);
  const pollMs = positiveNumber('--poll-ms', values['poll-ms'], true);
  const inputs = readInputs(resolve(io.cwd, values.input));

  const loaded = await loadTactic(name, values, io);
  if (typeof loaded === 'number') return loaded;
  const { tactic, log, config } = loaded;
  if (rpm !== undefined || tpm !== undefined) {
    for (const key of new Set(Object.values(tactic.budgetKeys())))
      providerBudget().setLimits(key, { requestsPerMinute: rpm, tokensPerMinute: tpm });
  }

  const output = values.output ? createWriteStream(resolve(io.cwd, values.output)) : undefined;
  const write = (text: string) => (output ? output.write(text) : io.stdout.write(text));
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    stoppedBy = signal;
    controller.abort(new AbortError(`Cancelled by ${signal}.`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const tty = Boolean(io.stderr.isTTY);
  let lastShown = 0;
  let last: BatchProgress | undefined;
  const show = (progress: BatchProgress, force = false) => {
    last = progress;
    if (values.quiet) return;
    const now = Date.now();
    if (!force && now - lastShown < (tty ? 100 : 2_000)) return;
    lastShown = now;
    io.stderr.write(tty ? `\r${progressLine(progress)}\u001b[K` : `${progressLine(progress)}\n`);
  };

  let idShown = false;
  let failed = 0;
  let total = 0;
  try {
    for await (const outcome of tactic.stream(inputs, {
      concurrency,
      signal: controller.signal,
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
      ...(values.resume ? { id: values.resume } : {}),
      ...(values['provider-batch'] ? { providerBatch: providerBatchSubmitters(io.env, pollMs) } : {}),
      onProgress: (progress) => {
        if (!idShown) {
          idShown = true;
          io.stderr.write(`lllm: batch ${progress.id}: ${progress.total} inputs (resume with --resume ${progress.id})\n`);
        }
        show(progress);
      },
    })) {
      total += 1;
      if (!outcome.ok) failed += 1;
      write(resultLine(outcome));
    }
  } catch (error) {
    if (!AbortError.isInstance(error) || !stoppedBy) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (last) show(last, true);
    if (tty && !values.quiet) io.stderr.write('\n');
    if (output) await new Promise<void>((resolve) => output.end(resolve));
    // The agents' tooling (an API interpreter's sandbox session) is released whatever the batch did.
    await tactic.close().catch((error: unknown) => {
      io.stderr.write(
        `lllm: warning: could not release the agents' tools: ${redactString(error instanceof Error ? error.message : String(error))}\n`,
      );
    });
    await log.close().catch((error: unknown) => {
      io.stderr.write(
        `lllm: the ${config.log_type} log could not be written: ${redactString(error instanceof Error ? error.message : String(error))}\n`,
      );
    });
  }
  if (stoppedBy) {
    io.stderr.write(
      `lllm: batch stopped by ${stoppedBy}; finished results are logged: run the same command with --resume ${last?.id ?? ''} to finish.\n`,
    );
    return stoppedBy === 'SIGINT' ? 130 : 143;
  }
  const spent = last ? `$${last.spentUsd.toFixed(6)}` : '$0';
  io.stderr.write(
    `lllm: batch ${last?.id ?? ''}: ${total - failed} succeeded, ${failed} failed or skipped, spent ${spent}${last && last.skipped > 0 ? ` (the spend cap of $${maxCostUsd} was reached)` : ''}.\n`,
  );
  return failed === 0 ? 0 : 1;
}
