import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['lllm-source'] },
  ssr: { resolve: { conditions: ['lllm-source'] } },
  test: {
    projects: ['packages/*', 'examples/*', 'templates/*'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
