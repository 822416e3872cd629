// What the tests share: the run's one PostgreSQL server (started by test-global-setup.ts), a fresh
// schema per test, and an admin connection to look at what the store wrote.
import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { afterAll, inject } from 'vitest';

/** The server's URL, or '' when PostgreSQL is not installed here (the tests then skip). */
export const postgresUrl: string = inject('postgresUrl');

const schemas: string[] = [];
let admin: Sql | undefined;

/** A schema name no other test uses; dropped after the file's tests. */
export function freshSchema(label = 't'): string {
  const name = `${label}_${randomBytes(5).toString('hex')}`;
  schemas.push(name);
  return name;
}

/** A connection of the test's own, for looking at tables directly. */
export function adminSql(): Sql {
  admin ??= postgres(postgresUrl, { max: 2, onnotice: () => {} });
  return admin;
}

afterAll(async () => {
  if (!postgresUrl) return;
  const sql = adminSql();
  for (const schema of schemas.splice(0)) await sql.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await sql.end({ timeout: 5 });
  admin = undefined;
});
