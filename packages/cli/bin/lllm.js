#!/usr/bin/env node
// The Node.js check comes first and alone: an unsupported Node gets a sentence, not a segfault.
import { nodeVersionProblem } from '../dist/node-version.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`lllm: ${problem}\n`);
  process.exit(1);
}
const { main } = await import('../dist/index.js');
process.exitCode = await main(process.argv.slice(2));
