// The registry end-to-end suite (issue 16): a real npm registry (Verdaccio) on 127.0.0.1, the release
// path of RELEASING.md (`pnpm changeset version`, `pnpm release`) on a throwaway clone, then what users
// do, each step in a clean folder outside the repository with Node 22 and no workspace links:
//   1. `pnpm create lllm` / `npm create lllm@latest` with both templates, no TTY; install, test, CLI
//   2. selective installs (core + prompts + openai against a local wire server; core + log)
//   3. a custom log backend written from docs/custom-log-backend.md, options from `log_options`
//   4. a patch of @lllm/core alone, published and upgraded in a scaffolded project
// Registry up → release published → steps → registry stopped, nothing left running.
//
//   node scripts/registry-e2e.mjs        (about 6 minutes on 2 cores; it builds its own clone)
//
// Third-party packages come from the usual registry (the only host outside 127.0.0.1 reached).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRegistry } from './registry/registry.mjs';
import { customLogBackendStep } from './registry-e2e/custom-log-backend.mjs';
import { cutRelease } from './registry-e2e/release.mjs';
import { checkRelease } from './registry-e2e/release-checks.mjs';
import { createProjects } from './registry-e2e/scaffold.mjs';
import { footprints, selectiveInstalls } from './registry-e2e/selective.mjs';
import { upgradeCoreAlone } from './registry-e2e/upgrade.mjs';
import { userOf } from './registry-e2e/user.mjs';

const repo = join(fileURLToPath(import.meta.url), '..', '..');
const major = Number(process.versions.node.split('.')[0]);
if (major !== 22)
  throw new Error(`The registry suite runs on Node 22 (users' floor); this is ${process.version}. source scripts/bootstrap.sh first.`);

const work = mkdtempSync(join(tmpdir(), 'lllm-registry-e2e-'));
// Interrupted: end as a normal exit so the registry's exit hook stops Verdaccio, and remove the work folder.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
assert.ok(relative(repo, work).startsWith('..'), `${work} must be outside the repository`);
const started = Date.now();
const context = { repo, work };

before(async () => {
  context.store = spawnSync('pnpm', ['store', 'path'], { cwd: repo, encoding: 'utf8' }).stdout.trim();
  context.registry = await startRegistry();
  context.user = userOf(context.registry, work, context.store);
});

after(async () => {
  // The install footprint of what users get from the registry, beside bench/install-footprint.bench.ts's packed tarballs.
  const footprint = { scaffolds: context.projects?.sizes ?? {}, selective: footprints, at: new Date().toISOString() };
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', 'registry-installs.json'), `${JSON.stringify(footprint, null, 2)}\n`);
  const registry = context.registry;
  if (registry) {
    await registry.stop();
    const { signal, code } = await registry.exited;
    console.log(`registry stopped (${signal ?? code}); ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
    assert.throws(() => process.kill(registry.pid, 0), 'Verdaccio is still running after stop()');
  }
  rmSync(work, { recursive: true, force: true });
});

describe('release to a local registry, then install, scaffold and upgrade from it', { concurrency: 1 }, () => {
  test('pnpm changeset version + pnpm release publish every public package in dependency order, no workspace: left', async () => {
    context.release = await cutRelease({ repo, work, registry: context.registry });
    await checkRelease(context.release, context.registry);
  });

  test('pnpm create lllm and npm create lllm@latest, both templates, no TTY: install, test, doctor, run, replay, prompts, proxies', async () => {
    context.projects = await createProjects(context);
  });

  test('selective installs: core + prompts + openai (ESM, nodenext, bundler) against a wire server; core + log reading a session', async () => {
    await selectiveInstalls(context);
  });

  test('a custom log backend from the docs: log_options validated and passed to the factory, doctor checks log_type', async () => {
    await customLogBackendStep(context);
  });

  test('a patch of @lllm/core alone, upgraded in a scaffolded project: costs, redaction and discovery still work', async () => {
    await upgradeCoreAlone(context);
  });
});
