import type { Redis } from 'ioredis';
import { batchKeys } from './keys.js';

/** One worker's share of a batch. */
export interface WorkerStatus {
  readonly name: string;
  readonly done: number;
  readonly failed: number;
  readonly skipped: number;
  /** Inputs it is running now (a killed worker's stay here until another worker picks them up). */
  readonly inFlight: number;
  readonly spentUsd: number;
}

/** The progress of a distributed batch. */
export interface BatchStatus {
  readonly id: string;
  readonly tactic: string;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  /** Inputs the spend cap kept from starting. */
  readonly skipped: number;
  readonly inFlight: number;
  /** Inputs with no outcome and not running (waiting in the queue, or retried after a worker died). */
  readonly pending: number;
  readonly spentUsd: number;
  readonly maxCostUsd: number | undefined;
  /** Input + output tokens of the calls made. */
  readonly tokens: number;
  readonly createdAt: number | undefined;
  /** Per worker, busiest first. */
  readonly workers: readonly WorkerStatus[];
  /** The BullMQ job counts of the tactic's queue (every batch of the tactic). */
  readonly queue: Readonly<Record<string, number>>;
  /** Workers connected to the tactic's queue now. */
  readonly connectedWorkers: number;
}

const PICO = 1e12;

/** A batch's counters from Redis (undefined when no batch has that id); queue counts are added by `BatchQueue.status`. */
export async function readBatchStatus(redis: Redis, batchId: string): Promise<Omit<BatchStatus, 'queue' | 'connectedWorkers'> | undefined> {
  const keys = batchKeys(batchId);
  const [meta, perWorker, inflight] = await Promise.all([
    redis.hgetall(keys.meta),
    redis.hgetall(keys.workers),
    redis.hgetall(keys.inflight),
  ]);
  if (!meta.tactic) return undefined;
  const number = (value: string | undefined) => (value === undefined ? 0 : Number(value));
  const workers = new Map<string, { done: number; failed: number; skipped: number; inFlight: number; costPico: number }>();
  const entry = (name: string) => {
    let found = workers.get(name);
    if (!found) {
      found = { done: 0, failed: 0, skipped: 0, inFlight: 0, costPico: 0 };
      workers.set(name, found);
    }
    return found;
  };
  for (const [field, value] of Object.entries(perWorker)) {
    const cut = field.lastIndexOf('|');
    const kind = field.slice(cut + 1);
    if (kind === 'done' || kind === 'failed' || kind === 'skipped' || kind === 'costPico')
      entry(field.slice(0, cut))[kind] += Number(value);
  }
  for (const worker of Object.values(inflight)) entry(worker).inFlight += 1;
  const done = number(meta.done);
  const failed = number(meta.failed);
  const skipped = number(meta.skipped);
  const inFlight = Object.keys(inflight).length;
  const total = number(meta.total);
  return {
    id: batchId,
    tactic: meta.tactic,
    total,
    done,
    failed,
    skipped,
    inFlight,
    pending: Math.max(0, total - done - failed - skipped - inFlight),
    spentUsd: number(meta.spentPico) / PICO,
    maxCostUsd: meta.capPico === undefined ? undefined : Number(meta.capPico) / PICO,
    tokens: number(meta.tokens),
    createdAt: meta.createdAt === undefined ? undefined : Number(meta.createdAt),
    workers: [...workers.entries()]
      .map(([name, counts]) => ({
        name,
        done: counts.done,
        failed: counts.failed,
        skipped: counts.skipped,
        inFlight: counts.inFlight,
        spentUsd: counts.costPico / PICO,
      }))
      .sort((a, b) => b.done + b.failed + b.skipped - (a.done + a.failed + a.skipped) || a.name.localeCompare(b.name)),
  };
}
