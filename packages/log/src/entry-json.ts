import { type JsonObject, knownSecrets, redactJson } from '@lllm/core';

/** One log entry's data, serialized when it was written. */
export interface SerializedEntry {
  /** The JSON text of the data as it was at write time (later changes to the object do not reach the log). */
  readonly json: string;
  /** The secrets known at write time: `storedJson` redacts them. */
  readonly secrets: readonly string[];
}

/**
 * Serialize `data` for a log store: a snapshot (the caller may change the object afterwards), made by
 * `JSON.stringify` alone, which keeps its fast path. Whether the text holds a secret is decided later,
 * when the entry is stored (`storedJson`), on the text.
 */
export function serializeEntry(data: JsonObject, secrets: readonly string[] = knownSecrets()): SerializedEntry {
  const json = JSON.stringify(data) as string | undefined;
  if (json === undefined) throw new TypeError('A log entry must be a JSON object.');
  return { json, secrets };
}

/**
 * The text to store for an entry: as serialized when nothing in it needs redacting (decided on the
 * text, without parsing it: see `redactJson`), else parsed, redacted and serialized again.
 */
export function storedJson(entry: SerializedEntry): string {
  return redactJson(entry.json, entry.secrets);
}
