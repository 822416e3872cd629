import { defineProject } from 'vitest/config';
import { sourceResolution } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceResolution,
  test: {
    name: 'conformance',
    include: ['src/**/*.conformance.test.ts'],
    // Prints the one line saying what the layer replays, or why it was skipped.
    globalSetup: ['./src/announce.ts'],
  },
});
