import { type JsonObject, knownSecrets, REDACTED, redactSecrets, redactString } from '@lllm/core';

/** One log entry's data, serialized when it was written. */
export interface SerializedEntry {
  /** The JSON text of the data as it was at write time (later changes to the object do not reach the log). */
  readonly json: string;
  /**
   * Set when the text may hold a secret: `storedJson` then redacts it with these secrets. `undefined`
   * when the text is provably what redaction would produce.
   */
  readonly secrets: readonly string[] | undefined;
}

const secretKeys = new Map<string, boolean>();

/** Whether core replaces values under `key`: asked of core's own rule, remembered per key. */
function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = (redactSecrets({ [key]: 'x' }, []) as Record<string, unknown>)[key] === REDACTED;
    if (secretKeys.size >= 10_000) secretKeys.clear();
    secretKeys.set(key, secret);
  }
  return secret;
}

/**
 * Serialize `data` for a log store (a snapshot: the caller may change the object afterwards) and decide
 * cheaply whether redaction could change it.
 *
 * Deep-copying every entry through `redactSecrets` was most of what logging cost an agent call, and
 * almost no entry holds a secret. The entry is clean when no secret-named key holds a value and
 * `redactString` leaves its strings alone. The strings are checked in one call, joined by NUL, a
 * non-word character: every match inside one string is still found, and matches across the joins only
 * cause false alarms. Text already holding `[REDACTED]` is never clean, so "unchanged by redactString"
 * means "nothing matched".
 *
 * The values are collected by a walk that follows `JSON.stringify`'s own rules (`toJSON`, boxed
 * primitives, what is left out), and the text is made by `JSON.stringify` without a replacer, which
 * keeps its fast path: a replacer called for every value was the larger part of a log write. A value
 * the walk does not know how to mirror exactly (a cycle, too deep) is serialized the old way, with
 * the replacer seeing every value.
 */
export function serializeEntry(data: JsonObject, secrets: readonly string[] = knownSecrets()): SerializedEntry {
  const walk: Walk = { strings: [], secretKey: false, snapshot: true };
  const snapshot = walkValue(data, walk, 0, '');
  let json: string | undefined;
  if (walk.snapshot) {
    json = JSON.stringify(snapshot);
  } else {
    walk.strings.length = 0;
    walk.secretKey = false;
    json = JSON.stringify(data, function (this: unknown, key: string, value: unknown) {
      // redactString leaves strings under 8 characters alone.
      if (typeof value === 'string' && value.length >= 8) walk.strings.push(value);
      if (!walk.secretKey && value !== null && value !== undefined && value !== '' && !Array.isArray(this) && isSecretKey(key)) {
        walk.secretKey = true;
      }
      return value;
    });
  }
  if (json === undefined) throw new TypeError('A log entry must be a JSON object.');
  if (walk.secretKey) return { json, secrets };
  const joined = walk.strings.join('\u0000');
  const clean = !joined.includes(REDACTED) && redactString(joined, secrets) === joined;
  return { json, secrets: clean ? undefined : secrets };
}

interface Walk {
  /** Every string of at least 8 characters that will be serialized (redactString skips shorter ones). */
  readonly strings: string[];
  /** A secret-named key holds a value. */
  secretKey: boolean;
  /** The walk mirrored everything; false sends the entry down the replacer path. */
  snapshot: boolean;
}

/** Deeper than this, the walk gives up (to the replacer path, which has no such limit). */
const MAX_DEPTH = 200;

/**
 * The value as `JSON.stringify` sees it, with each object that has `toJSON` replaced by its result
 * (so the text is made from exactly what was checked); strings and keys are noted in `walk`. Plain
 * data is returned as it is, without copying.
 */
function walkValue(value: unknown, walk: Walk, depth: number, key: string): unknown {
  if (typeof value === 'string') {
    if (value.length >= 8) walk.strings.push(value);
    return value;
  }
  if (typeof value === 'bigint') {
    // JSON.stringify throws on it, unless someone gave BigInt a toJSON: the replacer path decides.
    walk.snapshot = false;
    return value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) {
    walk.snapshot = false;
    return value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const replaced: unknown = (value as { toJSON(key: string): unknown }).toJSON(key);
    // JSON.stringify serializes toJSON's result without calling toJSON on it again; a result that has
    // one of its own would be handled differently here: the replacer path decides.
    if (typeof replaced === 'object' && replaced !== null && typeof (replaced as { toJSON?: unknown }).toJSON === 'function') {
      walk.snapshot = false;
      return value;
    }
    return walkValue(replaced, walk, depth, key);
  }
  if (value instanceof String) return walkValue(String(value), walk, depth, key);
  if (value instanceof Number || value instanceof Boolean) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const seen = walkValue(item, walk, depth + 1, String(index));
      if (seen !== item) {
        copy ??= value.slice();
        copy[index] = seen;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const name of Object.keys(value)) {
    const item: unknown = (value as Record<string, unknown>)[name];
    const seen = walkValue(item, walk, depth + 1, name);
    if (!walk.secretKey && seen !== null && seen !== undefined && seen !== '' && isSecretKey(name)) walk.secretKey = true;
    if (seen !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[name] = seen;
    }
  }
  return copy ?? value;
}

/** The text to store for an entry: as serialized when clean, else parsed, redacted and serialized again. */
export function storedJson(entry: SerializedEntry): string {
  return entry.secrets === undefined ? entry.json : JSON.stringify(redactSecrets(JSON.parse(entry.json) as unknown, entry.secrets));
}
