#!/usr/bin/env node
// Check the packages as a user receives them: pack every public package (`pnpm pack`, which applies
// `publishConfig`), inspect each tarball (manifest, files, source maps), run publint --strict and
// @arethetypeswrong/cli on it, then install the core + prompts + openai tarballs with npm into clean
// folders outside the repository (zod from the registry: the newest 4.x, 4.1 and 3.25) and, in each,
// run an agent call on @lllm/core/testing's scripted invoker (a tool() call and a zod `format`), check
// that classify() without the optional gpt-tokenizer fails with the install hint, and type-check a
// consumer file under `moduleResolution` nodenext and bundler.
//
// Usage: node scripts/check-packages.mjs [--no-build] [--keep]
// Exits non-zero on any failure, listing every problem.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const args = new Set(process.argv.slice(2));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const REPOSITORY = 'https://github.com/lllm-ts/lllm';
// Each install: the zod the consumer has and how its code imports zod 4 schemas.
const ZOD_MATRIX = [
  { zod: 'zod@^4', importFrom: 'zod' },
  { zod: 'zod@~4.1.0', importFrom: 'zod' },
  { zod: 'zod@~3.25.76', importFrom: 'zod/v4' },
];
const TIMEOUT_MS = 10 * 60_000;

const problems = [];
const fail = (message) => {
  problems.push(message);
  console.error(`  ✗ ${message}`);
};
const ok = (message) => console.log(`  ✓ ${message}`);

function run(command, commandArgs, options = {}) {
  return execFileSync(command, commandArgs, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
}

/** Run and report; returns whether the command succeeded. */
function check(label, command, commandArgs, options = {}) {
  try {
    run(command, commandArgs, options);
    ok(label);
    return true;
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || error.message;
    fail(`${label}:\n${output.replace(/^/gm, '      ')}`);
    return false;
  }
}

function publicPackages() {
  return readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir: join(root, 'packages', dir), file: join(root, 'packages', dir, 'package.json') }))
    .filter(({ file }) => existsSync(file))
    .map(({ dir, file }) => ({ dir, manifest: JSON.parse(readFileSync(file, 'utf8')) }))
    .filter(({ manifest }) => !manifest.private)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
}

function pack(pkg, destination) {
  const before = new Set(readdirSync(destination));
  run('pnpm', ['pack', '--pack-destination', destination], { cwd: pkg.dir });
  const created = readdirSync(destination).filter((name) => !before.has(name) && name.endsWith('.tgz'));
  if (created.length !== 1) throw new Error(`pnpm pack of ${pkg.manifest.name} made ${created.length} tarballs in ${destination}`);
  return join(destination, created[0]);
}

// The tarball as npm would unpack it: manifest and file list.
function inspectTarball(name, tarball, extractTo) {
  mkdirSync(extractTo, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', extractTo]);
  const packageRoot = join(extractTo, 'package');
  const files = run('tar', ['-tzf', tarball])
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
  const text = JSON.stringify(manifest);
  const before = problems.length;

  if (text.includes('lllm-source')) fail(`${name}: the packed package.json still has the "lllm-source" condition`);
  if (text.includes('workspace:')) fail(`${name}: the packed package.json still has a workspace: range`);
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    if (manifest[field]?.['@lllm/test-server']) fail(`${name}: the private @lllm/test-server is in ${field}`);
  }
  for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords', 'engines']) {
    if (!manifest[field]) fail(`${name}: the packed package.json has no "${field}"`);
  }
  if (manifest.repository && !String(manifest.repository.url ?? manifest.repository).includes(REPOSITORY.replace('https://', ''))) {
    fail(`${name}: repository ${JSON.stringify(manifest.repository)} does not name ${REPOSITORY}`);
  }
  for (const required of ['LICENSE', 'README.md', 'package.json']) {
    if (!files.includes(required)) fail(`${name}: the tarball has no ${required}`);
  }
  // Project templates carry their own tests on purpose; the library code must not.
  const testOnly = files.filter(
    (path) => !path.startsWith('templates/') && /(^|\/)(test-[^/]*|[^/]*\.test\.[^/]*|__fixtures__\/.*)$/.test(path),
  );
  if (testOnly.length > 0) fail(`${name}: the tarball ships test-only files: ${testOnly.join(', ')}`);
  if (files.some((path) => path.startsWith('src/'))) fail(`${name}: the tarball ships src/ (maps inline their sources instead)`);
  for (const map of files.filter((path) => path.endsWith('.map'))) {
    const content = JSON.parse(readFileSync(join(packageRoot, map), 'utf8'));
    const dangling = content.sources.filter((source, index) => {
      if (typeof content.sourcesContent?.[index] === 'string') return false;
      const target = resolve(join(packageRoot, map, '..'), content.sourceRoot ?? '', source);
      return !existsSync(target);
    });
    if (dangling.length > 0) fail(`${name}: ${map} points at ${dangling.join(', ')}, which is not shipped and not inlined`);
  }
  // Relative links die on the registry's page.
  const readme = readFileSync(join(packageRoot, 'README.md'), 'utf8');
  const relative = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)]+)\)/g)].map((match) => match[1]);
  if (relative.length > 0) fail(`${name}: README.md has relative links: ${relative.join(', ')}`);
  if (problems.length === before) ok(`${name}: manifest, files, LICENSE, source maps and README links`);
  return manifest;
}

