import { createHash } from 'node:crypto';
import type { JsonSchema, ToolContext, ToolLike, ValidationResult } from '@lllm/core';
import type { ProxyEndpoint } from './define.js';
import type { ProxyRuntime } from './runtime.js';

const MAX_NAME = 64;

/** A tool name (`^[a-zA-Z0-9_-]{1,64}$`) for an endpoint path: `weather/forecast/daily` → `weather__forecast__daily`. */
export function toolNameFor(fullPath: string, taken: ReadonlySet<string> = new Set()): string {
  const base = fullPath.replace(/\//g, '__').replace(/[^a-zA-Z0-9_-]/g, '_');
  let name =
    base.length <= MAX_NAME ? base : `${base.slice(0, MAX_NAME - 9)}_${createHash('sha256').update(fullPath).digest('hex').slice(0, 8)}`;
  for (let index = 2; taken.has(name); index++) {
    const suffix = `_${index}`;
    name = `${name.slice(0, MAX_NAME - suffix.length)}${suffix}`;
  }
  return name;
}

function formatResult(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined) return 'Done (no result).';
  return JSON.stringify(result);
}

class EndpointTool implements ToolLike {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
  readonly linked = true;

  constructor(
    private readonly runtime: ProxyRuntime,
    private readonly endpoint: ProxyEndpoint,
    name: string,
  ) {
    this.name = name;
    this.description = `${endpoint.name}: ${endpoint.description} (${endpoint.fullPath})`;
    this.parameters = endpoint.parameters;
  }

  validate(args: unknown): ValidationResult {
    return this.endpoint.validate(args);
  }

  execute(args: Record<string, unknown>, context: ToolContext): Promise<unknown> {
    return this.runtime.call(this.endpoint.fullPath, args, { signal: context.signal });
  }

  formatResult(result: unknown): string {
    return formatResult(result);
  }
}

/**
 * One tool per activated endpoint (of the given proxies or under the given paths), for function
 * calling: the endpoint's parameter schema, validation before the call, and errors (validation,
 * HTTP, timeouts) fed back to the model by the agent call.
 */
export function proxyTools(runtime: ProxyRuntime, options: { proxies?: readonly string[]; paths?: readonly string[] } = {}): ToolLike[] {
  const taken = new Set<string>();
  return runtime
    .endpoints(options.proxies)
    .filter(
      (endpoint) => !options.paths || options.paths.some((path) => endpoint.fullPath === path || endpoint.fullPath.startsWith(`${path}/`)),
    )
    .map((endpoint) => {
      const name = toolNameFor(endpoint.fullPath, taken);
      taken.add(name);
      return new EndpointTool(runtime, endpoint, name);
    });
}

const CALL_API_PARAMETERS: JsonSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', description: 'The endpoint path, proxy/category/endpoint, as listed in the API directory.' },
    params: { type: 'object', description: 'The endpoint parameters by name (see api_docs).', additionalProperties: true },
  },
  required: ['path'],
  additionalProperties: false,
};

const API_DOCS_PARAMETERS: JsonSchema = {
  type: 'object',
  properties: {
    paths: {
      type: 'array',
      items: { type: 'string' },
      description: 'Endpoint paths (or a proxy or proxy/category to get all of its endpoints).',
    },
  },
  required: ['paths'],
  additionalProperties: false,
};

/**
 * Two generic tools for large catalogs: `call_api(path, params)` and `api_docs(paths)`. Put
 * `runtime.apiDirectory()` or `endpointDirectory()` in the prompt so the model knows the paths.
 */
export function proxyApiTools(runtime: ProxyRuntime, options: { callName?: string; docsName?: string } = {}): [ToolLike, ToolLike] {
  const callApi: ToolLike = {
    name: options.callName ?? 'call_api',
    description:
      'Call an API endpoint by its path with named parameters; returns the JSON response. Read api_docs first for the parameters.',
    parameters: CALL_API_PARAMETERS,
    linked: true,
    validate(args: unknown): ValidationResult {
      const record = (args ?? {}) as Record<string, unknown>;
      if (typeof record.path !== 'string' || !record.path)
        return { success: false, error: 'path: a string such as "proxy/category/endpoint" is required' };
      if (record.params !== undefined && (typeof record.params !== 'object' || record.params === null || Array.isArray(record.params))) {
        return { success: false, error: 'params: must be an object of named parameters' };
      }
      return { success: true, data: record };
    },
    execute: (args, context) => runtime.call(String(args.path), (args.params ?? {}) as Record<string, unknown>, { signal: context.signal }),
    formatResult,
  };
  const apiDocs: ToolLike = {
    name: options.docsName ?? 'api_docs',
    description: 'Read the documentation of API endpoints: parameters with types, required marks and examples, and an example response.',
    parameters: API_DOCS_PARAMETERS,
    linked: true,
    validate(args: unknown): ValidationResult {
      const paths = (args as { paths?: unknown } | undefined)?.paths;
      if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === 'string')) {
        return { success: false, error: 'paths: a non-empty list of endpoint paths is required' };
      }
      return { success: true, data: args };
    },
    execute: (args) => runtime.retrieveApiDocs(args.paths as string[]),
    formatResult,
  };
  return [callApi, apiDocs];
}
