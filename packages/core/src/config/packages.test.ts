import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerDiscoverySection } from '../discovery-sections.js';
import { ConfigError } from '../errors.js';
import { discover } from './discover.js';
import { readLllmToml } from './lllm-toml.js';
import { findPackage, isPackageLoaded, loadPackage, packageGraph, resolvePackageGraph } from './packages.js';
import { loadSystemConfig } from './system-config.js';
import { listFiles, packTarball, unpackTarball } from './tarball.js';
import { satisfiesRange } from './versions.js';

const roots: string[] = [];
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'lllm-packages-'));
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

const registered: string[] = [];
registerDiscoverySection('h14pkgthings', (exports, info) => {
  for (const name of Object.keys(exports)) registered.push(`${info.namespace ? `${info.namespace}:` : ''}${info.modulePath}/${name}`);
});

const CONFIG =
  'name: kitcfg\nagent_type: solo\nglobal:\n  model_name: gpt-4o-mini\n  temperature: 0.1\nagent_configs:\n  writer:\n    system_prompt_path: kit:sys/writer\n';

describe('packages', () => {
  it('loads folder, tarball and npm dependencies with aliases, lazily, and resolves pkg:name configs', async () => {
    const kitSource = tree({
      'lllm.toml': '[package]\nname = "kit"\nversion = "1.2.0"\n\n[h14pkgthings]\npaths = ["./things"]\n',
      'things/sys.mjs': 'export const writer = 1;',
      'config/default/default.yaml': CONFIG,
    });
    const tarball = packTarball(kitSource, listFiles(kitSource));
    const project = tree({
      'lllm.toml': `[package]
name = "app"
version = "0.1.0"

[dependencies]
packages = ["./vendor/kit-1.2.0.tgz as k", "./libs/common"]
npmpack = "@acme/pack@^2.0.0"
`,
      'libs/common/lllm.toml': '[package]\nname = "common"\nversion = "3.0.0"\n[dependencies]\npackages = ["../../vendor/kit-1.2.0.tgz"]\n',
      'node_modules/@acme/pack/lllm.toml': '[package]\nname = "@acme/pack"\nversion = "2.3.1"\n',
      'config/app/default.yaml': 'base: k:default\nname: app\nagent_configs:\n  writer:\n    temperature: 0.7\n',
    });
    mkdirSync(join(project, 'vendor'));
    writeFileSync(join(project, 'vendor/kit-1.2.0.tgz'), tarball);
    registered.length = 0;
    await discover({ configFile: join(project, 'lllm.toml'), env: {} });
    const graph = packageGraph();
    expect([...(graph?.packages.keys() ?? [])].sort()).toEqual(['@acme/pack', 'app', 'common', 'kit']);
    expect(findPackage('k').name).toBe('kit');
    expect(findPackage('kit').requiredBy).toEqual(['app', 'common']);
    expect(findPackage('npmpack').version).toBe('2.3.1');
    // Nothing of kit was imported yet.
    expect(registered).toEqual([]);
    expect(isPackageLoaded('kit')).toBe(false);
    await loadPackage('k');
    expect(registered.sort()).toEqual(['k:sys/writer', 'kit:sys/writer']);
    const config = loadSystemConfig(join(project, 'config/app/default.yaml'), { root: project });
    expect(config.agent_configs.writer).toMatchObject({
      model_name: 'gpt-4o-mini',
      temperature: 0.7,
      system_prompt_path: 'kit:sys/writer',
    });
    expect(config.chain?.[1]).toContain(join('.lllm', 'packages', 'kit-1.2.0', 'config', 'default', 'default.yaml'));
    expect(() => findPackage('kitt')).toThrow(/Unknown package "kitt".*Did you mean "kit"/);
  });

  it('names both sides of a version conflict, an unmet range and a cycle', () => {
    const conflict = tree({
      'lllm.toml': '[package]\nname = "app"\n[dependencies]\npackages = ["./a", "./b"]\n',
      'a/lllm.toml': '[package]\nname = "a"\nversion = "1.0.0"\n[dependencies]\npackages = ["../shared1"]\n',
      'b/lllm.toml': '[package]\nname = "b"\nversion = "1.0.0"\n[dependencies]\npackages = ["../shared2"]\n',
      'shared1/lllm.toml': '[package]\nname = "shared"\nversion = "1.0.0"\n',
      'shared2/lllm.toml': '[package]\nname = "shared"\nversion = "2.0.0"\n',
    });
    expect(() => resolvePackageGraph(readLllmToml(join(conflict, 'lllm.toml')))).toThrow(
      /Package "shared" is required at two versions: 1\.0\.0 \(shared1\) by "a", and 2\.0\.0 \(shared2\) by "b"/,
    );
    const range = tree({
      'lllm.toml': '[dependencies]\nold = { path = "./old", version = "^2.0.0" }\n',
      'old/lllm.toml': '[package]\nname = "old"\nversion = "1.4.0"\n',
    });
    expect(() => resolvePackageGraph(readLllmToml(join(range, 'lllm.toml')))).toThrow(/needs old \^2\.0\.0, but .* is old 1\.4\.0/);
    const cycle = tree({
      'lllm.toml': '[package]\nname = "app"\n[dependencies]\npackages = ["./x"]\n',
      'x/lllm.toml': '[package]\nname = "x"\n[dependencies]\npackages = ["../y"]\n',
      'y/lllm.toml': '[package]\nname = "y"\n[dependencies]\npackages = ["../x"]\n',
    });
    const error = (() => {
      try {
        resolvePackageGraph(readLllmToml(join(cycle, 'lllm.toml')));
      } catch (thrown) {
        return thrown as Error;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(error?.message).toContain('cycle: x → y → x');
    const bad = tree({ 'lllm.toml': '[dependencies]\npackages = [3, "nowhere-pkg"]\n' });
    expect(() => resolvePackageGraph(readLllmToml(join(bad, 'lllm.toml')))).toThrow(/dependencies\.packages\[0\]: expected/);
    expect(() => resolvePackageGraph(readLllmToml(join(bad.replace(/$/, ''), 'lllm.toml')))).toThrow(ConfigError);
  });

  it('packs and unpacks tarballs, refusing entries that leave the target', () => {
    const source = tree({ 'a.txt': 'A', 'deep/b.txt': 'B'.repeat(700) });
    const packed = tree({});
    writeFileSync(join(packed, 'p.tgz'), packTarball(source, listFiles(source)));
    const target = join(packed, 'out');
    expect(unpackTarball(join(packed, 'p.tgz'), target).sort()).toEqual(['a.txt', 'deep/b.txt']);
    const evil = tree({ 'x.txt': 'x' });
    writeFileSync(join(packed, 'evil.tgz'), packTarball(evil, ['x.txt'], '../../escape'));
    expect(() => unpackTarball(join(packed, 'evil.tgz'), join(packed, 'evil-out'))).toThrow(/outside/);
  });

  it('names a project without [package] after its folder, made valid', () => {
    const root = tree({ 'My Project/lllm.toml': '[prompts]\n' });
    expect(resolvePackageGraph(readLllmToml(join(root, 'My Project', 'lllm.toml'))).project.name).toBe('My-Project');
  });

  it('checks version ranges', () => {
    expect(satisfiesRange('1.4.2', '^1.2.0')).toBe(true);
    expect(satisfiesRange('2.0.0', '^1.2.0')).toBe(false);
    expect(satisfiesRange('0.3.5', '^0.3.1')).toBe(true);
    expect(satisfiesRange('0.4.0', '^0.3.1')).toBe(false);
    expect(satisfiesRange('1.2.9', '~1.2.3')).toBe(true);
    expect(satisfiesRange('1.3.0', '~1.2.3')).toBe(false);
    expect(satisfiesRange('5.0.0', '>=1.0.0')).toBe(true);
    expect(() => satisfiesRange('1.0.0', 'latest')).toThrow(/not one of/);
  });
});
