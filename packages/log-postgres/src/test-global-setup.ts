// Vitest global setup of this package: ONE throwaway PostgreSQL server per test run, its URL handed to
// the tests with `inject('postgresUrl')`, stopped (and its folder removed) in teardown, even when tests
// fail. Without the server binaries: CI=true fails the run naming the apt package; elsewhere the tests
// skip, and this prints the one line saying why.
import type { TestProject } from 'vitest/node';
import { findPostgresBinaries, POSTGRES_MISSING, startPostgres } from './testing/start-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway server's URL, or '' when PostgreSQL is not installed (the tests skip). */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!findPostgresBinaries()) {
    if (process.env.CI === 'true') throw new Error(`log-postgres tests need a real PostgreSQL under CI=true. ${POSTGRES_MISSING}`);
    console.log(`log-postgres: skipping the PostgreSQL tests. ${POSTGRES_MISSING}`);
    project.provide('postgresUrl', '');
    return undefined;
  }
  const server = await startPostgres();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
