export { postgresLogBackend, registerPostgresLogBackend } from './backend.js';
export { PostgresLogStoreError } from './errors.js';
export type { Migration, MigrationReport } from './migrations.js';
export { MIGRATIONS, migrate, SCHEMA_VERSION } from './migrations.js';
export type { PostgresLogOptions, ResolvedPostgresLogOptions } from './options.js';
export { postgresLogOptions, resolvePostgresLogOptions } from './options.js';
export type { FullTextSearchRequest, PostgresLogStoreOptions } from './postgres-store.js';
export { PostgresLogStore } from './postgres-store.js';
