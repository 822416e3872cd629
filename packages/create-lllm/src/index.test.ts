import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createLllm } from './index.js';

const parent = mkdtempSync(join(tmpdir(), 'create-lllm-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (text: string) => out.push(text) }, stderr: { write: (text: string) => err.push(text) }, cwd: parent, env: {} },
    out,
    err,
  };
}

it('pnpm create lllm <name> scaffolds the project in the current folder', async () => {
  const { io: streams, out } = io();
  expect(await createLllm(['my-agents', '--template', 'example'], streams)).toBe(0);
  expect(out.join('')).toContain('from the example template');
  expect(existsSync(join(parent, 'my-agents', 'lllm.toml'))).toBe(true);
  expect(JSON.parse(readFileSync(join(parent, 'my-agents', 'package.json'), 'utf8')).name).toBe('my-agents');
});

it('a bad name is one line and exit code 1; no name is a usage error', async () => {
  const bad = io();
  expect(await createLllm(['../up'], bad.io)).toBe(1);
  expect(bad.err.join('')).toContain('is not allowed');
  const none = io();
  expect(await createLllm([], none.io)).toBe(2);
});
