// @lllm/log-postgres/testing: a throwaway PostgreSQL server for tests and benchmarks. Kept off the
// root export: it runs initdb and pg_ctl, which a log store never does.
export type { PostgresServer, StartPostgresOptions } from './testing/start-postgres.js';
export { findPostgresBinaries, POSTGRES_MISSING, PostgresServerError, startPostgres } from './testing/start-postgres.js';
