// Which recorded payloads this run replays. The tests of this package are skipped, not failed, when
// the folder is absent or hidden (LLLM_FIXTURES=off); announce.ts prints the reason once.
import { recordedPayloads } from '@lllm/test-server';

/** Whether the recorded payloads are there to replay. */
export const recordings = recordedPayloads();

/** True when the conformance tests must be skipped. */
export const noRecordings = !recordings.available;
