// A user's machine pointed at the test registry: a user-level .npmrc with `@lllm:registry=` (Verdaccio)
// and `registry=` (the router: create-lllm from Verdaccio, everything else from the usual registry),
// the repository's pnpm store for speed (content-addressed: nothing of ours is in it under our
// versions), fresh package-manager caches so no earlier run's create-lllm is reused, and a small
// Chat Completions wire server on 127.0.0.1 that records what it was sent.
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { userEnv } from './shell.mjs';

/** The environment of a user whose registry settings are those of `registry`. */
export function userOf(registry, work, store) {
  const home = join(work, 'user');
  mkdirSync(home, { recursive: true });
  const npmrc = join(home, '.npmrc');
  writeFileSync(npmrc, registry.npmrc());
  return userEnv({
    NPM_CONFIG_USERCONFIG: npmrc,
    npm_config_store_dir: store,
    npm_config_cache_dir: join(home, 'pnpm-cache'),
    npm_config_cache: join(home, 'npm-cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_prefer_offline: 'true',
  });
}

/** Where `node_modules/<name>` of `project` really lives (must be inside the project, never the repository). */
export function installedFrom(project, name) {
  return realpathSync(join(project, 'node_modules', name));
}

/**
 * A Chat Completions server on 127.0.0.1 answering every request with `reply` (text), recording the
 * request bodies. `close()` stops it.
 */
export async function startWireServer(reply) {
  const bodies = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const body = JSON.parse(text || '{}');
      bodies.push({ path: request.url, authorization: request.headers.authorization, body });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: `chatcmpl-${bodies.length}`,
          object: 'chat.completion',
          created: 1_760_000_000,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
