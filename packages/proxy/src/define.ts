import { ConfigError, type JsonSchema, type ValidationResult } from '@lllm/core';
import { type ZodObject, z } from 'zod/v4';
import { parseDateFormat } from './cutoff.js';

/** HTTP methods an endpoint may use. */
export type HttpMethod = 'GET' | 'POST';

/** Where a parameter goes in the request. */
export type ParameterLocation = 'path' | 'query' | 'body';

/** The date key of a response and how it is written, for cutoff filtering. */
export interface DateCutoff {
  /**
   * Slash-separated key path of the date inside the response, e.g. `date` or `data/items/date`.
   * Lists met on the way are walked: each element is kept or dropped by its own date.
   */
  readonly key: string;
  /**
   * How the date is written: `iso` (default: ISO 8601 strings such as `2024-06-30` or
   * `2024-06-30T12:00:00Z`), `unix` (seconds), `unix_ms`, or a strftime pattern such as
   * `%Y-%m-%d`, `%Y%m%d`, `%d/%m/%Y %H:%M` (`%Y %y %m %d %H %M %S`; naive times are UTC).
   */
  readonly format?: string;
}

/** What an endpoint's `handler` gets besides its parameters. */
export interface EndpointHandlerContext {
  /** Fires when the call is aborted or times out. */
  readonly signal: AbortSignal;
  /** The endpoint being called. */
  readonly endpoint: ProxyEndpoint;
}

