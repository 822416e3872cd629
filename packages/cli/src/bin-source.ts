// Runs the CLI from its TypeScript sources (tests and development): node --import tsx src/bin-source.ts
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
