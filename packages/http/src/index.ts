export { createFetch, type HttpFetchOptions, LINKED_SIGNAL, readsLinkedSignal, sharedFetch } from './fetch.js';
export { type SdkAbortOptions, sdkAbortOptions } from './sdk-abort.js';
