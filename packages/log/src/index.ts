export { registerLogBackends } from './backends.js';
export { LogStoreError } from './errors.js';
export type { JsonlLogStoreOptions } from './jsonl-store.js';
export { JsonlLogStore } from './jsonl-store.js';
export type { LocalFileLogStoreOptions } from './localfile-store.js';
export { LocalFileLogStore } from './localfile-store.js';
export type {
  AgentSummary,
  ReplayActivity,
  ReplayCallError,
  ReplayDialog,
  ReplayMessage,
  TokenTotals,
  TranscriptOptions,
} from './replay.js';
export { ReplaySession, renderTranscript } from './replay.js';
export type { LogFilter, SearchHit, SearchOptions, SearchResult } from './search.js';
export { searchLog } from './search.js';
export type { SessionEnd, SessionStatus } from './session-end.js';
export { writeSessionEnd } from './session-end.js';
export type { SqliteLogStoreOptions } from './sqlite-store.js';
export { SqliteLogStore } from './sqlite-store.js';
export type { ReplayViewer, ReplayViewerOptions } from './viewer.js';
export { serveReplayViewer } from './viewer.js';
