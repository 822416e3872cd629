import { defineLogBackend, type LogBackendDefinition, registerCustomLogBackend } from '@lllm/core';
import { type PostgresLogOptions, postgresLogOptions } from './options.js';
import { PostgresLogStore } from './postgres-store.js';

/**
 * `log_type: postgres`: `log_options` (`url`, `poolSize`, `schema`, `batchSize`, `flushIntervalMs`,
 * `connectTimeoutMs`) are checked before the store opens; without `url`, `DATABASE_URL` is used.
 * Export it from a `[log_backends]` module, or call {@link registerPostgresLogBackend}.
 */
export const postgresLogBackend: LogBackendDefinition<PostgresLogOptions> = defineLogBackend({
  type: 'postgres',
  options: postgresLogOptions,
  create: ({ options }) => PostgresLogStore.open(options),
});

/**
 * Register `log_type: postgres` with core (explicit: importing the package has no side effects). The
 * `lllm` CLI calls it when a system config names `log_type: postgres` and this package is installed.
 */
export function registerPostgresLogBackend(): void {
  registerCustomLogBackend(postgresLogBackend as LogBackendDefinition<unknown>);
}
