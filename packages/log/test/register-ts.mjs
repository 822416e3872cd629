// `node --import` this file to let a child process run this repository's TypeScript sources: the
// same synchronous resolve hook a worker thread started from the sources loads (require-ts.cjs).
import './require-ts.cjs';