/** How to declare one endpoint of a proxy. */
export interface EndpointDefinition {
  /** Top-level grouping in the catalog, e.g. `forecast`. */
  readonly category: string;
  /** Optional second level, e.g. `daily`. */
  readonly subCategory?: string;
  /** URL path below the proxy's `baseUrl`, with `{param}` path parameters, e.g. `/forecast/{city}`. */
  readonly endpoint: string;
  /** The last segment of the endpoint's key; defaults to the `endpoint` path in lower case with dashes. */
  readonly key?: string;
  /** A short human name. */
  readonly name: string;
  /** What it returns and when to use it (shown to agents). */
  readonly description: string;
  /** `GET` (default) sends parameters in the query; `POST` sends them as a JSON body. */
  readonly method?: HttpMethod;
  /**
   * The parameters: a zod object (validated and coerced as zod does) or a JSON schema of an object.
   * Describe each field (`.describe()` / `description`): the text reaches the docs agents read.
   */
  readonly parameters?: ZodObject | JsonSchema;
  /** Override where parameters go (path parameters are found from `{param}` in `endpoint`). */
  readonly locations?: Readonly<Record<string, ParameterLocation>>;
  /** An example value for each parameter: used in the docs and by `autoTest()`. */
  readonly examples?: Readonly<Record<string, unknown>>;
  /** What a response looks like (shown in the docs). */
  readonly exampleResponse?: unknown;
  /** Slash-separated key paths removed from every response, e.g. `meta` or `data/items/raw`. */
  readonly removeKeys?: readonly string[];
  /** Filter the response by this date key against the runtime's cutoff date. */
  readonly dtCutoff?: DateCutoff;
  /** Post-call transform, applied after `removeKeys` and the cutoff filter. */
  readonly transform?: (response: unknown, params: Readonly<Record<string, unknown>>) => unknown;
  /** Serve the endpoint in code instead of over HTTP (MCP tools, SDK wrappers). */
  readonly handler?: (params: Readonly<Record<string, unknown>>, context: EndpointHandlerContext) => unknown;
  /** Extra headers for this endpoint's requests. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** How the API key is sent. The key itself is read from the environment when a call is made. */
export interface ApiKeySpec {
  /** The environment variable holding the key, e.g. `WEATHER_API_KEY`. */
  readonly env: string;
  /** Send it as a query parameter or a header. */
  readonly in: 'query' | 'header';
  /** The query parameter or header name, e.g. `appid` or `Authorization`. */
  readonly name: string;
  /** Text before the key, e.g. `Bearer ` for an `Authorization` header. */
  readonly prefix?: string;
  /** Call without a key when the variable is unset (free tiers); by default a missing key is an error. */
  readonly optional?: boolean;
}

/** How to declare a proxy. */
export interface ProxyDefinitionInput {
  /** The registry name and the first segment of every endpoint path (`weather` → `weather/forecast/daily`). */
  readonly path: string;
  /** A human name. */
  readonly name: string;
  /** What the API offers (shown in the catalog). */
  readonly description: string;
  /** Base URL every endpoint path is appended to; needed unless every endpoint has a `handler`. */
  readonly baseUrl?: string;
  /** How the API key is sent. */
  readonly apiKey?: ApiKeySpec;
  /** Headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Request timeout (default 30 s). */
  readonly timeoutMs?: number;
  /**
   * Find an error in a 2xx response body; return its message, or undefined for a good response.
   * The default treats an object with an `error` (string or `{message}`) or `Error Message` key as an error.
   */
  readonly detectError?: (body: unknown) => string | undefined;
  /**
   * Values a parameter takes across this API, by parameter name (upstream's `enums`), e.g.
   * `{ period: ['quarter', 'annual'] }`. Listed in `apiCatalog()` / `apiDirectory()`, and in the docs
   * of every endpoint with a parameter of that name. Docs only: calls are validated by each
   * endpoint's own `parameters`.
   */
  readonly enums?: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /**
   * Longer guides agents read beside the endpoint list, by title (upstream's `additional_docs`),
   * e.g. `{ 'Real-Time Periods': '…' }`. Shown in `apiCatalog()` and `apiDirectory()` as upstream,
   * and in `retrieveApiDocs(paths, { additionalDocs: true })`.
   */
  readonly additionalDocs?: Readonly<Record<string, string>>;
  readonly endpoints: readonly EndpointDefinition[];
}

/** An endpoint, checked and compiled. */
export interface ProxyEndpoint {
  /** `category[/subCategory]/endpoint` (lower case, dashes), `-post` appended for POST. */
  readonly key: string;
  /** `proxyPath/key`: what `Proxy.call` and `CALL_API` take. */
  readonly fullPath: string;
  readonly proxyPath: string;
  readonly category: string;
  readonly subCategory: string | undefined;
  /** The URL path template. */
  readonly endpoint: string;
  readonly name: string;
  readonly description: string;
  readonly method: HttpMethod;
  /** JSON schema of the parameters object. */
  readonly parameters: JsonSchema;
  /** Required parameter names. */
  readonly required: readonly string[];
  /** Where each parameter goes. */
  readonly locations: Readonly<Record<string, ParameterLocation>>;
  /** Example parameters (from `examples`, else the schema's `examples`/`default`). */
  readonly examples: Readonly<Record<string, unknown>>;
  readonly exampleResponse: unknown;
  readonly removeKeys: readonly string[];
  readonly dtCutoff: DateCutoff | undefined;
  readonly transform: EndpointDefinition['transform'];
  readonly handler: EndpointDefinition['handler'];
  readonly headers: Readonly<Record<string, string>>;
  /** Check (and coerce) parameters: every problem, each naming the parameter. */
  validate(params: unknown): ValidationResult;
}

const PROXY_BRAND = Symbol.for('lllm.proxy-definition');
const PROXY_PATH = /^[a-z0-9][a-z0-9_-]*$/;

/** Lower case with dashes: `Stock Quote/{symbol}` → `stock-quote-symbol`. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[{}]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The key of an endpoint as the catalog lists it. */
export function endpointKey(definition: Pick<EndpointDefinition, 'category' | 'subCategory' | 'endpoint' | 'key' | 'method'>): string {
  const parts = [
    slugify(definition.category),
    definition.subCategory ? slugify(definition.subCategory) : '',
    slugify(definition.key ?? definition.endpoint),
  ];
  return parts.filter(Boolean).join('/') + ((definition.method ?? 'GET') === 'POST' ? '-post' : '');
}

/**
 * A declared API: its endpoints, checked when it is defined (duplicate keys, path parameters that are
 * not declared, missing examples are errors that list every problem).
 */
export class ProxyDefinition {
  readonly [PROXY_BRAND] = true;
  readonly path: string;
  readonly name: string;
  readonly description: string;
  readonly baseUrl: string | undefined;
  readonly apiKey: ApiKeySpec | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly detectError: (body: unknown) => string | undefined;
  /** Values a parameter takes across the API, by parameter name (docs only). */
  readonly enums: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /** Guides shown beside the endpoint list, by title. */
  readonly additionalDocs: Readonly<Record<string, string>>;
  readonly endpoints: readonly ProxyEndpoint[];
  readonly #byKey: ReadonlyMap<string, ProxyEndpoint>;

