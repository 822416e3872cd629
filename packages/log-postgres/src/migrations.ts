// The store's tables, versioned: `<schema>.lllm_schema_version` records each migration applied. A
// starting store applies the missing ones in order, in one transaction, holding an advisory lock so
// processes starting together wait for each other instead of racing to create the same tables.
import type { Sql } from 'postgres';

/** One step of the schema. `sql` runs inside the migration transaction; `{schema}` is the quoted schema name. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. Never edit a released one: add the next. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries',
    sql: `
CREATE TABLE {schema}.entries (
  id bigserial PRIMARY KEY,
  session text NOT NULL,
  collection text NOT NULL CHECK (collection IN ('dialogs', 'messages', 'frontend')),
  time bigint NOT NULL,
  sequence bigint NOT NULL,
  writer text NOT NULL,
  data json NOT NULL
);
CREATE INDEX entries_session ON {schema}.entries (session, collection, id);
`,
  },
  {
    version: 2,
    name: 'full-text search',
    sql: `
ALTER TABLE {schema}.entries ADD COLUMN search tsvector;
CREATE INDEX entries_search ON {schema}.entries USING gin (search);
`,
  },
];

/** The schema version this copy of the store writes. */
export const SCHEMA_VERSION = MIGRATIONS.reduce((latest, migration) => Math.max(latest, migration.version), 0);

/** The `code` of the error {@link migrate} throws for a schema newer than the migrations it knows. */
export const SCHEMA_TOO_NEW = 'LLLM_SCHEMA_TOO_NEW';

/** Advisory lock namespace of LLLM's migrations (the second key is the schema's hash). */
const LOCK_NAMESPACE = 0x11_11_4c_4d;

/** What {@link migrate} found and did. */
export interface MigrationReport {
  /** The version before. 0: the schema was new. */
  readonly from: number;
  /** The version now ({@link SCHEMA_VERSION}). */
  readonly to: number;
  /** The versions this call applied. */
  readonly applied: readonly number[];
}

/**
 * Bring `schema` up to {@link SCHEMA_VERSION}: create it and the version table if missing, then apply
 * the missing migrations in order, all in one transaction (a failure leaves the schema as it was).
 * Throws a plain Error when the schema is newer than this code knows; the store words it for the user.
 */
export async function migrate(sql: Sql, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const quoted = `"${schema}"`;
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${schema}))`;
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await tx.unsafe(
      `CREATE TABLE IF NOT EXISTS ${quoted}.lllm_schema_version (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const [row] = await tx.unsafe<{ version: number | null }[]>(`SELECT max(version) AS version FROM ${quoted}.lllm_schema_version`);
    const from = row?.version ?? 0;
    const latest = migrations.reduce((max, migration) => Math.max(max, migration.version), 0);
    if (from > latest) {
      throw Object.assign(new Error(`its schema is at version ${from}, newer than this @lllm/log-postgres knows (${latest})`), {
        code: SCHEMA_TOO_NEW,
      });
    }
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= from) continue;
      await tx.unsafe(migration.sql.replaceAll('{schema}', quoted));
      await tx.unsafe(`INSERT INTO ${quoted}.lllm_schema_version (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { from, to: Math.max(from, latest), applied };
  });
}
