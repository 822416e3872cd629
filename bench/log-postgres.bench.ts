// The PostgreSQL log store's batched write rate next to SQLite's, measured in the same run on this
// machine: a throwaway PostgreSQL server (initdb in a temp folder, durable settings: fsync and
// synchronous commit on), the stores written alternately over a few rounds. Goal: ≥ 20,000 msg/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteLogStore } from '@lllm/log';
import { PostgresLogStore } from '@lllm/log-postgres';
import { findPostgresBinaries, POSTGRES_MISSING, startPostgres } from '@lllm/log-postgres/testing';
import { measureStoreWriteRate } from './log-store-rate.ts';

const GOAL = 20_000;
const messages = Number(process.env.LLLM_BENCH_LOG_MESSAGES ?? 20_000);
const rounds = Number(process.env.LLLM_BENCH_LOG_ROUNDS ?? 3);
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

if (!findPostgresBinaries()) {
  console.log(`log-postgres bench skipped: ${POSTGRES_MISSING}`);
  process.exit(0);
}
const folder = mkdtempSync(join(tmpdir(), 'lllm-log-postgres-bench-'));
const server = await startPostgres({ durable: true });
try {
  const postgres = await PostgresLogStore.open({ url: server.url, schema: 'bench' });
  const rates: Record<'sqlite' | 'postgres', number[]> = { sqlite: [], postgres: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so drift and other processes' load fall on both alike.
    for (const name of round % 2 === 0 ? (['postgres', 'sqlite'] as const) : (['sqlite', 'postgres'] as const)) {
      const store = name === 'postgres' ? postgres : new SqliteLogStore({ directory: join(folder, `sqlite-${round}`) });
      const rate = await measureStoreWriteRate(store, messages);
      if (name === 'sqlite') await store.close();
      rates[name].push(rate.perSecond);
      console.log(
        `round ${round + 1}: ${name} ${messages} messages in ${rate.milliseconds.toFixed(0)} ms (${Math.round(rate.perSecond)}/s)`,
      );
    }
  }
  await postgres.close();
  const pg = median(rates.postgres);
  const lite = median(rates.sqlite);
  console.log(
    `postgres store, 1 writer, batched: median ${Math.round(pg)} msg/s, best ${Math.round(Math.max(...rates.postgres))} msg/s; sqlite in the same run: median ${Math.round(lite)} msg/s (postgres/sqlite ${(pg / lite).toFixed(2)}×)`,
  );
  console.log(`postgres store ≥ ${GOAL.toLocaleString('en')} msg/s batched: ${pg >= GOAL ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
  rmSync(folder, { recursive: true, force: true });
}
