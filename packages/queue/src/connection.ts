import { createHash } from 'node:crypto';
import { registerSecret } from '@lllm/core';
import { Redis } from 'ioredis';
import { messageOf, QueueError } from './errors.js';

/** A Redis URL as shown to people: the password replaced by `***`. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Check a queue URL (`redis://[user:password@]host[:port][/db]` or `rediss://` for TLS). Its password
 * is registered as a secret, so it never reaches a log or an error message.
 */
export function checkRedisUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new QueueError(
      `--queue takes a Redis URL such as redis://127.0.0.1:6379 (rediss:// for TLS, redis://:password@host:6379/0 with a password), got ${JSON.stringify(displayUrl(url))}.`,
      { argument: 'url' },
    );
  }
  if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
  return url;
}

/** A Redis connection as BullMQ needs it (no per-request retry limit: blocking reads wait for Redis to come back). */
export function connectRedis(url: string): Redis {
  const redis = new Redis(checkRedisUrl(url), { maxRetriesPerRequest: null, lazyConnect: false });
  // Connection errors are retried by ioredis; commands waiting on them fail or resume. An unhandled
  // 'error' event would end the process, so it is observed here and surfaced by the commands.
  redis.on('error', () => {});
  return redis;
}

/** Wait (bounded) until Redis answers PING: a clear error naming the URL otherwise. */
export async function pingRedis(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new QueueError(
      `Redis at ${displayUrl(url)} does not answer (${messageOf(error)}): start it (e.g. redis-server) or check the --queue URL.`,
      { argument: 'url', cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}

const shas = new Map<string, string>();

/** Run a Lua script by its SHA1, loading it on the first call and after a Redis restart (NOSCRIPT). */
export async function runScript(
  redis: Redis,
  script: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!messageOf(error).includes('NOSCRIPT')) throw error;
    return await redis.eval(script, keys.length, ...keys, ...args);
  }
}
