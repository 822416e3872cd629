import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScriptedResponse, SseEvent } from './wire-server.js';

/** Where the recorded payloads are, or why they are not there. */
export type RecordedPayloads =
  | { readonly available: true; readonly dir: string }
  | { readonly available: false; readonly dir: string | undefined; readonly reason: string };

const OFF = new Set(['off', '0', 'false', 'no', 'none']);

/**
 * The folder of genuine recorded provider payloads (the conformance layer): `$LLLM_FIXTURES_DIR`, else
 * `<repo>/../shared/fixtures/real-api` (the repository's `shared/` sibling). `LLLM_FIXTURES=off` (or
 * `LLLM_FIXTURES_DIR=off`) hides them, so a run can prove the main suite needs none. They are read at
 * test time and never copied into the repository; the main suite uses the bodies in `bodies/`.
 */
export function recordedPayloads(env: NodeJS.ProcessEnv = process.env): RecordedPayloads {
  const switchValue = env.LLLM_FIXTURES?.trim().toLowerCase();
  const dirValue = env.LLLM_FIXTURES_DIR?.trim();
  if ((switchValue && OFF.has(switchValue)) || (dirValue && OFF.has(dirValue.toLowerCase()))) {
    const variable = switchValue && OFF.has(switchValue) ? `LLLM_FIXTURES=${env.LLLM_FIXTURES}` : `LLLM_FIXTURES_DIR=${dirValue}`;
    return { available: false, dir: undefined, reason: `hidden by ${variable}` };
  }
  if (dirValue) {
    const dir = resolve(dirValue);
    return existsSync(dir)
      ? { available: true, dir }
      : { available: false, dir, reason: `no recorded payloads at ${dir} (LLLM_FIXTURES_DIR=${dirValue} does not exist)` };
  }
  const expected = defaultDir();
  if (expected && existsSync(expected)) return { available: true, dir: expected };
  return {
    available: false,
    dir: expected,
    reason: `no recorded payloads at ${expected ?? '../shared/fixtures/real-api beside the repository'} (set LLLM_FIXTURES_DIR)`,
  };
}

/** `<repo>/../shared/fixtures/real-api`, found from this file's folder upwards (the folder holding pnpm-workspace.yaml). */
function defaultDir(): string | undefined {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return resolve(folder, '..', 'shared', 'fixtures', 'real-api');
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return undefined;
}

/** The one line a run prints about the conformance layer: what it replays, or why it was skipped. */
export function conformanceLine(payloads: RecordedPayloads = recordedPayloads()): string {
  return payloads.available
    ? `conformance: replaying the recorded payloads in ${payloads.dir}`
    : `conformance: skipped — ${payloads.reason}`;
}

/** The recorded payloads' folder; throws, naming the fix, when they are absent or hidden. */
export function fixturesDir(): string {
  const payloads = recordedPayloads();
  if (payloads.available) return payloads.dir;
  throw new Error(
    `The recorded provider payloads are not available: ${payloads.reason}. Only the conformance layer (*.conformance.test.ts) reads them: point LLLM_FIXTURES_DIR at the folder, or let those tests skip.`,
  );
}

/** Names of every fixture file. */
export function listFixtures(): string[] {
  return readdirSync(fixturesDir()).sort();
}

/** A fixture's text. */
export function readFixture(name: string): string {
  return readFileSync(join(fixturesDir(), name), 'utf8');
}

/** A JSON fixture, parsed. */
export function readJsonFixture<T = unknown>(name: string): T {
  return JSON.parse(readFixture(name)) as T;
}

const DROPPED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'keep-alive']);

/** The status and headers recorded beside a fixture (`<base>.headers.json`), when there are some. */
export function recordedStatus(base: string): { status: number; headers: Record<string, string> } | undefined {
  // A flat header dump records no status: callers pass the status they know (e.g. 429).
  const file = `${base}.headers.json`;
  if (!existsSync(join(fixturesDir(), file))) return undefined;
  const recorded = readJsonFixture<{ status?: { code: number }; headers?: Record<string, string[] | string> } & Record<string, unknown>>(
    file,
  );
  // Two recorder formats: { status, headers } (VCR cassettes) and a flat header dump (no status).
  const raw = (recorded.status && recorded.headers ? recorded.headers : recorded) as Record<string, string[] | string>;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (DROPPED_HEADERS.has(name.toLowerCase())) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { status: recorded.status?.code ?? 200, headers };
}

/** Which wire format a `.chunks.jsonl` file belongs to (decides the SSE framing). */
export type ChunkFormat = 'openai-chat' | 'openai-responses' | 'anthropic';

/**
 * A scripted response serving a fixture: `.json` (with the recorded status and headers when a
 * `.headers.json` sits beside it), `.sse` verbatim, or `.chunks.jsonl` framed as the API does.
 */
export function fixtureResponse(name: string, overrides: { status?: number; headers?: Record<string, string> } = {}): ScriptedResponse {
  if (name.endsWith('.sse')) return { sse: readFixture(name), ...overrides };
  if (name.endsWith('.chunks.jsonl')) {
    const payloads = readFixture(name)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const format: ChunkFormat = name.startsWith('anthropic')
      ? 'anthropic'
      : name.includes('responses')
        ? 'openai-responses'
        : 'openai-chat';
    const events: SseEvent[] = payloads.map((data) =>
      format === 'openai-chat' ? { data } : { event: typeof data.type === 'string' ? data.type : 'message', data },
    );
    return { events, done: format === 'openai-chat', ...overrides };
  }
  const base = name.replace(/\.json$/, '');
  const recorded = recordedStatus(base);
  return {
    json: readJsonFixture(name),
    status: overrides.status ?? recorded?.status ?? 200,
    headers: { ...(recorded?.headers ?? {}), ...(overrides.headers ?? {}) },
  };
}
