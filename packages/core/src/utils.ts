// @lllm/core/utils: small general helpers the LLLM packages share. They are not LLLM concepts,
// so they live off the root export; their shape may change in any minor release.

export { atBatchRate, pollUntil } from './batch/provider-batch.js';
export { resetMs } from './batch/provider-budget.js';
export { batchInputSession } from './batch/run-batch.js';
export { deepMerge, isTarball, listFiles, packTarball, satisfiesRange, unpackTarball } from './config/index.js';
export type { EnsureDirectoryOptions } from './directories.js';
export { ensureDirectory } from './directories.js';
export { deepEqual, deepFreeze } from './message.js';
export { keepRequestDeadline, requestDeadlineOf } from './request-deadline.js';
export type { BackoffOptions } from './retry.js';
export { backoffDelay, parseRetryAfter, raceAbort, sleep } from './retry.js';
export { closestMatches, editDistance, safeName, truncate } from './strings.js';
export { escapeControlCharacters } from './terminal-text.js';
export { WireReader } from './wire-reader.js';
