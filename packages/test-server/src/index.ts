export type { ChunkFormat } from './fixtures.js';
export { fixtureResponse, fixturesDir, listFixtures, readFixture, readJsonFixture, recordedStatus } from './fixtures.js';
export type { CapturedRequest, ResponseStep, ScriptedResponse, SseEvent, WireServer } from './wire-server.js';
export { startWireServer } from './wire-server.js';
