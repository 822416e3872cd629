#!/usr/bin/env node
import { runCreate } from '../dist/index.js';

process.exitCode = await runCreate(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  env: process.env,
});