const CONSUMER_SCRIPT = (importFrom) => `
import assert from 'node:assert/strict';
import { Agent } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { classify } from '@lllm/openai';
import { Prompt, tool } from '@lllm/prompts';
import { z } from '${importFrom}';

const add = tool({
  name: 'add',
  description: 'Add two numbers.',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});
const system = new Prompt({ path: 'check/system', prompt: 'You are a calculator.' });
const task = new Prompt({ path: 'check/task', prompt: 'Compute {expression}.', functions: [add], format: z.object({ result: z.number() }) });
const invoker = createScriptedInvoker([
  { toolCalls: [{ name: 'add', arguments: { a: '2', b: 2 } }] },
  { toolCalls: [{ name: 'add', arguments: { a: 2, b: 2 } }] },
  { content: '{"result": "four"}' },
  { content: '{"result": 4}' },
]);
const agent = new Agent({ name: 'calc', systemPrompt: system, model: 'scripted', invoker });
const dialog = agent.initDialog();
dialog.sendMessage(task, { expression: '2 + 2' });
const result = await agent.call(dialog);
assert.deepEqual(result.parsed, { result: 4 });
assert.deepEqual(result.calls.map((call) => call.result), ['4']);
assert.deepEqual(result.attempts.map((attempt) => attempt.kind), ['tool_call', 'parse']);
assert.equal(invoker.requests[0].tools[0].parameters.properties.a.type, 'number');
assert.equal(invoker.requests[0].format.name, 'check_task');

// gpt-tokenizer is an optional peer that this install does not have.
await assert.rejects(classify(agent, agent.initDialog(), ['Yes', 'No']), (error) => {
  assert.equal(error.name, 'ConfigError');
  assert.match(error.message, /npm install gpt-tokenizer/);
  return true;
});
${
  importFrom === 'zod/v4'
    ? `
// zod 3.25's own \`zod\` export is zod 3: refused with the import to use.
const { z: z3 } = await import('zod');
assert.throws(() => tool({ name: 'old', description: 'zod 3', parameters: z3.object({ a: z3.number() }) }), /zod 3 schema.*zod\\/v4/);
`
    : ''
}
console.log('agent call ok');
`;

const CONSUMER_TYPES = (importFrom) => `
import { Agent, type AgentCallResult } from '@lllm/core';
import { createScriptedInvoker } from '@lllm/core/testing';
import { truncate } from '@lllm/core/utils';
import { classify, createOpenAI } from '@lllm/openai';
import { definePrompt, Prompt, tool } from '@lllm/prompts';
import { z } from '${importFrom}';

const add = tool({
  name: 'add',
  description: 'Add two numbers.',
  parameters: z.object({ a: z.number(), b: z.number() }),
  execute: ({ a, b }) => a + b,
});
const answer = definePrompt({ path: 'check/answer', prompt: 'Answer.', format: z.object({ n: z.number() }) });
const n: number = answer.parse('{"n": 1}').n;
const system = new Prompt({ path: 'check/system', prompt: 'You are a calculator.', functions: [add] });
const agent = new Agent({ name: 'calc', systemPrompt: system, model: 'scripted', invoker: createScriptedInvoker([]) });
export async function run(): Promise<AgentCallResult<{ n: number }>> {
  const provider = createOpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' });
  void provider;
  void classify;
  void truncate;
  void n;
  return agent.call<{ n: number }>(agent.initDialog());
}
`;

