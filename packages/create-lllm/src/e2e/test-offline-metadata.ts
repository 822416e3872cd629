// Registry metadata for an offline `pnpm install` outside the workspace, made from the workspace's
// own lockfile: pnpm resolves a new project's dependencies against it (only versions the workspace
// installed exist there, so each one's tarball is already in the pnpm store) and never reaches a
// registry. This is how the end-to-end test installs a scaffolded project hermetically.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';

interface LockedPackage {
  resolution?: { integrity?: string; tarball?: string };
  engines?: Record<string, string>;
  cpu?: string[];
  os?: string[];
  libc?: string[];
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  deprecated?: string;
}

interface LockedSnapshot {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface Lockfile {
  lockfileVersion: string;
  packages?: Record<string, LockedPackage>;
  snapshots?: Record<string, LockedSnapshot>;
}

/** `name@1.2.3(peer@4)` → [name, 1.2.3]. */
function splitKey(key: string): [string, string] {
  const withoutPeers = key.replace(/\(.*$/, '');
  const at = withoutPeers.lastIndexOf('@');
  return [withoutPeers.slice(0, at), withoutPeers.slice(at + 1)];
}

/** A snapshot's resolved dependency as a packument range: `1.2.3(peer@4)` → `1.2.3`, an alias → `npm:other@1.2.3`. */
function asRange(value: string): string {
  const plain = value.replace(/\(.*$/, '');
  return /^\d/.test(plain) ? plain : `npm:${plain}`;
}

/**
 * Write abbreviated and full registry metadata for every registry package in `lockfilePath` under
 * `<cacheDirectory>/metadata*-v1.3/registry.npmjs.org/`, the layout pnpm's `--cache-dir` reads.
 * Returns how many packages were written.
 */
export function writeOfflineMetadata(lockfilePath: string, cacheDirectory: string): number {
  const lockfile = parse(readFileSync(lockfilePath, 'utf8')) as Lockfile;
  if (!lockfile.lockfileVersion.startsWith('9.')) {
    throw new Error(`${lockfilePath}: lockfile version ${lockfile.lockfileVersion} is not 9.x; update writeOfflineMetadata.`);
  }
  const snapshots = new Map<string, LockedSnapshot>();
  for (const [key, snapshot] of Object.entries(lockfile.snapshots ?? {})) {
    const id = key.replace(/\(.*$/, '');
    if (!snapshots.has(id)) snapshots.set(id, snapshot ?? {});
  }
  const packuments = new Map<string, { name: string; versions: Record<string, unknown> }>();
  for (const [key, locked] of Object.entries(lockfile.packages ?? {})) {
    const integrity = locked.resolution?.integrity;
    if (!integrity || locked.resolution?.tarball) continue; // local, git or tarball-URL packages
    const [name, version] = splitKey(key);
    const snapshot = snapshots.get(`${name}@${version}`) ?? {};
    const ranges = (dependencies: Record<string, string> | undefined) =>
      Object.fromEntries(Object.entries(dependencies ?? {}).map(([dependency, value]) => [dependency, asRange(value)]));
    const packument = packuments.get(name) ?? { name, versions: {} };
    packument.versions[version] = {
      name,
      version,
      dependencies: ranges(snapshot.dependencies),
      optionalDependencies: ranges(snapshot.optionalDependencies),
      ...(locked.peerDependencies ? { peerDependencies: locked.peerDependencies } : {}),
      ...(locked.peerDependenciesMeta ? { peerDependenciesMeta: locked.peerDependenciesMeta } : {}),
      ...(locked.engines ? { engines: locked.engines } : {}),
      ...(locked.cpu ? { cpu: locked.cpu } : {}),
      ...(locked.os ? { os: locked.os } : {}),
      ...(locked.libc ? { libc: locked.libc } : {}),
      ...(locked.deprecated ? { deprecated: locked.deprecated } : {}),
      dist: { integrity, tarball: `https://registry.npmjs.org/${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz` },
    };
    packuments.set(name, packument);
  }
  for (const { name, versions } of packuments.values()) {
    const latest = Object.keys(versions).sort(compareVersions).at(-1) as string;
    const text = JSON.stringify({ name, 'dist-tags': { latest }, versions, modified: '2026-01-01T00:00:00.000Z' });
    for (const folder of ['metadata-v1.3', 'metadata-full-v1.3']) {
      const file = join(cacheDirectory, folder, 'registry.npmjs.org', `${name}.json`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  return packuments.size;
}

function compareVersions(left: string, right: string): number {
  const parts = (version: string) => version.split(/[.+-]/).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  const a = parts(left);
  const b = parts(right);
  for (let index = 0; index < Math.max(a.length, b.length); index += 1) {
    const x = a[index];
    const y = b[index];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
