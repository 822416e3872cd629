// `log_type: postgres` by name: log_options checked (every problem listed), the URL from log_options or
// DATABASE_URL, and the password never in an error message — wrong password, refused port, bad options.
import { createServer } from 'node:net';
import { ConfigError, checkLogOptions, createLogStore, listLogBackends, redactString } from '@lllm/core';
import { afterEach, describe, expect, it } from 'vitest';
import { registerPostgresLogBackend } from './backend.js';
import { PostgresLogStoreError } from './errors.js';
import { resolvePostgresLogOptions } from './options.js';
import { PostgresLogStore } from './postgres-store.js';
import { adminSql, freshSchema, postgresUrl } from './test-support.js';

const savedDatabaseUrl = process.env.DATABASE_URL;
afterEach(() => {
  if (savedDatabaseUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedDatabaseUrl;
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  return await new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('log_options', () => {
  it('every problem is listed by key path, with the closest key for a typo; the password never appears', () => {
    registerPostgresLogBackend();
    const password = 'pw-PLANTED-in-options-123';
    let error: unknown;
    try {
      checkLogOptions('postgres', { url: `mysql://lllm:${password}@db/x`, poolSize: 0, schema: 'Bad-Name', batchsize: 10 });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('log_options for log_type "postgres" has 4 problems');
    expect(message).toContain('log_options.url: Expected a postgres:// or postgresql:// URL');
    expect(message).toContain('log_options.poolSize: Expected a whole number of connections from 1 to 100, got 0');
    expect(message).toContain('log_options.schema: Expected a schema name');
    expect(message).toContain('log_options.batchsize: Unrecognized key "batchsize": did you mean "batchSize"?');
    expect(message).not.toContain(password);
  });

  it('defaults apply; without url, DATABASE_URL is used; without both, the error names both', () => {
    process.env.DATABASE_URL = 'postgres://someone:a-long-password-1@db.internal:6543/logs';
    expect(resolvePostgresLogOptions({})).toEqual({
      url: process.env.DATABASE_URL,
      schema: 'lllm',
      poolSize: 4,
      batchSize: 1000,
      flushIntervalMs: 50,
      connectTimeoutMs: 10_000,
    });
    // The URL's password is now a registered secret: redacted wherever LLLM writes.
    expect(redactString('the password is a-long-password-1')).toBe('the password is [REDACTED]');
    delete process.env.DATABASE_URL;
    expect(() => resolvePostgresLogOptions({ schema: 'x' })).toThrow(
      /set log_options\.url in the system config or the DATABASE_URL environment variable/,
    );
  });
});

describe.skipIf(!postgresUrl)('log_type postgres against the server', () => {
  it('is created by name once registered, from log_options or from DATABASE_URL', async () => {
    registerPostgresLogBackend();
    expect(listLogBackends()).toContain('postgres');
    const schema = freshSchema('named');
    const byOptions = await createLogStore({ type: 'postgres', directory: '/unused', options: { url: postgresUrl, schema } });
    expect(byOptions.type).toBe('postgres');
    byOptions.write('messages', 'named', { via: 'options' });
    await byOptions.close();
    process.env.DATABASE_URL = postgresUrl;
    const byEnvironment = await createLogStore({ type: 'postgres', options: { schema } });
    expect((await byEnvironment.read('messages', 'named')).map((entry) => entry.data.via)).toEqual(['options']);
    await byEnvironment.close();
  });

  it('a wrong password: a typed error naming the server and the fix, never the password', async () => {
    const url = new URL(postgresUrl);
    const wrong = 'wrong-PLANTED-password-42';
    url.password = wrong;
    const error = await PostgresLogStore.open({ url: url.href, schema: freshSchema('login') }).catch((caught: unknown) => caught);
    expect(PostgresLogStoreError.isInstance(error)).toBe(true);
    const failure = error as PostgresLogStoreError;
    expect(failure.code).toBe('28P01');
    expect(failure.message).toContain(`Cannot connect to the PostgreSQL log at postgres://lllm@127.0.0.1:${url.port}/postgres`);
    expect(failure.message).toContain('password authentication failed');
    expect(failure.message).toContain('Check log_options.url (or DATABASE_URL)');
    const everything = `${failure.message} ${failure.stack} ${String((failure.cause as Error)?.message)} ${JSON.stringify(failure)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(new URL(postgresUrl).password);
  });

  it('a port nothing listens on: refused within the bound, with the server named and no password', async () => {
    const url = new URL(postgresUrl);
    url.port = String(await closedPort());
    const started = Date.now();
    const error = await PostgresLogStore.open({ url: url.href, connectTimeoutMs: 2000 }).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(PostgresLogStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('the connection was refused');
    expect((error as Error).message).not.toContain(url.password);
  });

  it('a failed insert is reported by flush(), keeps the entries queued, and the next flush saves them', async () => {
    const schema = freshSchema('retry');
    const store = await PostgresLogStore.open({ url: postgresUrl, schema, flushIntervalMs: 60_000 });
    await adminSql().unsafe(`ALTER TABLE "${schema}".entries RENAME TO entries_away`);
    store.write('messages', 'later', { n: 1 });
    store.write('messages', 'later', { n: 2 });
    const error = await store.flush().catch((caught: unknown) => caught);
    expect(PostgresLogStoreError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /Writing 2 entries to the PostgreSQL log .* failed: .*entries.* does not exist.*They stay queued/,
    );
    await adminSql().unsafe(`ALTER TABLE "${schema}".entries_away RENAME TO entries`);
    await store.flush();
    expect((await store.read('messages', 'later')).map((entry) => entry.data.n)).toEqual([1, 2]);
    await store.close();
  });
});
