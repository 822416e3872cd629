import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: { name: 'anthropic', include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
