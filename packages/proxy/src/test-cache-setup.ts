// Vitest global setup for this package: the proxy response cache is on by default, so every runtime a
// test builds without a `cache` option writes to $LLLM_CACHE_DIR. Point it at a temporary folder
// (never the user's ~/.lllm) and remove it when the run ends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'lllm-proxy-test-cache-'));
  process.env.LLLM_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
