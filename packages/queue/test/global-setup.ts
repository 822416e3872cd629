// One real redis-server for the package's test run (Debian's redis-server), stopped in teardown.
// Without the binary: CI=true fails with the install command; elsewhere the Redis tests skip.
import type { TestProject } from 'vitest/node';
import { redisServerAvailable, startRedis, type TestRedis } from '../src/testing.js';

let redis: TestRedis | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  if (!redisServerAvailable()) {
    if (process.env.CI === 'true')
      throw new Error('redis-server is not installed: apt-get install redis-server (the @lllm/queue tests need a real Redis).');
    console.log('@lllm/queue: redis-server not installed, Redis tests skipped (apt-get install redis-server).');
    project.provide('redisUrl', '');
    return;
  }
  redis = await startRedis();
  project.provide('redisUrl', redis.url);
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
