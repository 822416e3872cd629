// The release path of RELEASING.md, run on a throwaway clone so main's files never change:
// `pnpm changeset version`, then `pnpm release` (build, then `changeset publish`) to the registry the
// environment names (`npm_config_registry`), authenticated by the token in $NPM_TOKEN.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, userEnv } from './shell.mjs';

/** The workspace's public packages (`packages/*` without `private`), read from `root`. */
export function publicPackages(root) {
  const found = [];
  for (const folder of readdirSync(join(root, 'packages'))) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (manifest.private) continue;
    found.push({ name: manifest.name, version: manifest.version, dir: join(root, 'packages', folder), manifest });
  }
  return found;
}

/** The environment `pnpm release` runs with: the registry, a user .npmrc with the token line, the token. */
export function releaseEnv(registry, work) {
  const npmrc = join(work, 'release.npmrc');
  writeFileSync(npmrc, `${registry.authLine}\n`, { mode: 0o600 });
  return userEnv({ npm_config_registry: registry.url, NPM_CONFIG_USERCONFIG: npmrc, NPM_TOKEN: registry.token });
}

/**
 * Clone `repo` (its HEAD) into `work/release`, install it from the pnpm store, version it with the
 * pending changesets and publish it. Returns `{ clone, env, packages, release }` where `packages` are the
 * public packages with their new versions and `release` the `pnpm release` result.
 */
export async function cutRelease({ repo, work, registry }) {
  const clone = join(work, 'release');
  const env = releaseEnv(registry, work);
  await ok('git', ['clone', '--quiet', '--local', repo, clone], { cwd: work, env });
  await ok('pnpm', ['install', '--offline', '--frozen-lockfile', '--reporter=append-only', '--config.confirmModulesPurge=false'], {
    cwd: clone,
    env,
    timeoutMs: 300_000,
  });
  const before = publicPackages(clone);
  await ok('pnpm', ['changeset', 'version'], { cwd: clone, env, timeoutMs: 60_000 });
  const packages = publicPackages(clone);
  const release = await ok('pnpm', ['release'], { cwd: clone, env, timeoutMs: 480_000 });
  return { clone, env, before, packages, release };
}

/** The registry's document for `name` (all versions, `time`), or undefined when it has none. */
export async function packument(registryUrl, name) {
  const response = await fetch(new URL(name.replace('/', '%2f'), registryUrl), { headers: { accept: 'application/json' } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${name} from ${registryUrl}: ${response.status} ${await response.text()}`);
  return response.json();
}
