// `lllm batch <tactic> --queue redis://… --input items.jsonl`: one BullMQ job per input on Redis,
// run by `lllm worker` processes anywhere; the results stream back into --output (or stdout) and
// the log. `lllm batch status <id> --queue redis://…`: done, failed, in flight, per worker, cost.
// @lllm/queue is loaded only here, so a project without it still runs `lllm batch` locally.
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AbortError,
  BATCH_OUTCOME_EVENT,
  type BatchProgress,
  batchSession,
  createLogStore,
  type JsonObject,
  LllmError,
  LogBatchOutcomeStore,
  redactString,
} from '@lllm/core';
import {
  BATCH_ARG_OPTIONS,
  type BatchIo,
  BatchUsageError,
  loadTacticConfig,
  positiveNumber,
  progressLine,
  readInputs,
  resultLine,
} from './batch.js';
import { RunLog } from './runtime.js';

type QueueModule = typeof import('@lllm/queue');
type BatchStatus = import('@lllm/queue').BatchStatus;

export const BATCH_QUEUE_USAGE = `lllm batch <tactic> --queue redis://host:6379 --input items.jsonl [--output results.jsonl]
      [--max-cost USD] [--resume ID] [--rpm N] [--tpm N] [--config <name|file.yaml>] [--quiet]
  Queues one job per input on Redis (BullMQ) and streams the results back as workers finish them.
  Run the jobs with lllm worker <tactic> --queue redis://… on any number of processes or machines.
  The spend cap and rate limits hold across all workers. Stopping this command leaves the batch
  running; the same command again (or --resume ID) picks it up without running anything twice.
lllm batch status [<id>] --queue redis://host:6379 [--json]
  Done, failed, skipped, in flight, per worker, and the cost so far (no id: one line per batch).`;

/** `@lllm/queue` is not installed next to the CLI. */
export class QueuePackageMissingError extends LllmError {
  constructor(cause: unknown) {
    super('lllm batch --queue and lllm worker need @lllm/queue: npm install @lllm/queue (it brings BullMQ; you also need a Redis).', {
      cause,
    });
    this.name = 'QueuePackageMissingError';
  }
}

/** Import `@lllm/queue` (or the module named by `LLLM_QUEUE_MODULE`, for tests); a typed error naming the install when it is missing. */
export async function loadQueueModule(env: NodeJS.ProcessEnv = process.env): Promise<QueueModule> {
  const specifier = env.LLLM_QUEUE_MODULE || '@lllm/queue';
  try {
    return (await import(specifier)) as QueueModule;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new QueuePackageMissingError(error);
    throw error;
  }
}

/** `lllm batch --queue …` and `lllm batch status …`: the exit code. */
export async function commandBatchQueue(args: string[], io: BatchIo): Promise<number> {
  try {
    return args[0] === 'status' ? await statusCommand(args.slice(1), io) : await submitCommand(args, io);
  } catch (error) {
    if (!(error instanceof BatchUsageError)) throw error;
    io.stderr.write(`lllm: ${error.message}\n\nUsage: ${BATCH_QUEUE_USAGE}\n`);
    return 2;
  }
}

function needQueue(url: string | undefined, example: string): string {
  if (!url)
    throw new BatchUsageError(`${example} needs --queue redis://host:6379 (the Redis that holds the batch).`, { argument: '--queue' });
  return url;
}

