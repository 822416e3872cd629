import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'], externalConditions: ['lllm-source'] } },
  test: { name: 'template-init', include: ['src/**/*.test.ts'] },
});