function checkInstall(tarballs, { zod, importFrom }, keep) {
  const label = `install of core + prompts + openai with ${zod}`;
  const folder = mkdtempSync(join(tmpdir(), 'lllm-consumer-'));
  try {
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'lllm-consumer', private: true, type: 'module' }, null, 2));
    if (
      !check(
        `${label}: npm install`,
        'npm',
        ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, zod, '@types/node@22'],
        { cwd: folder },
      )
    )
      return;
    const installed = JSON.parse(readFileSync(join(folder, 'node_modules', 'zod', 'package.json'), 'utf8')).version;
    if (existsSync(join(folder, 'node_modules', 'gpt-tokenizer')))
      fail(`${label}: gpt-tokenizer was installed though it is an optional peer`);
    const nested = ['@lllm/core', '@lllm/prompts', '@lllm/openai', '@lllm/http'].flatMap((name) =>
      ['zod', '@lllm/core'].map((dep) => join(folder, 'node_modules', name, 'node_modules', dep)).filter(existsSync),
    );
    if (nested.length > 0) fail(`${label}: a second copy was installed: ${nested.join(', ')}`);
    writeFileSync(join(folder, 'agent-call.mjs'), CONSUMER_SCRIPT(importFrom));
    check(
      `${label} (zod ${installed}): ESM agent call with tool() and format, classify() without gpt-tokenizer${importFrom === 'zod/v4' ? ', a zod 3 schema refused' : ''}`,
      'node',
      ['agent-call.mjs'],
      {
        cwd: folder,
      },
    );
    writeFileSync(join(folder, 'consumer.ts'), CONSUMER_TYPES(importFrom));
    const configs = {
      nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
      bundler: { module: 'preserve', moduleResolution: 'bundler' },
    };
    for (const [name, options] of Object.entries(configs)) {
      const config = {
        compilerOptions: { ...options, target: 'es2023', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['consumer.ts'],
      };
      writeFileSync(join(folder, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
      check(`${label} (zod ${installed}): type check with moduleResolution ${name}`, bin('tsc'), ['-p', `tsconfig.${name}.json`], {
        cwd: folder,
      });
    }
  } finally {
    if (keep) console.log(`  (kept ${folder})`);
    else rmSync(folder, { recursive: true, force: true });
  }
}

async function main() {
  const keep = args.has('--keep');
  if (!args.has('--no-build')) {
    console.log('Building the packages (turbo, cached)…');
    try {
      run('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*', '--output-logs=errors-only'], { cwd: root });
    } catch (error) {
      console.error(`check-packages: the build failed, nothing was packed.\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      process.exit(1);
    }
  }
  const work = mkdtempSync(join(tmpdir(), 'lllm-packages-'));
  try {
    const tarballs = new Map();
    for (const pkg of publicPackages()) {
      const name = pkg.manifest.name;
      console.log(`\n${name}`);
      let tarball;
      try {
        tarball = pack(pkg, work);
      } catch (error) {
        fail(`${name}: pnpm pack failed: ${error.stderr ?? error.message}`);
        continue;
      }
      tarballs.set(name, tarball);
      inspectTarball(name, tarball, join(work, 'extract', name.replace('/', '+')));
      check(`${name}: publint --strict`, bin('publint'), ['run', tarball, '--strict', '--level', 'suggestion'], { cwd: work });
      // ESM-only by design (engines.node >= 22.12, where require(esm) works): the esm-only profile
      // checks every ESM resolution mode and does not ask for a CommonJS build.
      check(`${name}: @arethetypeswrong/cli (esm-only profile)`, bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], {
        cwd: work,
      });
    }
    // @lllm/http comes along as @lllm/openai's dependency: from its tarball, as npm would fetch it from the registry.
    const needed = ['@lllm/core', '@lllm/prompts', '@lllm/openai', '@lllm/http'].map((name) => tarballs.get(name));
    if (needed.every(Boolean)) {
      for (const entry of ZOD_MATRIX) {
        console.log(`\nClean install outside the repository with ${entry.zod}`);
        checkInstall(needed, entry, keep);
      }
    } else fail('core, prompts, openai and http must all pack before the install check');
  } finally {
    if (keep) console.log(`(kept ${work})`);
    else rmSync(work, { recursive: true, force: true });
  }
  if (problems.length > 0) {
    console.error(`\ncheck-packages: ${problems.length} problem(s).`);
    process.exit(1);
  }
  console.log('\ncheck-packages: every package is clean.');
}

await main();
