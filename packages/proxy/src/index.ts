export type { BridgeSession, BridgeSessionOptions, ProxyBridge, ServeProxyOptions } from './bridge.js';
export { serveProxy } from './bridge.js';
export type { ProxyCacheLookup, ProxyCacheOptions } from './cache.js';
export { canonicalJson, defaultProxyCacheDir, ProxyCache } from './cache.js';
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
export { connectMcp } from './mcp/connect.js';
export type {
  McpAsProxyOptions,
  McpAsToolsOptions,
  McpCallOptions,
  McpConnectOptions,
  McpHeaderValue,
  McpHttpTransportOptions,
  McpListOptions,
  McpStdioTransportOptions,
  McpToolSelection,
  McpTransportOptions,
} from './mcp/connect-options.js';
export { McpConnection } from './mcp/connection.js';
export { formatMcpResult } from './mcp/format.js';
export type { ProxyMcpServerOptions, ProxyMcpStdioServer, ServeProxyMcpStdioOptions } from './mcp/serve.js';
export { createProxyMcpServer, PROXY_MCP_DOCS_TOOL, serveProxyMcpStdio } from './mcp/serve.js';
export type { ProxyMcpHttpServer, ServeProxyMcpHttpOptions } from './mcp/serve-http.js';
export { serveProxyMcpHttp } from './mcp/serve-http.js';
export type { McpServersOptions } from './mcp/servers.js';
export { connectMcpServers, McpServers } from './mcp/servers.js';
export type {
  McpContentBlock,
  McpEmbeddedResource,
  McpImplementation,
  McpMediaContent,
  McpResourceLink,
  McpTextContent,
  McpTool,
  McpToolResult,
} from './mcp/types.js';
export {
  findProxy,
  getProxy,
  listProxies,
  proxySource,
  registerProxiesFromModule,
  registerProxy,
  registerProxyDiscovery,
  unregisterProxy,
} from './registry.js';
export type {
  ApiDocsOptions,
  AutoTestOptions,
  AutoTestReport,
  AutoTestResult,
  PathCheck,
  ProxyCallOptions,
  ProxyJSON,
  ProxyOptions,
} from './runtime.js';
export { ProxyRuntime as Proxy, ProxyRuntime, suggestPaths } from './runtime.js';
export { proxyApiTools, proxyTools, toolNameFor } from './tools.js';
