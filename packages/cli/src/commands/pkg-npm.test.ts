// `lllm pkg install | list | remove` with npm packages, for real: npm itself installs from a registry
// on 127.0.0.1 speaking the npm registry protocol (a packument per name, tarballs made by `npm pack`),
// so the fetch, the integrity check, node_modules and package.json are npm's own work.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLllm } from '../test-cli.js';

const work = mkdtempSync(join(tmpdir(), 'lllm-pkg-npm-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function files(root: string, entries: Record<string, string>): string {
  for (const [path, text] of Object.entries(entries)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A real tarball of a package folder, made by `npm pack`. */
function npmPack(name: string, version: string, lllm: boolean): Buffer {
  const source = files(join(work, 'sources', `${name}-${version}`), {
    'package.json': JSON.stringify({ name, version, description: `${name} for the tests` }),
    ...(lllm
      ? {
          'lllm.toml': `[package]\nname = "${name}"\nversion = "${version}"\n`,
          'config/base/default.yaml': `name: kit\nglobal:\n  temperature: ${version === '1.0.0' ? 0.1 : 0.2}\n`,
        }
      : { 'index.js': 'export const x = 1;\n' }),
  });
  const packed = spawnSync('npm', ['pack', '--silent', '--pack-destination', source], { cwd: source, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  return readFileSync(join(source, packed.stdout.trim().split('\n').at(-1) ?? ''));
}

interface Published {
  readonly name: string;
  readonly versions: Map<string, Buffer>;
}

let server: Server;
let registry: string;
const requests: string[] = [];
const published = new Map<string, Published>();

function publish(name: string, version: string, lllm = true): void {
  const entry = published.get(name) ?? { name, versions: new Map<string, Buffer>() };
  entry.versions.set(version, npmPack(name, version, lllm));
  published.set(name, entry);
}

function packument(entry: Published) {
  const versions = Object.fromEntries(
    [...entry.versions].map(([version, tarball]) => [
      version,
      {
        name: entry.name,
        version,
        dist: {
          tarball: `${registry}${entry.name}/-/${entry.name}-${version}.tgz`,
          shasum: createHash('sha1').update(tarball).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
        },
      },
    ]),
  );
  const latest = [...entry.versions.keys()].sort().at(-1);
  return { name: entry.name, 'dist-tags': { latest }, versions };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = decodeURIComponent(request.url ?? '/');
    requests.push(`${request.method} ${path}`);
    const tarball = /^\/([^/]+)\/-\/(.+)-(\d+\.\d+\.\d+)\.tgz$/.exec(path);
    const entry = published.get(tarball ? (tarball[1] ?? '') : path.slice(1));
    const body = tarball ? entry?.versions.get(tarball[3] ?? '') : entry ? Buffer.from(JSON.stringify(packument(entry))) : undefined;
    if (!body) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    response.writeHead(200, { 'content-type': tarball ? 'application/octet-stream' : 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  publish('lllm-kit-demo', '1.0.0');
  publish('lllm-kit-demo', '2.0.0');
  publish('plain-lib', '1.0.0', false);
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** npm pointed at the local registry only, with its own cache and no user .npmrc. */
function lllm(args: readonly string[], cwd: string) {
  writeFileSync(join(work, 'npmrc'), '');
  return runLllm(args, cwd, {
    npm_config_registry: registry,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_userconfig: join(work, 'npmrc'),
    npm_config_update_notifier: 'false',
  });
}

const read = (path: string) => readFileSync(path, 'utf8');
const dependencies = (project: string) =>
  (JSON.parse(read(join(project, 'package.json'))) as { dependencies?: Record<string, string> }).dependencies ?? {};

describe('lllm pkg with npm packages from a registry', () => {
  const project = files(join(work, 'consumer'), {
    'lllm.toml': '# the consumer\n[package]\nname = "consumer"\n',
    'package.json': JSON.stringify({ name: 'consumer', private: true }),
    'vendor/tools/lllm.toml': '[package]\nname = "tools"\nversion = "0.3.0"\n\n[dependencies]\npackages = ["lllm-kit-demo@^2.0.0"]\n',
  });

  it('install fetches the package with npm, records it in package.json and lllm.toml; list shows it', async () => {
    const install = await lllm(['pkg', 'install', 'lllm-kit-demo@^1.0.0'], project);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('Added lllm-kit-demo@^1.0.0 to [dependencies]');
    expect(requests).toContain('GET /lllm-kit-demo');
    expect(requests).toContain('GET /lllm-kit-demo/-/lllm-kit-demo-1.0.0.tgz');
    expect(read(join(project, 'node_modules', 'lllm-kit-demo', 'lllm.toml'))).toContain('version = "1.0.0"');
    expect(dependencies(project)).toEqual({ 'lllm-kit-demo': expect.stringMatching(/1\.0\.0/) });
    const toml = read(join(project, 'lllm.toml'));
    expect(toml).toContain('# the consumer');
    expect(toml).toContain('"lllm-kit-demo@^1.0.0"');

    const list = await lllm(['pkg', 'list', '--json'], project);
    const packages = (JSON.parse(list.stdout) as { packages: { name: string; version: string; source: string; root: string }[] }).packages;
    expect(packages).toEqual([
      expect.objectContaining({
        name: 'lllm-kit-demo',
        version: '1.0.0',
        source: 'npm:lllm-kit-demo',
        root: join(project, 'node_modules', 'lllm-kit-demo'),
      }),
    ]);
  }, 120_000);

  it('a second range of the package, or a dependency needing another version, is refused naming both sides', async () => {
    const fetched = requests.length;
    const second = await lllm(['pkg', 'install', 'lllm-kit-demo@^2.0.0'], project);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(
      /lllm-kit-demo@\^2\.0\.0 conflicts with lllm-kit-demo@\^1\.0\.0, already in \[dependencies\].*lllm pkg remove lllm-kit-demo/,
    );
    // Refused before npm ran: nothing fetched, node_modules untouched.
    expect(requests.length).toBe(fetched);
    expect(read(join(project, 'node_modules', 'lllm-kit-demo', 'lllm.toml'))).toContain('version = "1.0.0"');

    const before = read(join(project, 'lllm.toml'));
    const tools = await lllm(['pkg', 'install', './vendor/tools'], project);
    expect(tools.code).not.toBe(0);
    expect(tools.stderr).toContain(
      `"tools" needs lllm-kit-demo ^2.0.0, but ${join(project, 'node_modules', 'lllm-kit-demo')} is lllm-kit-demo 1.0.0. Update one side.`,
    );
    expect(read(join(project, 'lllm.toml'))).toBe(before);
  }, 120_000);

  it('a package that is not an LLLM project, or not in the registry, leaves package.json and node_modules as they were', async () => {
    const packageJson = read(join(project, 'package.json'));
    const plain = await lllm(['pkg', 'install', 'plain-lib'], project);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain('plain-lib was installed from npm but has no lllm.toml: it is not an LLLM project');
    expect(read(join(project, 'package.json'))).toBe(packageJson);
    expect(existsSync(join(project, 'node_modules', 'plain-lib'))).toBe(false);

    const missing = await lllm(['pkg', 'install', 'no-such-kit@^1.0.0'], project);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('The registry has no no-such-kit');
    expect(read(join(project, 'package.json'))).toBe(packageJson);
  }, 180_000);

  it('remove takes it out of lllm.toml, package.json and node_modules', async () => {
    const remove = await lllm(['pkg', 'remove', 'lllm-kit-demo'], project);
    expect(remove.code, remove.stderr).toBe(0);
    expect(read(join(project, 'lllm.toml'))).toContain('packages = []');
    expect(dependencies(project)).toEqual({});
    expect(existsSync(join(project, 'node_modules', 'lllm-kit-demo'))).toBe(false);
    const list = await lllm(['pkg', 'list'], project);
    expect(list.stdout).toContain('no dependencies');
  }, 120_000);
});
