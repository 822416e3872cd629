// @lllm/core/utils: small general helpers the LLLM packages share. They are not LLLM concepts,
// so they live off the root export; their shape may change in any minor release.
export { deepEqual, deepFreeze } from './message.js';
export { closestMatches, editDistance, safeName, truncate } from './strings.js';
