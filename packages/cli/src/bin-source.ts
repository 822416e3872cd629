// Runs the CLI from its TypeScript sources (tests and development): node --import tsx src/bin-source.ts
// Same order as bin/lllm.js: the Node.js check first and alone, then the CLI.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem();
if (problem) {
  process.stderr.write(`lllm: ${problem}\n`);
  process.exit(1);
}
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
