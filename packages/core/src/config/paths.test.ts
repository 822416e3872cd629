import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDiscoverySection } from '../discovery-sections.js';
import { discover } from './discover.js';
import { readLllmToml } from './lllm-toml.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-paths-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const found: string[] = [];
registerDiscoverySection('h14things', (_exports, info) => {
  found.push(info.modulePath);
});

describe('lllm.toml paths', () => {
  it('reads paths as "dir", "dir under prefix" and { path, under }, and mounts modules under their prefix', async () => {
    const root = tree({
      'lllm.toml': '[h14things]\npaths = ["./a", "./b under shared/b", { path = "./c", under = "vc" }]\n',
      'a/one.mjs': 'export const one = 1;',
      'b/two.mjs': 'export const two = 2;',
      'c/deep/three.mjs': 'export const three = 3;',
    });
    const toml = readLllmToml(join(root, 'lllm.toml'));
    expect(toml.sections.h14things?.mounts).toEqual([
      { folder: join(root, 'a') },
      { folder: join(root, 'b'), under: 'shared/b' },
      { folder: join(root, 'c'), under: 'vc' },
    ]);
    found.length = 0;
    await discover({ configFile: join(root, 'lllm.toml'), env: {} });
    expect(found).toEqual(['one', 'shared/b/two', 'vc/deep/three']);
  });

  it('uses the folder named after an empty section, and reports a bad entry with its key', () => {
    const root = tree({ 'lllm.toml': '[h14things]\n', 'h14things/x.mjs': 'export const x = 1;' });
    expect(readLllmToml(join(root, 'lllm.toml')).sections.h14things).toMatchObject({ folders: [join(root, 'h14things')], defaulted: true });
    const bad = tree({ 'lllm.toml': '[h14things]\npaths = [3]\n' });
    expect(() => readLllmToml(join(bad, 'lllm.toml'))).toThrow(
      /h14things\.paths: expected "\.\/folder", "\.\/folder under prefix" or \{ path, under \}, got 3/,
    );
  });

  it('without any lllm.toml, discovers the default folders of the working directory', async () => {
    const root = tree({ 'h14things/y.mjs': 'export const y = 1;' });
    found.length = 0;
    const report = await discover({ startPath: root, cwd: root, env: { LLLM_CONFIG: '' } });
    expect(report.config?.implicit).toBe(true);
    expect(report.warnings).toEqual([]);
    expect(found).toEqual(['y']);
    const empty = tree({ 'README.md': 'nothing' });
    const none = await discover({ startPath: empty, cwd: empty, env: {} });
    expect(none.ran).toBe(false);
  });
});
