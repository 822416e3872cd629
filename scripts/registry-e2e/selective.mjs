// Step 2: a team that installs only some packages. `@lllm/core @lllm/prompts @lllm/openai` from an ESM
// script and a type-checked TypeScript file (`nodenext` and `bundler`), calling a local wire server
// through the real openai SDK; `@lllm/core @lllm/log` alone reading the session a scaffolded project logged.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedBytes, ok } from './shell.mjs';
import { startWireServer } from './user.mjs';

const MIB = 1024 * 1024;
/** Bytes in node_modules per selective install (runtime dependencies only), for the footprint report. */
export const footprints = {};

const AGENT_SCRIPT = `import { Agent } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt } from '@lllm/prompts';

const provider = createOpenAI({ apiKey: process.env.SELECTIVE_KEY, baseURL: process.env.WIRE_URL });
const system = new Prompt({ path: 'selective/system', prompt: 'You are a terse calculator.' });
const question = new Prompt({
  path: 'selective/question',
  prompt: '{question}\\nPut the answer in <answer></answer>.',
  requiredXmlTags: ['answer'],
});
const agent = new Agent({ name: 'calculator', systemPrompt: system, model: 'gpt-4o-mini', invoker: provider.chat() });
const { parsed, cost } = await agent.call(agent.initDialog().ask(question, { question: 'What is 2 + 2?' }));
console.log(JSON.stringify({ answer: parsed.xmlTags.answer?.[0], cost }));
`;

// The same program typed: what a TypeScript user writes against the published declarations.
const AGENT_TS = `import { Agent, type Invoker } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt } from '@lllm/prompts';
import { z } from 'zod';

const invoker: Invoker = createOpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:1/v1' }).chat();
const system = new Prompt({ path: 'typed/system', prompt: 'You are a terse calculator.' });
const question = new Prompt({
  path: 'typed/question',
  prompt: 'What is {a} + {b}?',
  format: z.object({ sum: z.number() }),
});
export async function add(a: number, b: number): Promise<number> {
  const agent = new Agent({ name: 'typed', systemPrompt: system, model: 'gpt-4o-mini', invoker });
  const { parsed } = await agent.call(agent.initDialog().ask(question, { a, b }));
  const sum: number = parsed.sum;
  return sum;
}
`;

const READ_SESSION = `import { createLogStore } from '@lllm/core';
import { registerLogBackends, ReplaySession, renderTranscript } from '@lllm/log';

registerLogBackends();
const store = await createLogStore({ type: 'sqlite', directory: process.argv[2] });
const replay = await ReplaySession.load(store, process.argv[3]);
console.log(renderTranscript(replay, { color: false }));
await store.close();
`;

function tsconfig(moduleKind, resolution) {
  return JSON.stringify({
    compilerOptions: {
      module: moduleKind,
      moduleResolution: resolution,
      target: 'es2022',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      types: ['node'],
    },
    files: ['agent.ts'],
  });
}

async function installOnly(folder, user, dependencies, devDependencies = []) {
  mkdirSync(folder);
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'selective', private: true, type: 'module' }));
  await ok('pnpm', ['add', ...dependencies, '--reporter=append-only'], { cwd: folder, env: user, timeoutMs: 300_000 });
  footprints[dependencies.join(' ')] = installedBytes(join(folder, 'node_modules'));
  if (devDependencies.length)
    await ok('pnpm', ['add', '-D', ...devDependencies, '--reporter=append-only'], { cwd: folder, env: user, timeoutMs: 300_000 });
  return readdirSync(join(folder, 'node_modules', '.pnpm')).join(' ');
}

export async function selectiveInstalls({ work, user, projects }) {
  const agentFolder = join(work, 'selective-openai');
  const installed = await installOnly(
    agentFolder,
    user,
    ['@lllm/core', '@lllm/prompts', '@lllm/openai', 'zod'],
    ['typescript@^7', '@types/node@^22'],
  );
  for (const unwanted of ['better-sqlite3', '@anthropic-ai', '@modelcontextprotocol', 'playwright', '@lllm+log', '@lllm+cli'])
    assert.ok(!installed.includes(unwanted), `@lllm/core + prompts + openai pulled in ${unwanted}`);
  writeFileSync(join(agentFolder, 'agent.mjs'), AGENT_SCRIPT);
  writeFileSync(join(agentFolder, 'agent.ts'), AGENT_TS);
  const wire = await startWireServer('<answer>4</answer>');
  try {
    const result = await ok(process.execPath, ['agent.mjs'], {
      cwd: agentFolder,
      env: { ...user, WIRE_URL: wire.url, SELECTIVE_KEY: 'sk-selective-test-0123456789' },
      timeoutMs: 60_000,
    });
    const printed = JSON.parse(result.stdout.trim().split('\n').at(-1));
    assert.equal(printed.answer, '4');
    assert.equal(wire.bodies.length, 1);
    assert.equal(wire.bodies[0].path, '/v1/chat/completions');
    assert.equal(wire.bodies[0].authorization, 'Bearer sk-selective-test-0123456789');
    assert.equal(wire.bodies[0].body.model, 'gpt-4o-mini');
    assert.match(JSON.stringify(wire.bodies[0].body.messages), /What is 2 \+ 2\?/);
    assert.ok(JSON.stringify(printed.cost).match(/\d/), `no cost: ${JSON.stringify(printed.cost)}`);
  } finally {
    await wire.close();
  }
  for (const [name, moduleKind, resolution] of [
    ['nodenext', 'nodenext', 'nodenext'],
    ['bundler', 'esnext', 'bundler'],
  ]) {
    writeFileSync(join(agentFolder, `tsconfig.${name}.json`), tsconfig(moduleKind, resolution));
    await ok('pnpm', ['exec', 'tsc', '-p', `tsconfig.${name}.json`], { cwd: agentFolder, env: user, timeoutMs: 120_000 });
  }
  // A type error must be reported: the check above is not vacuous.
  writeFileSync(join(agentFolder, 'agent.ts'), `${AGENT_TS}\nconst wrong: string = await add(1, 2);\n`);
  const failing = await ok('pnpm', ['exec', 'tsc', '-p', 'tsconfig.nodenext.json'], { cwd: agentFolder, env: user }).catch(
    (error) => error,
  );
  assert.match(String(failing), /TS2322|not assignable/);

  const logFolder = join(work, 'selective-log');
  const logInstalled = await installOnly(logFolder, user, ['@lllm/core', '@lllm/log', 'zod']);
  for (const unwanted of ['openai', '@anthropic-ai', '@modelcontextprotocol', '@lllm+prompts'])
    assert.ok(!logInstalled.includes(unwanted), `@lllm/core + log pulled in ${unwanted}`);
  writeFileSync(join(logFolder, 'read.mjs'), READ_SESSION);
  const project = projects['pnpm-init_template'];
  const transcript = await ok(process.execPath, ['read.mjs', join(project, 'logs'), projects['pnpm-init_template-session']], {
    cwd: logFolder,
    env: user,
    timeoutMs: 60_000,
  });
  assert.match(transcript.stdout, /What is 2 \+ 2\?/);
  for (const [label, bytes] of Object.entries(footprints)) console.log(`install footprint ${label}: ${(bytes / MIB).toFixed(1)} MiB`);
  // The budgets of bench/install-footprint.bench.ts, for the same sets installed from the registry.
  assert.ok(footprints['@lllm/core @lllm/prompts @lllm/openai zod'] <= 40 * MIB, 'core + prompts + openai over 40 MiB');
}
