// Two installed copies of @lllm/core in one process (an upgraded package next to others pinned to an
// older version) must share every registry, or costs turn unknown and registered secrets reach logs.
// The copies are the real built dist, placed side by side as a package manager would.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatibleVersions, processRegistry } from './process-registry.js';

const coreRoot = fileURLToPath(new URL('..', import.meta.url));
let folder: string;

function installCopy(name: string, version: string): string {
  const target = join(folder, name);
  cpSync(join(coreRoot, 'dist'), join(target, 'dist'), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(coreRoot, 'package.json'), 'utf8')) as Record<string, unknown>;
  manifest.version = version;
  writeFileSync(join(target, 'package.json'), JSON.stringify(manifest));
  // The copy resolves zod, yaml and smol-toml the way an install would: from a node_modules beside it.
  symlinkSync(join(coreRoot, 'node_modules'), join(target, 'node_modules'), 'dir');
  return join(target, 'dist', 'index.js');
}

function runScript(source: string): { status: number | null; stdout: string; stderr: string } {
  const file = join(folder, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, source);
  const result = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  if (!existsSync(join(coreRoot, 'dist', 'index.js'))) {
    throw new Error('packages/core/dist is missing: run `pnpm build` first (the test loads the built copies).');
  }
  folder = mkdtempSync(join(tmpdir(), 'lllm-two-cores-'));
});

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('two copies of @lllm/core in one process', () => {
  it('share model cards, secrets, log backends and agent types', () => {
    const older = installCopy('core-0.1.0', '0.1.0');
    const newer = installCopy('core-0.1.1', '0.1.1');
    const result = runScript(`
      const a = await import(${JSON.stringify(older)});
      const b = await import(${JSON.stringify(newer)});
      if (a === b) throw new Error('the two copies are one module');
      a.registerModelCard({ name: 'shared-model', provider: 'test', pricing: { input: 2, output: 4 } });
      const card = b.findModelCard('shared-model');
      const cost = b.costOf('shared-model', { inputTokens: 1_000_000, outputTokens: 1_000_000 });
      a.registerSecret('s3cr3t-registered-in-the-older-copy');
      const redacted = b.redactString('token s3cr3t-registered-in-the-older-copy here');
      b.registerLogBackend('from-newer', () => new b.NoopLogStore());
      console.log(JSON.stringify({
        card: card?.name ?? null,
        cost,
        redacted,
        backends: a.listLogBackends(),
        copies: [...b.loadedCoreCopies().values()].sort(),
      }));
    `);
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout) as {
      card: string | null;
      cost: { totalUsd: number; known: boolean };
      redacted: string;
      backends: string[];
      copies: string[];
    };
    expect(seen.card).toBe('shared-model');
    expect(seen.cost.known).toBe(true);
    expect(seen.cost.totalUsd).toBeCloseTo(6, 6);
    expect(seen.redacted).toBe('token [REDACTED] here');
    expect(seen.backends).toContain('from-newer');
    expect(seen.copies).toEqual(['0.1.0', '0.1.1']);
  });

  it('refuse loudly when the versions are incompatible, naming both', () => {
    const older = installCopy('core-0.1.5', '0.1.5');
    const newer = installCopy('core-0.2.0', '0.2.0');
    const result = runScript(`
      const a = await import(${JSON.stringify(older)});
      a.registerModelCard({ name: 'x', provider: 'test' });
      const b = await import(${JSON.stringify(newer)});
      try {
        b.findModelCard('x');
        console.log('shared silently');
      } catch (error) {
        console.log(JSON.stringify({ name: error.name, message: error.message, isLllm: a.LllmError.isInstance(error) }));
      }
    `);
    expect(result.stderr).toBe('');
    const seen = JSON.parse(result.stdout) as { name: string; message: string; isLllm: boolean };
    expect(seen.name).toBe('IncompatibleCoreError');
    expect(seen.isLllm).toBe(true);
    expect(seen.message).toContain('0.1.5 at');
    expect(seen.message).toContain('0.2.0 at');
    expect(seen.message).toContain(join(folder, 'core-0.2.0'));
    expect(seen.message).toMatch(/dedupe/);
  });
});

describe('processRegistry', () => {
  it('hands every caller the same store, created once', () => {
    let made = 0;
    const first = processRegistry('test-registry-identity', () => {
      made++;
      return new Set<string>();
    });
    first.add('x');
    const second = processRegistry('test-registry-identity', () => {
      made++;
      return new Set<string>();
    });
    expect(second).toBe(first);
    expect(made).toBe(1);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('lllm.process-registries')]).toBeDefined();
  });

  it('calls versions compatible as semver does for 0.x and later', () => {
    expect(compatibleVersions('0.1.0', '0.1.9')).toBe(true);
    expect(compatibleVersions('0.1.0', '0.2.0')).toBe(false);
    expect(compatibleVersions('1.2.0', '1.9.3')).toBe(true);
    expect(compatibleVersions('1.2.0', '2.0.0')).toBe(false);
  });
});
