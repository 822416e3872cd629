import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  // Real Jupyter kernels and Chromium: starting them takes seconds, not milliseconds.
  test: { name: 'sandbox', include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 90_000 },
});
