// One redaction for everything LLLM writes: log stores, the proxy cache, error messages, MCP stderr
// tails, sandbox outputs, the CLI's output. Three kinds of secrets are replaced by `[REDACTED]`:
// - known secret values — registered ones and the values of secret-named environment variables —
//   in every form an API or a layer may have encoded them (percent-encoded, form-encoded, base64,
//   JSON-escaped: see redact/encodings.ts);
// - secrets recognised by their shape or by the name before them (redact/patterns.ts);
// - in objects, every value under a secret-named key (redact/names.ts).
import { processRegistry } from './process-registry.js';
import { encodedForms } from './redact/encodings.js';
import { isSecretKey, jsonHasSecretKey } from './redact/names.js';
import { found, plainJsonStringsMayMatch, REDACTED, redactPatterns } from './redact/patterns.js';

export { isSecretKey } from './redact/names.js';
export { REDACTED } from './redact/patterns.js';

/** Values shorter than this are not treated as secrets: they would redact ordinary words. */
const MIN_SECRET_LENGTH = 8;

const extraSecrets = () => processRegistry('secrets', () => new Set<string>());

/**
 * Treat `value` as a secret everywhere LLLM writes (logs, caches, error messages, printed output),
 * including its URL-encoded, base64 and JSON-escaped forms. Values shorter than 8 characters are
 * ignored: they would redact ordinary words.
 */
export function registerSecret(value: string | undefined): void {
  if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) extraSecrets().add(value);
}

/** `scheme://user:password@host` → `password` (percent-decoded too, when it was encoded). */
const URL_PASSWORD = /\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:/@]*:([^\s@/]+)@/g;

function environmentSecrets(): string[] {
  const found: string[] = [];
  const env = typeof process === 'undefined' ? {} : process.env;
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < MIN_SECRET_LENGTH) continue;
    if (isSecretKey(name)) found.push(value);
    // DATABASE_URL, REDIS_URL, …: the password inside the URL is the secret.
    if (value.includes('://')) {
      for (const match of value.matchAll(URL_PASSWORD)) {
        const password = match[1] ?? '';
        found.push(password);
        try {
          found.push(decodeURIComponent(password));
        } catch {}
      }
    }
  }
  return found.filter((secret) => secret.length >= MIN_SECRET_LENGTH);
}

let cached: { at: number; registered: number; signature: string; list: string[] } | undefined;

/**
 * Every secret value known right now: registered ones, values of secret-named environment variables
 * (`*_API_KEY`, `*_KEY`, `*_SECRET*`, `*_TOKEN`, `*PASSWORD*`, `*_PAT`, `*_CREDENTIALS`, …) and the
 * passwords inside URL-valued variables (`DATABASE_URL`). Reading the environment is slow, so the list is
 * reused for up to a second (and rebuilt at once when a secret is registered); an unchanged set keeps
 * the same array, so the matcher built for it is reused.
 */
export function knownSecrets(): string[] {
  const at = Date.now();
  const registered = extraSecrets().size;
  if (cached && cached.registered === registered && at - cached.at < 1000) return cached.list;
  const list = [...new Set([...extraSecrets(), ...environmentSecrets()])].sort((a, b) => b.length - a.length);
  const signature = list.join('\u0000');
  if (cached && cached.signature === signature) {
    cached = { ...cached, at, registered };
    return cached.list;
  }
  cached = { at, registered, signature, list };
  return list;
}

/** One regular expression for every form of every secret in a set, longest first. */
function compileSecrets(secrets: readonly string[]): RegExp | undefined {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length === 0) continue;
    for (const form of encodedForms(secret)) forms.add(form);
  }
  if (forms.size === 0) return undefined;
  return new RegExp(alternation([...forms]), 'g');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * `abc|abd|xy` as the trie `ab(?:c|d)|xy`: V8 tries the alternatives of a flat list one by one at
 * every position, but only one branch of a trie per character. A form that ends where a longer one
 * goes on is tried last, so the longer form is replaced whole.
 */
function alternation(forms: string[]): string {
  const branches = new Map<string, string[]>();
  let ends = false;
  for (const form of forms) {
    if (form.length === 0) ends = true;
    else {
      const first = form.charAt(0);
      const rest = branches.get(first);
      if (rest) rest.push(form.slice(1));
      else branches.set(first, [form.slice(1)]);
    }
  }
  const parts = [...branches].map(
    ([first, rests]) => escapeRegExp(first) + (rests.length === 1 ? escapeRegExp(rests[0] as string) : `(?:${alternation(rests)})`),
  );
  if (ends) parts.push('');
  return parts.join('|');
}

const matchers = new WeakMap<readonly string[], RegExp | undefined>();
const recentMatchers = new Map<string, RegExp | undefined>();

/**
 * The matcher of a secret set: remembered per array (`knownSecrets()` returns the same array while the
 * set is unchanged) and, for arrays built per call, per content (the last 32 sets).
 */
