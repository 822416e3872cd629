import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: { name: 'proxy', include: ['src/**/*.test.ts'], globalSetup: ['src/test-cache-setup.ts'] },
});
