// Vitest global setup of the conformance project: one line per run saying whether the recorded
// payloads are replayed (and from where) or why the layer was skipped.
// Global setup runs in Vitest's main process, where workspace packages resolve to their built `dist`
// (the `lllm-source` condition applies to test workers only): the source is imported directly so the
// line is right without a build.
import { conformanceLine } from '../../test-server/src/fixtures.js';

export default function announce(): void {
  console.log(conformanceLine());
}
