#!/usr/bin/env node
// The Node.js check comes first and alone: an unsupported Node gets a sentence, not a segfault.
import { nodeVersionProblem } from '../dist/node-version.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`lllm: ${problem}\n`);
  process.exit(1);
}
// Node's on-disk compile cache: later starts skip compiling the CLI and its dependencies.
process.getBuiltinModule?.('node:module')?.enableCompileCache?.();
// main.js, not index.js: the index also exports the runtime, which loads the provider SDKs.
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