  constructor(input: ProxyDefinitionInput) {
    const problems: string[] = [];
    if (typeof input.path !== 'string' || !PROXY_PATH.test(input.path)) {
      problems.push(
        `path: ${JSON.stringify(input.path)} must be lower-case letters, digits, "-" or "_" (it is the first segment of every endpoint path)`,
      );
    }
    if (input.baseUrl !== undefined) {
      try {
        const url = new URL(input.baseUrl);
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          problems.push(`baseUrl: ${JSON.stringify(input.baseUrl)} must be http(s)`);
      } catch {
        problems.push(`baseUrl: ${JSON.stringify(input.baseUrl)} is not a URL`);
      }
    }
    if (input.apiKey) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.apiKey.env ?? ''))
        problems.push(`apiKey.env: ${JSON.stringify(input.apiKey.env)} is not an environment variable name`);
      if (input.apiKey.in !== 'query' && input.apiKey.in !== 'header')
        problems.push(`apiKey.in: must be "query" or "header", got ${JSON.stringify(input.apiKey.in)}`);
      if (!input.apiKey.name) problems.push('apiKey.name: the query parameter or header name is missing');
    }
    if (input.timeoutMs !== undefined && !(Number.isFinite(input.timeoutMs) && input.timeoutMs > 0)) {
      problems.push(`timeoutMs: must be a positive number of milliseconds, got ${JSON.stringify(input.timeoutMs)}`);
    }
    problems.push(...enumProblems(input.enums), ...additionalDocProblems(input.additionalDocs));
    if (!Array.isArray(input.endpoints)) problems.push('endpoints: must be a list');
    const endpoints: ProxyEndpoint[] = [];
    const byKey = new Map<string, ProxyEndpoint>();
    (Array.isArray(input.endpoints) ? input.endpoints : []).forEach((definition, index) => {
      const compiled = compileEndpoint(input.path, definition, `endpoints[${index}]`, problems, input.baseUrl !== undefined);
      if (!compiled) return;
      const existing = byKey.get(compiled.key);
      if (existing) {
        problems.push(
          `endpoints[${index}]: key "${compiled.key}" is already used by "${existing.name}" (${existing.method} ${existing.endpoint}); give one of them a distinct key`,
        );
        return;
      }
      byKey.set(compiled.key, compiled);
      endpoints.push(compiled);
    });
    if (problems.length > 0) {
      throw new ConfigError(`Proxy "${String(input.path)}" is not valid:\n${problems.map((problem) => `- ${problem}`).join('\n')}`, {
        problems,
      });
    }
    this.path = input.path;
    this.name = input.name;
    this.description = input.description;
    this.baseUrl = input.baseUrl;
    this.apiKey = input.apiKey;
    this.headers = { ...(input.headers ?? {}) };
    this.timeoutMs = input.timeoutMs ?? 30_000;
    this.detectError = input.detectError ?? defaultDetectError;
    this.enums = Object.fromEntries(Object.entries(input.enums ?? {}).map(([name, values]) => [name, [...values]]));
    this.additionalDocs = { ...(input.additionalDocs ?? {}) };
    this.endpoints = endpoints;
    this.#byKey = byKey;
  }

  /** The endpoint with this key (`category/endpoint`), if any. */
  endpoint(key: string): ProxyEndpoint | undefined {
    return this.#byKey.get(key);
  }

  /** Categories in declaration order. */
  categories(): string[] {
    return [...new Set(this.endpoints.map((endpoint) => endpoint.category))];
  }

  /** Whether `value` is a proxy definition (works across two installed copies of this package). */
  static isInstance(value: unknown): value is ProxyDefinition {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROXY_BRAND] === true;
  }
}

/** Declare a proxy. Every problem in the declaration is reported at once, as a `ConfigError`. */
export function defineProxy(input: ProxyDefinitionInput): ProxyDefinition {
  return new ProxyDefinition(input);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function enumProblems(enums: unknown): string[] {
  if (enums === undefined) return [];
  if (!isRecord(enums)) return [`enums: must be an object of parameter name → list of values, got ${JSON.stringify(enums)}`];
  const problems: string[] = [];
  for (const [name, values] of Object.entries(enums)) {
    const primitive = (value: unknown) => ['string', 'number', 'boolean'].includes(typeof value);
    if (!Array.isArray(values) || values.length === 0 || !values.every(primitive)) {
      problems.push(`enums.${name}: must be a non-empty list of strings, numbers or booleans, got ${JSON.stringify(values)}`);
    }
  }
  return problems;
}

function additionalDocProblems(docs: unknown): string[] {
  if (docs === undefined) return [];
  if (!isRecord(docs)) return [`additionalDocs: must be an object of title → text, got ${JSON.stringify(docs)}`];
  return Object.entries(docs)
    .filter(([title, text]) => !title.trim() || typeof text !== 'string' || !text.trim())
    .map(([title, text]) => `additionalDocs.${JSON.stringify(title)}: needs a title and a non-empty text, got ${JSON.stringify(text)}`);
}

function defaultDetectError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['error', 'Error Message', 'errorMessage']) {
    const value = record[key];
    if (typeof value === 'string' && value) return value;
    if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
      return (value as { message: string }).message;
    }
  }
  return undefined;
}