async function submitCommand(args: string[], io: BatchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...BATCH_ARG_OPTIONS, queue: { type: 'string' } },
  });
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0)
    throw new BatchUsageError('lllm batch needs one tactic name: lllm batch summarize --queue redis://127.0.0.1:6379 --input items.jsonl', {
      argument: 'tactic',
    });
  const url = needQueue(values.queue, 'lllm batch --queue');
  if (!values.input) throw new BatchUsageError('lllm batch needs --input <file.jsonl> (one JSON input per line).', { argument: '--input' });
  if (values.concurrency !== undefined)
    throw new BatchUsageError(
      `With --queue, each worker sets its concurrency: lllm worker ${name} --queue <url> --concurrency ${values.concurrency}`,
      {
        argument: '--concurrency',
      },
    );
  if (values['provider-batch'] || values['poll-ms'] !== undefined)
    throw new BatchUsageError('--provider-batch runs a batch in one process (the provider batches its requests): use it without --queue.', {
      argument: values['provider-batch'] ? '--provider-batch' : '--poll-ms',
    });
  const maxCostUsd = positiveNumber('--max-cost', values['max-cost'], false);
  const rpm = positiveNumber('--rpm', values.rpm, true);
  const tpm = positiveNumber('--tpm', values.tpm, true);
  const inputs = readInputs(resolve(io.cwd, values.input));
  const queueModule = await loadQueueModule(io.env);

  // The tactic must exist here too (a typo fails now, not on every worker), and its config names the log.
  const { config } = await loadTacticConfig(name, values, io);

  const queue = await queueModule.BatchQueue.connect(url);
  const log = new RunLog(await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options }));
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

  let progress: BatchProgress | undefined;
  let lastShown = 0;
  const tty = Boolean(io.stderr.isTTY);
  const show = (force = false) => {
    if (values.quiet || !progress) return;
    const now = Date.now();
    if (!force && now - lastShown < (tty ? 100 : 2_000)) return;
    lastShown = now;
    io.stderr.write(tty ? `\r${progressLine(progress)}\u001b[K` : `${progressLine(progress)}\n`);
  };
  let id = values.resume ?? queueModule.defaultBatchId(name, inputs);
  let failed = 0;
  let total = 0;
  let idleCheck: NodeJS.Timeout | undefined;
  try {
    // What the log kept is not paid for again, even if Redis lost it (a restart without persistence).
    const outcomes = new LogBatchOutcomeStore(log);
    const logged = await outcomes.load(id);
    const batch = await queue.enqueue(name, inputs, {
      id,
      known: logged,
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
      ...(rpm !== undefined || tpm !== undefined ? { rateLimits: { requestsPerMinute: rpm, tokensPerMinute: tpm } } : {}),
    });
    id = batch.id;
    io.stderr.write(
      `lllm: batch ${id}: ${batch.total} inputs, ${batch.enqueued} queued on ${queueModule.displayUrl(url)}${
        batch.resumed.length > 0 ? `, ${batch.resumed.length} kept from earlier runs` : ''
      } (resume with --resume ${id}). Run them with: lllm worker ${name} --queue <url>\n`,
    );
    const started = Date.now();
    const session = batchSession(id);
    let unflushed = 0;
    let flushedAt = Date.now();
    let fresh = 0;
    const counts = { done: 0, failed: 0, skipped: 0, resumed: 0, tokens: 0, spentPico: 0 };
    // No worker on the tactic's queue: say how to start one (once a minute while none is there).
    let noticedAt = 0;
    idleCheck = setInterval(() => {
      if (Date.now() - noticedAt < 60_000) return;
      void queue
        .queue(name)
        .getWorkers()
        .then((workers) => {
          if (workers.length > 0 || controller.signal.aborted) return;
          noticedAt = Date.now();
          io.stderr.write(
            `lllm: no worker is running ${name} jobs yet: start one with lllm worker ${name} --queue <url> (here or on another machine).\n`,
          );
        })
        .catch(() => {});
    }, 5_000);
    idleCheck.unref();
    for await (const { outcome, resumed } of queue.results(batch, { signal: controller.signal })) {
      total += 1;
      if (!outcome.ok) failed += 1;
      counts[outcome.status] += 1;
      if (resumed) counts.resumed += 1;
      else {
        fresh += 1;
        counts.tokens += outcome.tokens;
        counts.spentPico += outcome.costPicoUsd;
      }
      write(resultLine(queueModule.toBatchOutcome(outcome, resumed)));
      const previous = logged.get(outcome.index);
      if (!previous || previous.at !== outcome.at || previous.session !== outcome.session) {
        // Redis keeps the outcome durably already: the log's copy is flushed in groups, not one by one
        // (one round trip per outcome to a shared PostgreSQL would pace the whole batch).
        log.write('messages', session, { event: BATCH_OUTCOME_EVENT, ...queueModule.toStoredOutcome(outcome) } as unknown as JsonObject);
        unflushed += 1;
        if (unflushed >= 200 || Date.now() - flushedAt > 1_000) {
          await log.flush();
          unflushed = 0;
          flushedAt = Date.now();
        }
      }
      const left = batch.total - total;
      const elapsed = Date.now() - started;
      progress = {
        id,
        total: batch.total,
        done: counts.done,
        failed: counts.failed,
        skipped: counts.skipped,
        inFlight: 0,
        resumed: counts.resumed,
        tokens: counts.tokens,
        spentUsd: counts.spentPico / 1e12,
        etaMs: fresh > 0 ? Math.round((elapsed / fresh) * left) : undefined,
      };
      show();
    }
  } catch (error) {
    if (!AbortError.isInstance(error) || !stoppedBy) throw error;
  } finally {
    clearInterval(idleCheck);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    show(true);
    if (tty && !values.quiet) io.stderr.write('\n');
    if (output) await new Promise<void>((done) => output.end(done));
    await queue.close().catch(() => {});
    await log.close().catch((error: unknown) => {
      io.stderr.write(
        `lllm: the ${config.log_type} log could not be written: ${redactString(error instanceof Error ? error.message : String(error))}\n`,
      );
    });
  }
  if (stoppedBy) {
    io.stderr.write(
      `lllm: stopped reading batch ${id} (${stoppedBy}); the workers go on with it. The same command (or --resume ${id}) reads the rest.\n`,
    );
    return stoppedBy === 'SIGINT' ? 130 : 143;
  }
  const spent = progress ? `$${progress.spentUsd.toFixed(6)}` : '$0';
  io.stderr.write(
    `lllm: batch ${id}: ${total - failed} succeeded, ${failed} failed or skipped, spent ${spent}${progress && progress.skipped > 0 ? ` (the spend cap of $${maxCostUsd} was reached)` : ''}.\n`,
  );
  return failed === 0 ? 0 : 1;
}

