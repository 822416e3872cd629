export type { ProxyBridge, ServeProxyOptions } from './bridge.js';
export { serveProxy } from './bridge.js';
export type { ProxyCacheOptions } from './cache.js';
export { canonicalJson, ProxyCache } from './cache.js';
export type { Cutoff, CutoffResult, DateParser } from './cutoff.js';
export { applyCutoff, parseCutoff, parseDateFormat, removeKeyPath } from './cutoff.js';
export type {
  ApiKeySpec,
  DateCutoff,
  EndpointDefinition,
  EndpointHandlerContext,
  HttpMethod,
  ParameterLocation,
  ProxyDefinitionInput,
  ProxyEndpoint,
} from './define.js';
export { defineProxy, endpointKey, ProxyDefinition, slugify } from './define.js';
export { describeParameters } from './docs.js';
export type { ProxyErrorKind } from './errors.js';
export { ProxyError } from './errors.js';
export {
  findProxy,
  getProxy,
  listProxies,
  registerProxiesFromModule,
  registerProxy,
  registerProxyDiscovery,
  unregisterProxy,
} from './registry.js';
export type { AutoTestReport, AutoTestResult, PathCheck, ProxyCallOptions, ProxyJSON, ProxyOptions } from './runtime.js';
export { ProxyRuntime as Proxy, ProxyRuntime, suggestPaths } from './runtime.js';
export { proxyApiTools, proxyTools, toolNameFor } from './tools.js';
