// Step 1: `pnpm create lllm <name>` and `npm create lllm@latest <name>`, both templates, with flags and
// without a terminal, then what the printed next steps say: install, test, and the lllm commands.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { installedBytes, ok, plain, run } from './shell.mjs';
import { installedFrom } from './user.mjs';

const MIB = 1024 * 1024;

/** Assert `project`'s @lllm packages are the released ones, installed inside it (no workspace links). */
export function assertFromRegistry(project, repo, version) {
  const cli = installedFrom(project, '@lllm/cli');
  // create-lllm is @lllm/cli's dependency, not the project's: resolve it as the CLI does.
  const scaffolder = dirname(createRequire(join(cli, 'package.json')).resolve('create-lllm/package.json'));
  for (const [name, real] of [
    ['@lllm/core', installedFrom(project, '@lllm/core')],
    ['@lllm/cli', cli],
    ['create-lllm', scaffolder],
  ]) {
    assert.ok(relative(repo, real).startsWith('..'), `${name} in ${project} resolves into the repository: ${real}`);
    assert.equal(JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')).version, version, `${name} version in ${project}`);
  }
}

/** The lllm commands of the template README on the scripted model; returns the session id of the run. */
export async function exerciseCli(project, env, exec) {
  const doctor = await ok(...exec('lllm', ['doctor']), { cwd: project, env, timeoutMs: 90_000 });
  assert.match(doctor.stdout, /Everything looks right\./);
  const answer = await ok(...exec('lllm', ['run', 'What is 2 + 2?']), { cwd: project, env, timeoutMs: 90_000 });
  assert.match(answer.stdout, /Result \(SCRIPTED offline model\)/);
  assert.match(answer.stdout, /Cost: \$/);
  const session = /Session: (\S+)/.exec(answer.stdout)?.[1];
  assert.ok(session, `no session in:\n${answer.stdout}`);
  const list = await ok(...exec('lllm', ['replay']), { cwd: project, env, timeoutMs: 60_000 });
  assert.ok(list.stdout.includes(session), `lllm replay does not list ${session}:\n${list.stdout}`);
  const replay = await ok(...exec('lllm', ['replay', session]), { cwd: project, env, timeoutMs: 60_000 });
  assert.match(replay.stdout, /What is 2 \+ 2\?/);
  const prompts = await ok(...exec('lllm', ['prompts']), { cwd: project, env, timeoutMs: 60_000 });
  assert.match(prompts.stdout, /\w+\/\w+/, `lllm prompts listed no prompt:\n${prompts.stdout}`);
  const proxies = await ok(...exec('lllm', ['proxies']), { cwd: project, env, timeoutMs: 60_000 });
  assert.equal(proxies.code, 0);
  return session;
}

async function passesItsTests(project, env, manager) {
  const tests = await run(manager, manager === 'npm' ? ['test'] : ['test'], { cwd: project, env, timeoutMs: 240_000 });
  const output = plain(tests.stdout + tests.stderr);
  assert.match(output, /Test Files\s+\d+ passed/, output);
  assert.doesNotMatch(output, /\d+ failed/, output);
  assert.equal(tests.code, 0, output);
  await ok(manager, ['run', 'typecheck'], { cwd: project, env, timeoutMs: 120_000 });
}

/** Create, install and exercise the four projects; returns their folders by `<manager>-<template>`. */
export async function createProjects({ work, repo, user, release }) {
  const version = release.packages.find((entry) => entry.name === '@lllm/core').version;
  const projects = {};
  const sizes = {};
  for (const manager of ['pnpm', 'npm']) {
    const parent = join(work, `apps-${manager}`);
    mkdirSync(parent);
    for (const template of ['init_template', 'example']) {
      const name = `${manager}-${template.replace('_', '-')}`;
      const args =
        manager === 'pnpm'
          ? ['create', 'lllm', name, '--template', template]
          : ['create', 'lllm@latest', name, '--', '--template', template];
      const created = await ok(manager, args, { cwd: parent, env: user, timeoutMs: 180_000 });
      const project = join(parent, name);
      assert.match(created.stdout, new RegExp(`Created .*${name} from the ${template} template`));
      assert.match(created.stdout, manager === 'pnpm' ? /pnpm install/ : /npm install/);
      const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
      assert.equal(manifest.name, name);
      assert.equal(manifest.dependencies['@lllm/core'], `^${version}`);
      assert.ok(!JSON.stringify(manifest).includes('workspace:'), JSON.stringify(manifest));
      projects[`${manager}-${template}`] = project;
    }
  }
  // Every project all the way, each with the package manager that created it.
  const full = [
    ['pnpm', 'pnpm-init_template'],
    ['pnpm', 'pnpm-example'],
    ['npm', 'npm-init_template'],
    ['npm', 'npm-example'],
  ];
  for (const [manager, key] of full) {
    const project = projects[key];
    const started = Date.now();
    await ok(manager, manager === 'pnpm' ? ['install', '--reporter=append-only'] : ['install', '--no-audit', '--no-fund'], {
      cwd: project,
      env: user,
      timeoutMs: 420_000,
    });
    sizes[key] = { installMs: Date.now() - started, bytes: installedBytes(join(project, 'node_modules')) };
    assertFromRegistry(project, repo, version);
    await passesItsTests(project, user, manager);
    const exec =
      manager === 'pnpm' ? (bin, args) => ['pnpm', ['exec', bin, ...args]] : (bin, args) => ['npx', ['--no-install', bin, ...args]];
    projects[`${key}-session`] = await exerciseCli(project, user, exec);
    assert.ok(existsSync(join(project, 'logs', 'lllm.sqlite')), `${project}: no SQLite log`);
  }
  for (const [key, { installMs, bytes }] of Object.entries(sizes)) {
    console.log(`install footprint ${key}: ${(bytes / MIB).toFixed(1)} MiB in ${(installMs / 1000).toFixed(1)} s`);
  }
  projects.sizes = sizes;
  return projects;
}
