// @lllm/log/testing: the LogStore contract suite (Vitest), for any store — the built-in ones run it in
// this package, @lllm/log-postgres against a real PostgreSQL, and a custom backend can run it too.
export type { LogStoreContractSubject } from './testing/log-store-contract.js';
export { describeLogStoreContract } from './testing/log-store-contract.js';