async function statusCommand(args: string[], io: BatchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { queue: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [id, ...extra] = positionals;
  if (extra.length > 0)
    throw new BatchUsageError(
      'lllm batch status takes one batch id (lllm batch prints it): lllm batch status echo-1a2b --queue redis://…',
      {
        argument: 'id',
      },
    );
  const url = needQueue(values.queue, 'lllm batch status');
  const { BatchQueue } = await loadQueueModule(io.env);
  const queue = await BatchQueue.connect(url);
  try {
    if (id) {
      const status = await queue.status(id);
      io.stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : statusTable(status));
    } else {
      // No id: every batch the Redis holds, newest first, one line each.
      const all = [];
      for (const batchId of await queue.batches()) all.push(await queue.status(batchId));
      io.stdout.write(
        values.json
          ? `${JSON.stringify({ batches: all }, null, 2)}\n`
          : all.length === 0
            ? 'No batches in this Redis.\n'
            : `${all.map((status) => `${status.id}  ${status.tactic}  ${status.done + status.failed + status.skipped}/${status.total} finished  done ${status.done}  failed ${status.failed}  skipped ${status.skipped}  in flight ${status.inFlight}  $${status.spentUsd.toFixed(6)}`).join('\n')}\n`,
      );
    }
  } finally {
    await queue.close().catch(() => {});
  }
  return 0;
}

/** The human form of `lllm batch status`. */
export function statusTable(status: BatchStatus): string {
  const money = (usd: number) => `$${usd.toFixed(6)}`;
  const finished = status.done + status.failed + status.skipped;
  const lines = [
    `batch ${status.id}  tactic ${status.tactic}  ${finished}/${status.total} finished`,
    `done ${status.done}  failed ${status.failed}  skipped ${status.skipped}  in flight ${status.inFlight}  waiting ${status.pending}`,
    `spent ${money(status.spentUsd)}${status.maxCostUsd === undefined ? '' : ` of ${money(status.maxCostUsd)}`}  tokens ${status.tokens}  workers connected ${status.connectedWorkers}`,
    '',
  ];
  const rows = [
    ['worker', 'done', 'failed', 'skipped', 'in flight', 'spent'],
    ...status.workers.map((worker) => [
      worker.name,
      String(worker.done),
      String(worker.failed),
      String(worker.skipped),
      String(worker.inFlight),
      money(worker.spentUsd),
    ]),
  ];
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows)
    lines.push(
      row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  '),
    );
  if (status.workers.length === 0) lines.push('(no worker has recorded an outcome yet)');
  return `${lines.join('\n')}\n`;
}