function isZodObject(value: unknown): value is ZodObject {
  return (
    typeof value === 'object' && value !== null && '_zod' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

function compileEndpoint(
  proxyPath: string,
  definition: EndpointDefinition,
  where: string,
  problems: string[],
  hasBaseUrl: boolean,
): ProxyEndpoint | undefined {
  const before = problems.length;
  for (const field of ['category', 'endpoint', 'name', 'description'] as const) {
    if (typeof definition[field] !== 'string' || !definition[field]) problems.push(`${where}.${field}: is required (a non-empty string)`);
  }
  const method = definition.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') problems.push(`${where}.method: must be "GET" or "POST", got ${JSON.stringify(method)}`);
  if (problems.length > before) return undefined;
  const key = endpointKey(definition);
  const label = `${where} (${key})`;
  if (!definition.handler && !hasBaseUrl) problems.push(`${label}: has no handler, so the proxy needs a baseUrl`);

  let zodSchema: ZodObject | undefined;
  let parameters: JsonSchema;
  if (definition.parameters === undefined) {
    parameters = { type: 'object', properties: {}, additionalProperties: false };
  } else if (isZodObject(definition.parameters)) {
    zodSchema = definition.parameters;
    parameters = z.toJSONSchema(zodSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    delete parameters.$schema;
    parameters.additionalProperties = false;
  } else if (typeof definition.parameters === 'object' && definition.parameters.type === 'object') {
    parameters = { ...definition.parameters };
  } else {
    problems.push(`${label}.parameters: must be a zod object (z.object({...})) or a JSON schema with type "object"`);
    return undefined;
  }
  const properties = (parameters.properties ?? {}) as Record<string, Record<string, unknown>>;
  const names = Object.keys(properties);
  const required = Array.isArray(parameters.required) ? (parameters.required as string[]) : [];

  const climbing = definition.endpoint.split(/[/\\]/).find((segment) => {
    let decoded = segment;
    try {
      decoded = decodeURIComponent(decodeURIComponent(segment));
    } catch {}
    return decoded === '.' || decoded === '..';
  });
  if (climbing !== undefined)
    problems.push(
      `${label}.endpoint: ${JSON.stringify(definition.endpoint)} has a ${JSON.stringify(climbing)} segment; write the path below baseUrl without "." or ".."`,
    );
  const locations: Record<string, ParameterLocation> = {};
  const pathParams = [...definition.endpoint.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1] ?? '');
  for (const name of pathParams) {
    if (!names.includes(name))
      problems.push(`${label}: path parameter {${name}} is not among the parameters (${names.join(', ') || 'none'})`);
    else if (!required.includes(name)) problems.push(`${label}: path parameter {${name}} must be required`);
    locations[name] = 'path';
  }
  for (const name of names) {
    if (locations[name]) continue;
    const explicit = definition.locations?.[name];
    locations[name] = explicit ?? (method === 'POST' ? 'body' : 'query');
  }
  for (const name of Object.keys(definition.locations ?? {})) {
    if (!names.includes(name)) problems.push(`${label}.locations: "${name}" is not a parameter`);
  }

  const examples: Record<string, unknown> = {};
  for (const name of names) {
    const schema = properties[name] ?? {};
    if (definition.examples && name in definition.examples) examples[name] = definition.examples[name];
    else if (Array.isArray(schema.examples) && schema.examples.length > 0) examples[name] = schema.examples[0];
    else if ('example' in schema) examples[name] = schema.example;
    else if ('default' in schema) examples[name] = schema.default;
  }
  for (const name of Object.keys(definition.examples ?? {})) {
    if (!names.includes(name)) problems.push(`${label}.examples: "${name}" is not a parameter`);
  }
  if (!definition.handler) {
    const missing = names.filter((name) => !(name in examples));
    if (missing.length > 0)
      problems.push(
        `${label}.examples: give an example value for ${missing.map((name) => `"${name}"`).join(', ')} (docs and autoTest() use them)`,
      );
  }
  if (definition.dtCutoff) {
    if (typeof definition.dtCutoff.key !== 'string' || !definition.dtCutoff.key.trim())
      problems.push(`${label}.dtCutoff.key: is required, e.g. "date" or "data/items/date"`);
    try {
      parseDateFormat(definition.dtCutoff.format ?? 'iso');
    } catch (error) {
      problems.push(`${label}.dtCutoff.format: ${(error as Error).message}`);
    }
  }
  for (const removeKey of definition.removeKeys ?? []) {
    if (typeof removeKey !== 'string' || !removeKey.trim())
      problems.push(`${label}.removeKeys: ${JSON.stringify(removeKey)} is not a key path`);
  }
  if (problems.length > before) return undefined;

  const fullPath = `${proxyPath}/${key}`;
  const validate = zodSchema
    ? zodValidator(zodSchema, names, fullPath)
    : jsonSchemaValidator(properties, required, parameters.additionalProperties !== false ? undefined : names, fullPath);
  return {
    key,
    fullPath,
    proxyPath,
    category: definition.category,
    subCategory: definition.subCategory,
    endpoint: definition.endpoint,
    name: definition.name,
    description: definition.description,
    method,
    parameters,
    required,
    locations,
    examples,
    exampleResponse: definition.exampleResponse,
    removeKeys: [...(definition.removeKeys ?? [])],
    dtCutoff: definition.dtCutoff,
    transform: definition.transform,
    handler: definition.handler,
    headers: { ...(definition.headers ?? {}) },
    validate,
  };
}

function unknownKeyProblems(params: Record<string, unknown>, names: readonly string[], fullPath: string): string[] {
  return Object.keys(params)
    .filter((name) => !names.includes(name))
    .map((name) => `"${name}" is not a parameter of ${fullPath} (parameters: ${names.join(', ') || 'none'})`);
}

function asParams(params: unknown, fullPath: string): Record<string, unknown> | string {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params))
    return `The parameters of ${fullPath} must be an object of named values, got ${Array.isArray(params) ? 'a list' : typeof params}`;
  return params as Record<string, unknown>;
}

