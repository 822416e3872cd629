// Step 3: a custom log backend written from docs/custom-log-backend.md alone. The page's file blocks
// (```<lang> <path>) are copied into a project scaffolded from the registry; `lllm doctor` checks the
// log_type is registered and log_options pass its schema; `lllm run` writes to it; `lllm replay` reads it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ok, run } from './shell.mjs';

/** The fenced blocks of `markdown` that name a file: `[{ language, path, text }]`. */
export function fileBlocks(markdown) {
  const blocks = [];
  const fence = /^```(\w+) (\S+)\n([\s\S]*?)^```$/gm;
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    blocks.push({ language: match[1], path: match[2], text: match[3] });
  }
  return blocks;
}

/** Apply the page's blocks to `project`: new files written, lllm.toml appended, the system config's log keys replaced. */
function applyDocs(project, markdown) {
  const blocks = fileBlocks(markdown);
  assert.deepEqual(
    blocks.map((block) => block.path),
    ['lllm.toml', 'log_backends/json-folder.ts', 'config/default.yaml'],
  );
  for (const block of blocks) {
    if (block.path === 'lllm.toml')
      writeFileSync(join(project, 'lllm.toml'), `${readFileSync(join(project, 'lllm.toml'), 'utf8')}\n${block.text}`);
    else if (block.path.startsWith('config/')) {
      const [system] = readdirSync(join(project, 'config'));
      const file = join(project, 'config', system, 'default.yaml');
      const kept = readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !/^log_(type|options):/.test(line));
      writeFileSync(file, `${kept.join('\n')}\n${block.text}`);
    } else {
      mkdirSync(dirname(join(project, block.path)), { recursive: true });
      writeFileSync(join(project, block.path), block.text);
    }
  }
  const [system] = readdirSync(join(project, 'config'));
  return join(project, 'config', system, 'default.yaml');
}

export async function customLogBackendStep({ user, projects, release }) {
  const project = projects['pnpm-example'];
  const markdown = readFileSync(join(release.clone, 'docs', 'custom-log-backend.md'), 'utf8');
  const exec = (args, options = {}) => run('pnpm', ['exec', 'lllm', ...args], { cwd: project, env: user, timeoutMs: 90_000, ...options });
  // Before: the system config names a backend nobody registered yet.
  const scaffoldedToml = readFileSync(join(project, 'lllm.toml'), 'utf8');
  const configFile = applyDocs(project, markdown);
  const toml = readFileSync(join(project, 'lllm.toml'), 'utf8');
  writeFileSync(join(project, 'lllm.toml'), scaffoldedToml);
  const unregistered = await exec(['doctor']);
  assert.equal(unregistered.code, 1, unregistered.stdout);
  assert.match(unregistered.stdout, /log_type "json-folder" is not a registered backend/);
  writeFileSync(join(project, 'lllm.toml'), toml);

  // The module type-checks in the project as the docs give it.
  const tsconfigFile = join(project, 'tsconfig.json');
  const tsconfig = JSON.parse(readFileSync(tsconfigFile, 'utf8'));
  tsconfig.include = [...tsconfig.include, 'log_backends'];
  writeFileSync(tsconfigFile, JSON.stringify(tsconfig, null, 2));
  await ok('pnpm', ['run', 'typecheck'], { cwd: project, env: user, timeoutMs: 120_000 });

  const doctor = await exec(['doctor']);
  assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
  assert.match(doctor.stdout, /log_type json-folder is a registered backend/);
  assert.match(doctor.stdout, /\[log_backends\] 1 module/);

  const answer = await exec(['run', 'What is 2 + 2?']);
  assert.equal(answer.code, 0, answer.stdout + answer.stderr);
  const session = /Session: (\S+)/.exec(answer.stdout)?.[1];
  assert.ok(session, answer.stdout);
  assert.match(answer.stdout, /json-folder log/);
  const file = join(project, 'logs', 'sessions', `${session}.json`);
  assert.ok(existsSync(file), `${file} was not written`);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\[\n {2}\{/, 'pretty: true from log_options did not reach the factory');
  assert.ok(JSON.parse(text).some((entry) => entry.collection === 'messages'));
  const list = await exec(['replay']);
  assert.ok(list.stdout.includes(session), list.stdout);
  const replay = await exec(['replay', session]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, /What is 2 \+ 2\?/);

  // A typo in log_options: doctor names the key, run refuses before creating the store.
  const good = readFileSync(configFile, 'utf8');
  writeFileSync(configFile, good.replace('pretty: true', 'prety: true'));
  const typo = await exec(['doctor']);
  assert.equal(typo.code, 1);
  assert.match(typo.stdout, /log_options for log_type "json-folder" has 1 problem/);
  assert.match(typo.stdout, /prety/);
  const refused = await exec(['run', 'What is 2 + 2?']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /log_options.*prety|prety/s);
  writeFileSync(configFile, good.replace(/log_options:[\s\S]*$/, 'log_options: [sessions]\n'));
  const notMapping = await exec(['doctor']);
  assert.equal(notMapping.code, 1);
  assert.match(notMapping.stdout, /log_options/);
  writeFileSync(configFile, good);
}
