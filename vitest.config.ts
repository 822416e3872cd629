import { defineConfig } from 'vitest/config';
import { sourceResolution } from './vitest.shared.ts';

export default defineConfig({
  ...sourceResolution,
  test: {
    projects: ['packages/*', 'examples/*', 'templates/*'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
