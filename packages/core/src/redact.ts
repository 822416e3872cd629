import { processRegistry } from './process-registry.js';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /^(?:authorization|proxy-authorization|x-api-key|api[-_]?key|apikey|x-goog-api-key|password|passwd|secret|client[-_]?secret|access[-_]?token|refresh[-_]?token|auth[-_]?token|session[-_]?token)$|(?:[-_]api[-_]?key|ApiKey|[-_]secret|[-_]password)$/i;

const SECRET_PATTERNS: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}/g,
  /\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{12,}/g,
  /\b(?:api[_-]?key|apikey|token|access_token)=([^&\s"']{8,})/gi,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g,
];

const extraSecrets = () => processRegistry('secrets', () => new Set<string>());

/**
 * Treat `value` as a secret everywhere LLLM writes (logs, caches, error messages). Values shorter
 * than 8 characters are ignored: they would redact ordinary words.
 */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) extraSecrets().add(value);
}

function environmentSecrets(): string[] {
  const found: string[] = [];
  const env = typeof process === 'undefined' ? {} : process.env;
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && /(?:API_KEY|_TOKEN|_SECRET|_PASSWORD|APIKEY)$/i.test(name)) found.push(value);
  }
  return found;
}

/** Replace secrets inside one string: known secret values and key-shaped patterns. */
export function redactString(text: string, secrets: readonly string[] = knownSecrets()): string {
  // Most strings are short and innocent: skip the patterns when nothing could match.
  if (text.length < 8) return text;
  let result = text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) {
    result = result.replace(pattern, (match, group: unknown) =>
      typeof group === 'string'
        ? match.replace(group, REDACTED)
        : match.startsWith('B')
          ? `${match.split(/\s+/)[0]} ${REDACTED}`
          : REDACTED,
    );
  }
  return result;
}

let cached: { at: number; registered: number; list: string[] } | undefined;

/**
 * Every secret value known right now: registered ones and `*_API_KEY`/`*_TOKEN`/`*_SECRET` env
 * values. Reading the environment is slow, so the list is reused for up to a second (and rebuilt at
 * once when a secret is registered).
 */
export function knownSecrets(): string[] {
  const at = Date.now();
  if (cached && cached.registered === extraSecrets().size && at - cached.at < 1000) return cached.list;
  const list = [...new Set([...extraSecrets(), ...environmentSecrets()])].sort((a, b) => b.length - a.length);
  cached = { at, registered: extraSecrets().size, list };
  return list;
}

/**
 * A deep copy of `value` with secrets replaced: values under secret-named keys (`apiKey`,
 * `Authorization`, `x-api-key`, …) and secret values or patterns inside any string.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[] = knownSecrets()): T {
  return redactValue(value, secrets, new WeakMap()) as T;
}

function redactValue(value: unknown, secrets: readonly string[], seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactString(value, secrets);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const item of value) copy.push(redactValue(item, secrets, seen));
    return copy;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  seen.set(value, copy);
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEY.test(key) && item !== null && item !== undefined && item !== '' ? REDACTED : redactValue(item, secrets, seen);
  }
  return copy;
}
