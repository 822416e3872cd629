import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: { name: 'queue', include: ['src/**/*.test.ts'], globalSetup: ['./test/global-setup.ts'] },
});