function secretsMatcher(secrets: readonly string[]): RegExp | undefined {
  if (secrets.length === 0) return undefined;
  if (matchers.has(secrets)) return matchers.get(secrets);
  const signature = secrets.join('\u0000');
  let matcher: RegExp | undefined;
  if (recentMatchers.has(signature)) matcher = recentMatchers.get(signature);
  else {
    matcher = compileSecrets(secrets);
    if (recentMatchers.size >= 32) recentMatchers.delete(recentMatchers.keys().next().value as string);
    recentMatchers.set(signature, matcher);
  }
  matchers.set(secrets, matcher);
  return matcher;
}

/**
 * Replace secrets inside one string: known secret values (in their encoded forms too) and secrets
 * recognised by shape or name. JSON-safe: redacting a serialized JSON text gives JSON that still
 * parses (prefer `redactSecrets` on the value before serializing, which also honours secret keys).
 */
export function redactString(text: string, secrets: readonly string[] = knownSecrets()): string {
  // Most strings are short and innocent.
  if (typeof text !== 'string' || text.length < MIN_SECRET_LENGTH) return text;
  const matcher = secretsMatcher(secrets);
  const known = matcher ? text.replace(matcher, REDACTED) : text;
  return redactPatterns(known);
}

/**
 * A JSON text with its secrets redacted: what `JSON.stringify(redactSecrets(JSON.parse(text)))` gives,
 * except that a text with nothing to redact comes back as it is (the same string), which is decided
 * without parsing it. For texts `JSON.stringify` wrote (no space before a colon): a log store
 * serializes an entry when it is written, and redacts the text here before it is saved.
 *
 * Nothing to redact means: no key that `isSecretKey` calls secret, and no string that `redactString`
 * would change. The strings are checked in the text itself. A string without an escape stands there
 * exactly as it is, between two `"`, and no pattern takes a `"` into a secret, so whatever
 * `redactString` would find in that string is found in the text too (a match that runs over a
 * string's ends is only a false alarm, which costs a parse); of the named values only the
 * `name=value` forms are looked for there, the others needing a `"` or a `\`. A string with an escape
 * reads differently in the text (a tab is `\t` there), so those strings are decoded and checked on
 * their own, with every pattern.
 */
export function redactJson(text: string, secrets: readonly string[] = knownSecrets()): string {
  return jsonMayHoldSecret(text, secrets) ? JSON.stringify(redactSecrets(JSON.parse(text) as unknown, secrets)) : text;
}

function jsonMayHoldSecret(text: string, secrets: readonly string[]): boolean {
  if (jsonHasSecretKey(text) || plainStringsMayHoldSecret(text, secrets)) return true;
  if (!text.includes('\\')) return false;
  // Each on its own, as redactSecrets sees it: joined, a match that ran from one string into the next
  // could take in the name of a secret there and leave its value.
  return escapedStrings(text).some((decoded) => redactString(decoded, secrets) !== decoded);
}

/**
 * Whether `redactString` could change a string that a JSON text holds without an escape: a known
 * secret, or a pattern (`plainJsonStringsMayMatch`), found in the whole text at once.
 */
function plainStringsMayHoldSecret(text: string, secrets: readonly string[]): boolean {
  // redactString leaves shorter strings alone, and every string of the text is shorter than it.
  if (text.length < MIN_SECRET_LENGTH) return false;
  const matcher = secretsMatcher(secrets);
  return (matcher !== undefined && found(matcher, text)) || plainJsonStringsMayMatch(text);
}

/**
 * The strings of a JSON text that hold an escape, decoded. Found from their backslashes (outside
 * strings JSON has none), so the strings without one cost nothing; a scan, not a regular expression,
 * which would overflow the stack on a string of megabytes.
 */
function escapedStrings(text: string): string[] {
  const decoded: string[] = [];
  for (let backslash = text.indexOf('\\'); backslash !== -1; ) {
    let open = text.lastIndexOf('"', backslash);
    while (open > 0 && isEscaped(text, open)) open = text.lastIndexOf('"', open - 1);
    let close = text.indexOf('"', backslash + 1);
    while (close !== -1 && isEscaped(text, close)) close = text.indexOf('"', close + 1);
    if (open === -1 || close === -1) break;
    decoded.push(JSON.parse(text.slice(open, close + 1)) as string);
    backslash = text.indexOf('\\', close + 1);
  }
  return decoded;
}

/** Whether the character at `index` follows an odd run of backslashes. */
function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(index - 1 - backslashes) === 92) backslashes += 1;
  return backslashes % 2 === 1;
}

/**
 * A deep copy of `value` with secrets replaced: values under secret-named keys (`apiKey`,
 * `Authorization`, `x-api-key`, `client_secret`, `AWS_SECRET_ACCESS_KEY`, … — see `isSecretKey`) and
 * secrets inside any string (see `redactString`).
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
    copy[key] = isSecretKey(key) && item !== null && item !== undefined && item !== '' ? REDACTED : redactValue(item, secrets, seen);
  }
  return copy;
}
