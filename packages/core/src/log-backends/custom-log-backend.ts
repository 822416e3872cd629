import { getDiscoverySection, registerDiscoverySection } from '../discovery-sections.js';
import { ConfigError } from '../errors.js';
import { type LogStore, type LogStoreConfig, registerLogBackend } from '../log-store.js';
import { processRegistry } from '../process-registry.js';
import { redactSecrets } from '../redact.js';

/** One problem a schema found, as zod (3 and 4) reports it. */
export interface LogOptionsIssue {
  /** Where in `log_options` (keys and indexes). */
  readonly path: readonly PropertyKey[];
  /** What is wrong. */
  readonly message: string;
}

/** Checks a backend's `log_options`: a zod schema, or anything with the same `safeParse`. */
export interface LogOptionsSchema<Options = unknown> {
  /** Parse `value`; on success `data` is what the factory receives (defaults applied). */
  safeParse(value: unknown): { success: true; data: Options } | { success: false; error: { issues: readonly LogOptionsIssue[] } };
}

/** A custom log backend, as a module in a `[log_backends]` folder exports it (see {@link defineLogBackend}). */
export interface LogBackendDefinition<Options = Record<string, unknown>> {
  /** The `log_type` that picks it in a system config. */
  readonly type: string;
  /** Checks `log_options`; the factory receives the parsed value. Without it, options pass through unchecked. */
  readonly options?: LogOptionsSchema<Options>;
  /** Make a store: `options` are the checked `log_options`, `directory` is `log_dir`. */
  create(config: { readonly type: string; readonly directory?: string; readonly options: Options }): LogStore | Promise<LogStore>;
}

const DEFINITION = Symbol.for('lllm.log-backend-definition');
const schemas = () => processRegistry('log-backend-options', () => new Map<string, LogOptionsSchema>());

/**
 * Describe a custom log backend. Export the result from a module in a folder listed under
 * `[log_backends] folders = [...]` in `lllm.toml` and `log_type: <type>` with `log_options: {...}`
 * in a system config picks it; or pass it to {@link registerCustomLogBackend} yourself.
 */
export function defineLogBackend<Options>(definition: LogBackendDefinition<Options>): LogBackendDefinition<Options> {
  return Object.assign(Object.create(null), definition, { [DEFINITION]: true }) as LogBackendDefinition<Options>;
}

/** Whether `value` came from {@link defineLogBackend} (of any copy of core). */
export function isLogBackendDefinition(value: unknown): value is LogBackendDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true;
}

/**
 * Check `options` (a system config's `log_options`) against the schema `type` was registered with.
 * Returns what the factory receives; a mismatch is a ConfigError listing every problem by key path.
 */
export function checkLogOptions(type: string, options: Readonly<Record<string, unknown>> = {}): Readonly<Record<string, unknown>> {
  const schema = schemas().get(type);
  if (!schema) return options;
  const parsed = schema.safeParse(options);
  if (parsed.success) return (parsed.data ?? {}) as Record<string, unknown>;
  const problems = parsed.error.issues.map((issue) => `${['log_options', ...issue.path.map(String)].join('.')}: ${issue.message}`);
  throw new ConfigError(
    `log_options for log_type "${type}" has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
      .map((problem) => `- ${problem}`)
      .join('\n')}\nFix log_options in the system config (${JSON.stringify(redactSecrets(options))}).`,
    { problems },
  );
}

/** Register a definition: `log_type: <definition.type>` creates its stores, with `log_options` checked first. */
export function registerCustomLogBackend(definition: LogBackendDefinition<unknown>): void {
  registerLogBackend(definition.type, (config: LogStoreConfig) =>
    definition.create({ type: config.type, directory: config.directory, options: checkLogOptions(config.type, config.options) }),
  );
  if (definition.options) schemas().set(definition.type, definition.options);
  else schemas().delete(definition.type);
}

/**
 * Register the `[log_backends]` discovery section: every export of its modules made with
 * {@link defineLogBackend} is registered. The `lllm` CLI calls this; call it before `discover()` in
 * your own entry point.
 */
export function registerLogBackendDiscovery(): void {
  if (getDiscoverySection('log_backends')) return;
  registerDiscoverySection('log_backends', (exports) => {
    for (const value of Object.values(exports)) if (isLogBackendDefinition(value)) registerCustomLogBackend(value);
  });
}
