// `log_options` of `log_type: postgres`, checked the way core reports config problems (every problem,
// by key path), and the connection string: from `url`, else `DATABASE_URL`; its password is a secret.
import { ConfigError, type LogOptionsIssue, type LogOptionsSchema, redactString, registerSecret } from '@lllm/core';
import { closestMatches } from '@lllm/core/utils';

/** Settings of the PostgreSQL store (`log_options` in a system config). */
export interface PostgresLogOptions {
  /** `postgres://user:password@host:port/database`; default: `$DATABASE_URL`. */
  readonly url?: string;
  /** Connections kept open (default 4): one inserts, the others serve reads. */
  readonly poolSize?: number;
  /** The PostgreSQL schema holding the tables (default `lllm`); created if missing. */
  readonly schema?: string;
  /** Queued entries that start an insert at once (default 1,000). */
  readonly batchSize?: number;
  /** How long an entry may wait in the queue before it is inserted, in ms (default 50). */
  readonly flushIntervalMs?: number;
  /** How long to wait for a connection, in ms (default 10,000). */
  readonly connectTimeoutMs?: number;
}

/** The checked options with every default applied. */
export interface ResolvedPostgresLogOptions {
  readonly url: string;
  readonly poolSize: number;
  readonly schema: string;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly connectTimeoutMs: number;
}

interface NumberRule {
  readonly min: number;
  readonly max: number;
  readonly fallback: number;
  readonly what: string;
}

const NUMBERS: Record<'poolSize' | 'batchSize' | 'flushIntervalMs' | 'connectTimeoutMs', NumberRule> = {
  poolSize: { min: 1, max: 100, fallback: 4, what: 'connections' },
  batchSize: { min: 1, max: 50_000, fallback: 1000, what: 'entries' },
  flushIntervalMs: { min: 1, max: 60_000, fallback: 50, what: 'milliseconds' },
  connectTimeoutMs: { min: 100, max: 300_000, fallback: 10_000, what: 'milliseconds' },
};

const KEYS = ['url', 'schema', ...Object.keys(NUMBERS)];

/** A PostgreSQL identifier LLLM can use unquoted-safe: lower case, digits, `_`, at most 63 characters. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks `log_options` (as parsed from YAML): the shape core's `checkLogOptions` expects of a schema. */
export const postgresLogOptions: LogOptionsSchema<PostgresLogOptions> = {
  safeParse(value: unknown) {
    const issues: LogOptionsIssue[] = [];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { success: false, error: { issues: [{ path: [], message: `Expected a mapping of settings, got ${JSON.stringify(value)}` }] } };
    }
    const input = value as Record<string, unknown>;
    const output: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      if (item === undefined) continue;
      if (!KEYS.includes(key)) {
        const close = closestMatches(key, KEYS);
        issues.push({
          path: [key],
          message: `Unrecognized key ${JSON.stringify(key)}${close.length ? `: did you mean "${close[0]}"?` : ''} (known: ${KEYS.join(', ')})`,
        });
        continue;
      }
      if (key === 'url') {
        if (typeof item !== 'string' || !/^postgres(ql)?:\/\//.test(item)) {
          issues.push({
            path: [key],
            message: `Expected a postgres:// or postgresql:// URL, got ${JSON.stringify(typeof item === 'string' ? redactString(item) : item)}`,
          });
        } else output.url = item;
      } else if (key === 'schema') {
        if (typeof item !== 'string' || !SCHEMA_NAME.test(item)) {
          issues.push({
            path: [key],
            message: `Expected a schema name of lower-case letters, digits and "_" (at most 63, not starting with a digit), got ${JSON.stringify(item)}`,
          });
        } else output.schema = item;
      } else {
        const rule = NUMBERS[key as keyof typeof NUMBERS];
        if (typeof item !== 'number' || !Number.isInteger(item) || item < rule.min || item > rule.max) {
          issues.push({
            path: [key],
            message: `Expected a whole number of ${rule.what} from ${rule.min} to ${rule.max}, got ${JSON.stringify(item)}`,
          });
        } else output[key] = item;
      }
    }
    return issues.length > 0 ? { success: false, error: { issues } } : { success: true, data: output as PostgresLogOptions };
  },
};

/**
 * Check `options` and apply the defaults; the URL comes from `options.url`, else `DATABASE_URL`. The
 * URL's password is registered as a secret, so no log, cache key or error message LLLM writes holds it.
 */
export function resolvePostgresLogOptions(
  options: PostgresLogOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPostgresLogOptions {
  const parsed = postgresLogOptions.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${['log_options', ...issue.path.map(String)].join('.')}: ${issue.message}`);
    throw new ConfigError(
      `The PostgreSQL log options have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((problem) => `- ${problem}`).join('\n')}`,
      {
        problems,
      },
    );
  }
  const checked = parsed.data;
  const url = checked.url ?? env.DATABASE_URL;
  if (!url) {
    throw new ConfigError(
      'log_type postgres needs a connection string: set log_options.url in the system config or the DATABASE_URL environment variable (postgres://user:password@host:5432/database).',
    );
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new ConfigError(`DATABASE_URL must be a postgres:// or postgresql:// URL, got ${JSON.stringify(redactString(url))}.`);
  }
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new ConfigError(
      `The PostgreSQL connection string ${JSON.stringify(redactString(url))} is not a valid URL: percent-encode special characters in the user name and password.`,
    );
  }
  if (parsedUrl.password) {
    registerSecret(parsedUrl.password);
    try {
      registerSecret(decodeURIComponent(parsedUrl.password));
    } catch {}
  }
  return {
    url,
    schema: checked.schema ?? 'lllm',
    poolSize: checked.poolSize ?? NUMBERS.poolSize.fallback,
    batchSize: checked.batchSize ?? NUMBERS.batchSize.fallback,
    flushIntervalMs: checked.flushIntervalMs ?? NUMBERS.flushIntervalMs.fallback,
    connectTimeoutMs: checked.connectTimeoutMs ?? NUMBERS.connectTimeoutMs.fallback,
  };
}

/** `postgres://user@host:port/database`: the server as messages name it, never with the password. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${parsed.username}@` : '';
    return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return redactString(url);
  }
}
