// Every Vitest project in the workspace resolves @lllm/* packages to their TypeScript sources
// (the "lllm-source" export condition), so tests need no build and see edits at once.
export const sourceResolution = {
  resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['lllm-source', 'module', 'node', 'import', 'default'], externalConditions: ['lllm-source'] } },
};
