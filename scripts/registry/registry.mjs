// A real npm registry on this machine for the release and install tests: Verdaccio 6.8.0 (installed
// here with `npm ci`, outside the workspace, so no user installs it), started on 127.0.0.1 with a
// throwaway storage folder and one test user, its uplink to the public registry off, stopped cleanly.
//
// It serves only what we publish: `@lllm/*` and `create-lllm`. A user's machine would get those from
// the public registry once they are released; here:
//   - `@lllm:registry=<registry.url>` in an .npmrc sends the scope straight to Verdaccio;
//   - `create-lllm` is unscoped, and npm/pnpm have no per-name registry setting, so `registry=` points
//     at a small loopback router that hands every request for the name `create-lllm` to Verdaccio and
//     redirects every other request to the usual registry (LLLM_UPSTREAM_REGISTRY, default
//     https://registry.npmjs.org/). Third-party packages therefore still come from the usual registry,
//     and Verdaccio never proxies anything.
//
//   node scripts/registry/registry.mjs install   install Verdaccio (npm ci; a no-op when installed)
//   node scripts/registry/registry.mjs serve     start it in the foreground until Ctrl+C (for trying things)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const verdaccioBin = join(here, 'node_modules', 'verdaccio', 'bin', 'verdaccio');

/** The names Verdaccio serves; everything else belongs to the usual registry. */
export const OUR_PACKAGES = /^\/?(@lllm(\/|%2f)|create-lllm(\/|$|\?))/i;

/** Install Verdaccio into scripts/registry/node_modules from the lockfile (once). */
export function installVerdaccio() {
  if (existsSync(verdaccioBin)) return;
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: here,
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (result.status !== 0 || !existsSync(verdaccioBin)) {
    throw new Error(`Installing Verdaccio in ${here} failed (npm ci exited with ${result.status}). Run "npm ci" there to see why.`);
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 0; tries < 10_000; tries += 1) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

function configYaml(storage, htpasswd) {
  // No `uplinks` and no `proxy:` on any package: nothing is fetched from elsewhere. Names other than
  // ours are refused by omission (no matching package rule), so a mistaken install fails loudly.
  return `storage: ${JSON.stringify(storage)}
auth:
  htpasswd:
    file: ${JSON.stringify(htpasswd)}
    max_users: 1
uplinks: {}
packages:
  '@lllm/*':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
  'create-lllm':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
web:
  enable: false
max_body_size: 20mb
log: { type: stdout, format: json, level: warn }
`;
}

/** Start the loopback router in front of Verdaccio (see the top of this file). */
function startRouter(verdaccioPort, upstream) {
  const base = upstream.endsWith('/') ? upstream : `${upstream}/`;
  const server = createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    if (OUR_PACKAGES.test(path)) {
      const forwarded = request(
        {
          host: '127.0.0.1',
          port: verdaccioPort,
          method: incoming.method,
          path,
          headers: { ...incoming.headers, host: `127.0.0.1:${verdaccioPort}` },
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => {
        outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`registry router: ${error.message}`);
      });
      incoming.pipe(forwarded);
      return;
    }
    outgoing.writeHead(307, { location: new URL(path.replace(/^\//, ''), base).href });
    outgoing.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Start Verdaccio (and its router) with a fresh storage folder and a test user.
 * Returns `{ url, routerUrl, token, user, storage, npmrc(extra?), stop() }`; `stop()` ends both servers,
 * waits for Verdaccio's process to exit and deletes the storage folder.
 */
export async function startRegistry({
  upstream = process.env.LLLM_UPSTREAM_REGISTRY ?? 'https://registry.npmjs.org/',
  startTimeoutMs = 60_000,
} = {}) {
  installVerdaccio();
  const home = mkdtempSync(join(tmpdir(), 'lllm-registry-'));
  const storage = join(home, 'storage');
  mkdirSync(storage);
  const configFile = join(home, 'config.yaml');
  writeFileSync(configFile, configYaml(storage, join(home, 'htpasswd')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const child = spawn(process.execPath, [verdaccioBin, '--config', configFile, '--listen', `127.0.0.1:${port}`], {
    cwd: home,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let router;
  // If this process ends without stop() (an uncaught error, a signal turned into exit), take
  // Verdaccio and its storage with it.
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    if (router) await new Promise((resolve) => router.close(() => resolve()));
    router = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      `Verdaccio answering on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`Verdaccio exited with ${child.exitCode}:\n${output}`);
        return (await fetch(new URL('-/ping', url))).ok;
      },
      startTimeoutMs,
    );
    const user = 'lllm-release-test';
    const password = `pw-${process.pid}-${Date.now()}`;
    const added = await fetch(new URL(`-/user/org.couchdb.user:${user}`, url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _id: `org.couchdb.user:${user}`, name: user, password, type: 'user', roles: [] }),
    });
    const body = await added.json();
    if (!added.ok || typeof body.token !== 'string')
      throw new Error(`Verdaccio refused the test user (${added.status}): ${JSON.stringify(body)}`);
    router = await startRouter(port, upstream);
    const routerUrl = `http://127.0.0.1:${router.address().port}/`;
    const hostPath = `//127.0.0.1:${port}/`;
    return {
      url,
      routerUrl,
      user,
      pid: child.pid,
      token: body.token,
      storage,
      /** The .npmrc lines of a user whose @lllm packages and create-lllm come from this registry. */
      npmrc: (extra = '') => `@lllm:registry=${url}\nregistry=${routerUrl}\n${extra}`,
      /** The .npmrc line that authenticates publishing with the token in $NPM_TOKEN. */
      authLine: `${hostPath}:_authToken=\${NPM_TOKEN}`,
      exited,
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'install') installVerdaccio();
  else if (command === 'serve') {
    const registry = await startRegistry();
    console.log(`Verdaccio: ${registry.url}\nrouter (registry= for create-lllm): ${registry.routerUrl}\n.npmrc:\n${registry.npmrc()}`);
    const tokenFile = join(dirname(registry.storage), 'token');
    writeFileSync(tokenFile, registry.token, { mode: 0o600 });
    console.log(`to publish as ${registry.user}: NPM_TOKEN="$(cat ${tokenFile})" and the line ${registry.authLine}`);
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await registry.stop();
  } else {
    console.error('usage: node scripts/registry/registry.mjs install|serve');
    process.exitCode = 2;
  }
}
