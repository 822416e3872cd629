// The Node.js versions LLLM runs on, checked before anything heavy loads: the bin imports this file
// first, so an older Node gets a sentence instead of a segfault. Keep it free of imports.

/**
 * The supported Node.js versions, as in every package's `engines.node`. Two features set the floor:
 * Node-API 10, which better-sqlite3 13 (the default log store) is built for — on Node 22.11–22.13
 * (Node-API 9) it crashes the process with a segfault; it arrived in 22.14.0 and 23.6.0 — and
 * TypeScript type stripping without a flag, which `discover()` relies on to import a project's `.ts`
 * files with Node's own `import()` — 22.18.0 and 23.6.0.
 */
export const SUPPORTED_NODE = '^22.18.0 || >=23.6.0';

/** The Node-API version better-sqlite3 needs. */
const NODE_API_FLOOR = 10;

/** Whether `version` (e.g. `22.12.0`, with or without a `v`) is in {@link SUPPORTED_NODE}. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0] = version
    .replace(/^v/, '')
    .split('.')
    .map((part) => Number.parseInt(part, 10));
  if (major === 22) return minor >= 18;
  if (major === 23) return minor >= 6;
  return major > 23;
}

/**
 * Why this Node.js cannot run LLLM, or `undefined` when it can: the running version (and its
 * Node-API version) against the floor, and what to do about it.
 */
export function nodeVersionProblem(
  version: string = process.versions.node,
  nodeApi: string | undefined = process.versions.napi,
): string | undefined {
  const apiTooOld = nodeApi !== undefined && Number.parseInt(nodeApi, 10) < NODE_API_FLOOR;
  if (isSupportedNode(version) && !apiTooOld) return undefined;
  return (
    `LLLM needs Node.js ${SUPPORTED_NODE}, but this is Node.js v${version.replace(/^v/, '')}` +
    `${nodeApi ? ` (Node-API ${nodeApi})` : ''}. The SQLite log store (better-sqlite3) needs Node-API ${NODE_API_FLOOR} (older Nodes crash ` +
    'instead of running) and discovery loads .ts files with the type stripping Node has on by default since 22.18. ' +
    'Install Node.js 22.18 or newer (e.g. `nvm install 22`) and run the command again.'
  );
}
