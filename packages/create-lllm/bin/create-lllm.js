#!/usr/bin/env node
import { createLllm } from '../dist/index.js';

process.exitCode = await createLllm(process.argv.slice(2));
