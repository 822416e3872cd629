export { createFetch, type HttpFetchOptions, LINKED_SIGNAL, readsLinkedSignal, sharedFetch } from './fetch.js';
