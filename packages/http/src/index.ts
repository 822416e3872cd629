export { createFetch, type HttpFetchOptions, sharedFetch } from './fetch.js';
