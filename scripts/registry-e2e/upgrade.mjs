// Step 4: a patch of @lllm/core alone. The release clone bumps only core's version and runs
// `pnpm release` again (changeset publish publishes what the registry lacks: core alone); a project
// scaffolded from the first release upgrades @lllm/core and must keep working — costs from the model
// cards, redaction of the provider key in the log and the output, discovery of its modules.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packument } from './release.mjs';
import { ok, plain, run } from './shell.mjs';
import { startWireServer } from './user.mjs';

function bumpPatch(version) {
  const [major, minor, patch] = version.split('.').map(Number);
  return `${major}.${minor}.${patch + 1}`;
}

export async function upgradeCoreAlone({ user, projects, release, registry }) {
  const coreManifestFile = join(release.clone, 'packages', 'core', 'package.json');
  const coreManifest = JSON.parse(readFileSync(coreManifestFile, 'utf8'));
  const previous = coreManifest.version;
  const patch = bumpPatch(previous);
  coreManifest.version = patch;
  writeFileSync(coreManifestFile, `${JSON.stringify(coreManifest, null, 2)}\n`);
  const again = await ok('pnpm', ['release'], { cwd: release.clone, env: release.env, timeoutMs: 480_000 });
  assert.match(plain(again.stdout + again.stderr), new RegExp(`@lllm/core@${patch.replace(/\./g, '\\.')}`));
  for (const entry of release.packages) {
    const document = await packument(registry.url, entry.name);
    const expected = entry.name === '@lllm/core' ? [previous, patch] : [entry.version];
    assert.deepEqual(Object.keys(document.versions).sort(), expected.sort(), `${entry.name} versions after the core patch`);
  }

  const project = projects['pnpm-init_template'];
  await ok('pnpm', ['add', `@lllm/core@${patch}`, '--reporter=append-only'], { cwd: project, env: user, timeoutMs: 300_000 });
  const top = JSON.parse(readFileSync(join(project, 'node_modules', '@lllm', 'core', 'package.json'), 'utf8'));
  assert.equal(top.version, patch);
  const copies = readdirSync(join(project, 'node_modules', '.pnpm')).filter((entry) => entry.startsWith('@lllm+core@'));
  console.log(`after the upgrade, @lllm/core in the project: ${copies.join(', ')}`);

  const tests = await run('pnpm', ['test'], { cwd: project, env: user, timeoutMs: 240_000 });
  assert.equal(tests.code, 0, plain(tests.stdout + tests.stderr));
  const doctor = await run('pnpm', ['exec', 'lllm', 'doctor'], { cwd: project, env: user, timeoutMs: 90_000 });
  const doctorText = plain(doctor.stdout + doctor.stderr);
  if (doctor.code !== 0) {
    // The one acceptable failure: a single clear message naming what to upgrade together.
    assert.match(doctorText, /upgrade .*together|@lllm\/\S+ .*@lllm\/core/i, doctorText);
    throw new Error(`after upgrading @lllm/core alone, lllm doctor failed with a message:\n${doctorText}`);
  }
  assert.match(doctorText, /\[prompts\] \d+ module/);
  assert.match(doctorText, /\[agents\] \d+ module/);

  const key = 'sk-upgrade-test-9f8e7d6c5b4a39281706';
  const wire = await startWireServer('<answer>4</answer>');
  try {
    // The key is in the task too: the log must keep the question and drop the key.
    const answer = await run('pnpm', ['exec', 'lllm', 'run', `What is 2 + 2? (my key is ${key})`], {
      cwd: project,
      env: { ...user, OPENAI_API_KEY: key, OPENAI_BASE_URL: wire.url },
      timeoutMs: 90_000,
    });
    const output = plain(answer.stdout + answer.stderr);
    assert.equal(answer.code, 0, output);
    assert.equal(wire.bodies.length, 1, output);
    assert.equal(wire.bodies[0].authorization, `Bearer ${key}`);
    assert.doesNotMatch(output, /SCRIPTED/);
    const cost = /Cost: \$([\d.]+)/.exec(output);
    assert.ok(cost && Number(cost[1]) > 0, `no cost from the model card after the upgrade:\n${output}`);
    assert.doesNotMatch(output, /no price card/);
    assert.ok(!output.includes(key), 'the provider key was printed');
  } finally {
    await wire.close();
  }
  let logged = 0;
  for (const file of readdirSync(join(project, 'logs'))) {
    const bytes = readFileSync(join(project, 'logs', file));
    assert.ok(!bytes.includes(key), `the provider key reached ${file}`);
    logged += bytes.includes('What is 2 + 2? (my key is') ? 1 : 0;
  }
  assert.ok(logged > 0, 'the task was not logged at all, so the redaction check proves nothing');
}
