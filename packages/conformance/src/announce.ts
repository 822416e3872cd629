// Vitest global setup of the conformance project: one line per run saying whether the recorded
// payloads are replayed (and from where) or why the layer was skipped. `LLLM_FIXTURES=required`
// (set by .ci/run, where the recordings always are) turns a missing folder into a failed run, so CI
// cannot pass by skipping the layer.
// Global setup runs in Vitest's main process, where workspace packages resolve to their built `dist`
// (the `lllm-source` condition applies to test workers only): the source is imported directly so the
// line is right without a build.
import { conformanceLine, recordedPayloads } from '../../test-server/src/fixtures.js';

export default function announce(): void {
  const payloads = recordedPayloads();
  console.log(conformanceLine(payloads));
  if (!payloads.available && process.env.LLLM_FIXTURES?.trim().toLowerCase() === 'required') {
    throw new Error(`LLLM_FIXTURES=required, but the conformance layer cannot run: ${payloads.reason}.`);
  }
}
