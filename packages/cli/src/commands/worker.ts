// `lllm worker <tactic> --queue redis://…`: run a distributed batch's jobs in this process, with the
// provider budgets kept in Redis (shared by every worker). Ctrl+C (or SIGTERM) stops taking jobs and
// waits for the running ones; a second signal leaves at once (BullMQ gives those jobs to another worker).
import { redactString, setProviderBudget } from '@lllm/core';
import { BatchUsageError, loadTactic, positiveNumber } from '../batch.js';
import { loadQueueModule } from '../batch-queue.js';
import type { Io } from '../io.js';

/** The options commander parsed. */
export interface WorkerOptions {
  readonly queue?: string;
  readonly concurrency?: string;
  readonly config?: string;
  readonly name?: string;
  readonly lockMs?: string;
  readonly strict?: boolean;
  readonly quiet?: boolean;
}

/** `lllm worker`: the exit code (130 / 143 once stopped by SIGINT / SIGTERM, 2 bad usage). */
export async function commandWorker(tactic: string, options: WorkerOptions, io: Io): Promise<number> {
  let concurrency: number;
  let lockDurationMs: number | undefined;
  try {
    if (!options.queue)
      throw new BatchUsageError('lllm worker needs --queue redis://host:6379 (the Redis that holds the batches).', { argument: '--queue' });
    concurrency = positiveNumber('--concurrency', options.concurrency, true) ?? 8;
    lockDurationMs = positiveNumber('--lock-ms', options.lockMs, true);
  } catch (error) {
    if (!(error instanceof BatchUsageError)) throw error;
    io.stderr.write(`lllm: ${error.message}\nRun lllm worker --help for usage.\n`);
    return 2;
  }
  const url = options.queue;
  const queueModule = await loadQueueModule(io.env);
  const queue = await queueModule.BatchQueue.connect(url);
  // Before the tactic is built: its invokers take the process-wide budget when they are made.
  const budget = new queueModule.RedisProviderBudget(queue.redis);
  setProviderBudget(budget);
  const loaded = await loadTactic(tactic, options, io);
  if (typeof loaded === 'number') {
    await queue.close();
    return loaded;
  }
  const { log } = loaded;
  const counts = { done: 0, failed: 0, skipped: 0 };
  let lastShown = 0;
  const worker = queue.work({
    tactic: loaded.tactic,
    concurrency,
    ...(options.name ? { name: options.name } : {}),
    ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
    budget,
    budgetKeys: Object.values(loaded.tactic.budgetKeys()),
    onOutcome: (outcome) => {
      counts[outcome.status] += 1;
      if (options.quiet || Date.now() - lastShown < 2_000) return;
      lastShown = Date.now();
      io.stderr.write(`worker ${worker.name}: done ${counts.done}  failed ${counts.failed}  skipped ${counts.skipped}\n`);
    },
    onError: (error) => io.stderr.write(`lllm: worker: ${redactString(error instanceof Error ? error.message : String(error))}\n`),
  });
  io.stderr.write(
    `lllm: worker ${worker.name} runs ${tactic} jobs from ${queueModule.displayUrl(url)} (concurrency ${concurrency}); Ctrl+C stops it after the running jobs.\n`,
  );
  const stoppedBy = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await worker.close();
  await loaded.tactic.close().catch((error: unknown) => {
    io.stderr.write(
      `lllm: warning: could not release the agents' tools: ${redactString(error instanceof Error ? error.message : String(error))}\n`,
    );
  });
  await budget.settled();
  await queue.close().catch(() => {});
  await log.close().catch((error: unknown) => {
    io.stderr.write(`lllm: the log could not be written: ${redactString(error instanceof Error ? error.message : String(error))}\n`);
  });
  io.stderr.write(
    `lllm: worker ${worker.name} stopped by ${stoppedBy}: done ${counts.done}, failed ${counts.failed}, skipped ${counts.skipped}.\n`,
  );
  return stoppedBy === 'SIGINT' ? 130 : 143;
}
