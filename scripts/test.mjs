#!/usr/bin/env node
// Runs the whole test suite (every package, example and template) as one Vitest run and ends
// with one plain summary line: "tests: N passed, N failed, N skipped".
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsFile = `${root}.vitest-results.json`;
rmSync(resultsFile, { force: true });
const args = [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...process.argv.slice(2),
];
const run = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit', env: process.env });
let summary = 'tests: 0 passed, 0 failed';
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const skipped = (results.numPendingTests ?? 0) + (results.numTodoTests ?? 0);
  summary = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`;
  if (results.numTotalTests === 0) {
    console.error('No test ran.');
    process.exitCode = 1;
  }
}
console.log(summary);
// run-tests.sh runs the suite in two parts and prints one total from these lines.
if (process.env.LLLM_TEST_SUMMARY_FILE) appendFileSync(process.env.LLLM_TEST_SUMMARY_FILE, `${summary}\n`);
process.exitCode = run.status === 0 ? (process.exitCode ?? 0) : (run.status ?? 1);
