import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { readLllmToml } from './lllm-toml.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-toml-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function failure(file: string): ConfigError {
  try {
    readLllmToml(file);
  } catch (error) {
    if (ConfigError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('lllm.toml limits', () => {
  it('refuses a file too big to be a project file, naming its size', () => {
    const file = join(folder, 'big.toml');
    writeFileSync(file, `# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect(failure(file).message).toBe(
      `${file} is ${2 * 1024 * 1024 + 3} bytes; an lllm.toml is at most 1048576 bytes. Point LLLM_CONFIG at the project's own lllm.toml.`,
    );
  });

  it('refuses nesting deeper than 64 levels, with the line and column', () => {
    const file = join(folder, 'deep.toml');
    writeFileSync(file, `a = ${'['.repeat(100)}${']'.repeat(100)}\n`);
    expect(failure(file).message).toMatch(/deep\.toml:1:\d+: invalid TOML/);
  });
});