function zodValidator(schema: ZodObject, names: readonly string[], fullPath: string): (params: unknown) => ValidationResult {
  return (input) => {
    const params = asParams(input, fullPath);
    if (typeof params === 'string') return { success: false, error: params };
    const problems = unknownKeyProblems(params, names, fullPath);
    const result = schema.safeParse(params);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const name = issue.path.length ? issue.path.map(String).join('.') : '(parameters)';
        problems.push(`parameter "${name}": ${issue.message}`);
      }
    }
    if (problems.length > 0 || !result.success) return { success: false, error: problems.join('; ') };
    return { success: true, data: result.data };
  };
}

const JSON_TYPES: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string',
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  integer: (value) => Number.isInteger(value),
  boolean: (value) => typeof value === 'boolean',
  array: (value) => Array.isArray(value),
  object: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  null: (value) => value === null,
};

function jsonSchemaValidator(
  properties: Record<string, Record<string, unknown>>,
  required: readonly string[],
  closedNames: readonly string[] | undefined,
  fullPath: string,
): (params: unknown) => ValidationResult {
  return (input) => {
    const params = asParams(input, fullPath);
    if (typeof params === 'string') return { success: false, error: params };
    const problems = closedNames ? unknownKeyProblems(params, closedNames, fullPath) : [];
    for (const name of required) {
      if (params[name] === undefined) problems.push(`parameter "${name}" is required`);
    }
    for (const [name, value] of Object.entries(params)) {
      const schema = properties[name];
      if (!schema || value === undefined) continue;
      const types = (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []) as string[];
      if (types.length > 0 && !types.some((type) => JSON_TYPES[type]?.(value) ?? true)) {
        problems.push(`parameter "${name}": expected ${types.join(' or ')}, got ${JSON.stringify(value)}`);
      } else if (Array.isArray(schema.enum) && !schema.enum.some((option) => option === value)) {
        problems.push(
          `parameter "${name}": expected one of ${schema.enum.map((option) => JSON.stringify(option)).join(', ')}, got ${JSON.stringify(value)}`,
        );
      }
    }
    if (problems.length > 0) return { success: false, error: problems.join('; ') };
    return { success: true, data: params };
  };
}
