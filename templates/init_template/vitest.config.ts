import { defineProject } from 'vitest/config';

export default defineProject({
  // Inside the LLLM repository: resolve @lllm/* to their TypeScript sources (lllm-source).
  resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'], externalConditions: ['lllm-source'] } },
  test: {
    name: 'template-init',
    include: ['src/**/*.test.ts'],
    // discover() imports prompts/, agents/ and proxies/: with @lllm/* inlined, Vite loads those .ts
    // files (and their "./x.js" imports of .ts files) as it loads the tests, and they share one
    // @lllm/core with the tests. Left to Node, "./_lllm.js" would not be found.
    server: { deps: { inline: [/[\\/]@lllm[\\/]/] } },
  },
});
