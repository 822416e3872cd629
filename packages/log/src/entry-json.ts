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
 * almost no entry holds a secret. The replacer sees exactly what is serialized (values after `toJSON`):
 * the entry is clean when no secret-named key holds a value and `redactString` leaves its strings
 * alone. The strings are checked in one call, joined by NUL, a non-word character: every match inside
 * one string is still found, and matches across the joins only cause false alarms. Text already
 * holding `[REDACTED]` is never clean, so "unchanged by redactString" means "nothing matched".
 */
export function serializeEntry(data: JsonObject, secrets: readonly string[] = knownSecrets()): SerializedEntry {
  const strings: string[] = [];
  let secretKey = false;
  const json = JSON.stringify(data, function (this: unknown, key: string, value: unknown) {
    // redactString leaves strings under 8 characters alone.
    if (typeof value === 'string') {
      if (value.length >= 8) strings.push(value);
    }
    if (!secretKey && value !== null && value !== undefined && value !== '' && !Array.isArray(this) && isSecretKey(key)) {
      secretKey = true;
    }
    return value;
  });
  if (json === undefined) throw new TypeError('A log entry must be a JSON object.');
  if (secretKey) return { json, secrets };
  const joined = strings.join('\u0000');
  const clean = !joined.includes(REDACTED) && redactString(joined, secrets) === joined;
  return { json, secrets: clean ? undefined : secrets };
}

/** The text to store for an entry: as serialized when clean, else parsed, redacted and serialized again. */
export function storedJson(entry: SerializedEntry): string {
  return entry.secrets === undefined ? entry.json : JSON.stringify(redactSecrets(JSON.parse(entry.json) as unknown, entry.secrets));
}
