// The versioned schema against a real server: created on first open, migrated from an older version,
// concurrent starters safe (one applies, the others wait), a failed migration leaves nothing behind,
// a newer schema refused with a clear error.
import { describe, expect, it } from 'vitest';
import { PostgresLogStoreError } from './errors.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from './migrations.js';
import { PostgresLogStore } from './postgres-store.js';
import { adminSql, freshSchema, postgresUrl } from './test-support.js';

async function versions(schema: string): Promise<{ version: number; name: string }[]> {
  return await adminSql().unsafe(`SELECT version, name FROM "${schema}".lllm_schema_version ORDER BY version`);
}

describe.skipIf(!postgresUrl)('schema migrations', () => {
  it('a new schema gets every migration in order, recorded in lllm_schema_version; reopening applies none', async () => {
    const schema = freshSchema('fresh');
    const store = await PostgresLogStore.open({ url: postgresUrl, schema });
    expect(store.migration).toEqual({ from: 0, to: SCHEMA_VERSION, applied: MIGRATIONS.map((migration) => migration.version) });
    await store.close();
    expect(await versions(schema)).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    const again = await PostgresLogStore.open({ url: postgresUrl, schema });
    expect(again.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    await again.close();
  });

  it('a schema at version 1 (no search column) is migrated, and rows written before become searchable only when rewritten', async () => {
    const schema = freshSchema('old');
    await migrate(adminSql(), schema, MIGRATIONS.slice(0, 1));
    await adminSql().unsafe(
      `INSERT INTO "${schema}".entries (session, collection, time, sequence, writer, data) VALUES ('before', 'messages', 1, 1, 'old', '{"message":{"role":"user","content":"kept from version one"}}')`,
    );
    expect(await versions(schema)).toEqual([{ version: 1, name: 'entries' }]);
    const store = await PostgresLogStore.open({ url: postgresUrl, schema });
    expect(store.migration).toEqual({ from: 1, to: SCHEMA_VERSION, applied: [2] });
    expect((await store.read('messages', 'before'))[0]?.data).toEqual({ message: { role: 'user', content: 'kept from version one' } });
    store.write('messages', 'after', { message: { role: 'user', content: 'written after the upgrade' } });
    expect((await store.fullTextSearch({ query: 'upgrade', limit: 10 })).entries.map((entry) => entry.session)).toEqual(['after']);
    await store.close();
  });

  it('eight stores starting at once on a new schema: one applies the migrations, the others wait and apply none', async () => {
    const schema = freshSchema('race');
    const stores = await Promise.all(Array.from({ length: 8 }, () => PostgresLogStore.open({ url: postgresUrl, schema, poolSize: 1 })));
    const applied = stores.map((store) => store.migration.applied.length).sort();
    expect(applied).toEqual([0, 0, 0, 0, 0, 0, 0, MIGRATIONS.length]);
    expect(await versions(schema)).toHaveLength(MIGRATIONS.length);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('a migration that fails leaves the schema as it was (one transaction) and names the schema and the fix', async () => {
    const schema = freshSchema('taken');
    // Someone else's table where the store's would go: the first migration fails on it.
    await adminSql().unsafe(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".entries (id integer)`);
    const failure = await PostgresLogStore.open({ url: postgresUrl, schema }).catch((error: unknown) => error);
    expect(PostgresLogStoreError.isInstance(failure)).toBe(true);
    expect(String((failure as Error).message)).toContain(`schema "${schema}"`);
    expect(String((failure as Error).message)).toContain('Point log_options.schema at a schema LLLM may own');
    const [row] = await adminSql().unsafe<{ table: string | null }[]>(
      `SELECT to_regclass('"${schema}".lllm_schema_version')::text AS table`,
    );
    expect(row?.table).toBeNull();
  });

  it('a schema newer than this package knows is refused, saying to upgrade', async () => {
    const schema = freshSchema('newer');
    await migrate(adminSql(), schema);
    await adminSql().unsafe(
      `INSERT INTO "${schema}".lllm_schema_version (version, name) VALUES (${SCHEMA_VERSION + 7}, 'from the future')`,
    );
    await expect(PostgresLogStore.open({ url: postgresUrl, schema })).rejects.toThrow(
      new RegExp(`at version ${SCHEMA_VERSION + 7}, newer than this @lllm/log-postgres knows \\(${SCHEMA_VERSION}\\)\\. Upgrade`),
    );
  });
});
