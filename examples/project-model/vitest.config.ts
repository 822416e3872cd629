import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: { name: 'example-project-model', include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});
