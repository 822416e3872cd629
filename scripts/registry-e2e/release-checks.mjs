// What the registry holds after `pnpm release`: every public package at its new version, published
// after the packages it depends on, with no `workspace:` range and no source-only export condition.
import assert from 'node:assert/strict';
import { packument } from './release.mjs';

const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];

/** Assert the release `{ before, packages, release }` landed in `registry` as it should. */
export async function checkRelease({ before, packages }, registry) {
  const names = packages.map((entry) => entry.name).sort();
  assert.ok(names.includes('@lllm/core') && names.includes('create-lllm') && names.includes('@lllm/cli'), `public packages: ${names}`);
  const versionBefore = new Map(before.map((entry) => [entry.name, entry.version]));
  const published = new Map();
  for (const entry of packages) {
    assert.notEqual(entry.version, versionBefore.get(entry.name), `${entry.name}: changeset version did not bump ${entry.version}`);
    const document = await packument(registry.url, entry.name);
    assert.ok(document, `${entry.name} is not in the registry`);
    assert.deepEqual(Object.keys(document.versions), [entry.version], `${entry.name}: versions in the registry`);
    assert.equal(document['dist-tags'].latest, entry.version);
    const manifest = document.versions[entry.version];
    for (const field of DEPENDENCY_FIELDS) {
      for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
        assert.ok(!String(range).startsWith('workspace:'), `${entry.name} ${field}.${dependency} is still ${range}`);
        const sibling = packages.find((candidate) => candidate.name === dependency);
        if (sibling && field !== 'devDependencies') assert.equal(range, `^${sibling.version}`, `${entry.name} ${field}.${dependency}`);
      }
    }
    const exportsText = JSON.stringify(manifest.exports ?? {});
    assert.ok(!exportsText.includes('lllm-source'), `${entry.name} published its source-only export condition: ${exportsText}`);
    assert.ok(!exportsText.includes('./src/'), `${entry.name} exports point at src/: ${exportsText}`);
    assert.match(manifest.dist.tarball, new RegExp(`^${registry.url.replace(/[.]/g, '\\.')}`));
    published.set(entry.name, { time: Date.parse(document.time[entry.version]), manifest });
  }
  // Dependency order: each package reached the registry after every package it depends on.
  for (const [name, { time, manifest }] of published) {
    for (const field of ['dependencies', 'peerDependencies']) {
      for (const dependency of Object.keys(manifest[field] ?? {})) {
        const dependencyPublished = published.get(dependency);
        if (!dependencyPublished) continue;
        assert.ok(
          dependencyPublished.time <= time,
          `${name} was published (${new Date(time).toISOString()}) before its dependency ${dependency} (${new Date(dependencyPublished.time).toISOString()})`,
        );
      }
    }
  }
  console.log(`published ${packages.length} packages: ${packages.map((entry) => `${entry.name}@${entry.version}`).join(', ')}`);
}
