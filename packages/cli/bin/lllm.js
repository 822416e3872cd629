#!/usr/bin/env node
// The Node.js check comes first and alone: an unsupported Node gets a sentence, not a segfault.
import module from 'node:module';
import { nodeVersionProblem } from '../dist/node-version.js';

// Node's on-disk compile cache (22.1+): later starts skip compiling the CLI and its dependencies.
module.enableCompileCache?.();

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`lllm: ${problem}\n`);
  process.exit(1);
}
// main.js, not index.js: the index also exports the runtime, which loads the provider SDKs.
const { main } = await import('../dist/main.js');
process.exitCode = await main(process.argv.slice(2));
