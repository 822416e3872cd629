/**
 * Deep merge with provenance: the one merge rule of config inheritance (`base`, `global`).
 * Maps merge key by key, lists and scalars replace, and `null` deletes the key. Every leaf keeps the
 * name of the layer that set it, so `lllm config show` can say where each value came from.
 */

/** A plain object read from YAML. */
export type ConfigMap = Record<string, unknown>;

/** Where each leaf of a config came from: its dotted key path → a layer description (usually a file). */
export type ConfigOrigins = Record<string, string>;

/** Whether a value is a plain mapping (not a list, not null). */
export function isConfigMap(value: unknown): value is ConfigMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** The dotted path of `key` under `prefix` (`agent_configs.writer` + `temperature`). */
export function keyPath(prefix: string, key: string): string {
  return prefix ? `${prefix}.${key}` : key;
}

/** Every origin recorded at or under `path`. */
function dropOrigins(origins: ConfigOrigins, path: string): void {
  for (const key of Object.keys(origins)) if (key === path || key.startsWith(`${path}.`)) delete origins[key];
}

/** Record `origin` for every leaf of `value` at `path`. An empty map is a leaf of its own. */
export function recordOrigins(origins: ConfigOrigins, path: string, value: unknown, origin: string): void {
  if (isConfigMap(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) recordOrigins(origins, keyPath(path, key), child, origin);
  } else {
    origins[path] = origin;
  }
}

/**
 * Merge `override` over `base` (neither is changed): maps merge recursively, lists and scalars
 * replace, `null` deletes. When `origins` is given, the leaves `override` sets are recorded as coming
 * from `origin`, and deleted keys lose theirs.
 */
export function deepMerge(
  base: ConfigMap,
  override: ConfigMap,
  provenance?: { readonly origins: ConfigOrigins; readonly origin: string; readonly path?: string },
): ConfigMap {
  const result: ConfigMap = { ...base };
  const prefix = provenance?.path ?? '';
  for (const [key, value] of Object.entries(override)) {
    const path = keyPath(prefix, key);
    if (value === null) {
      delete result[key];
      if (provenance) dropOrigins(provenance.origins, path);
      continue;
    }
    const current = result[key];
    if (isConfigMap(current) && isConfigMap(value)) {
      result[key] = deepMerge(current, value, provenance ? { ...provenance, path } : undefined);
      continue;
    }
    result[key] = isConfigMap(value) ? stripNulls(value) : value;
    if (provenance) {
      dropOrigins(provenance.origins, path);
      recordOrigins(provenance.origins, path, result[key], provenance.origin);
    }
  }
  return result;
}

/** A map without its `null` entries (at any depth): a `null` with nothing under it to delete means "absent". */
function stripNulls(value: ConfigMap): ConfigMap {
  const result: ConfigMap = {};
  for (const [key, child] of Object.entries(value)) {
    if (child === null) continue;
    result[key] = isConfigMap(child) ? stripNulls(child) : child;
  }
  return result;
}
