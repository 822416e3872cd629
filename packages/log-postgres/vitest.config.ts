import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: {
    name: 'log-postgres',
    include: ['src/**/*.test.ts'],
    // One real PostgreSQL server for the whole run, stopped in teardown even when tests fail.
    globalSetup: ['./src/test-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
