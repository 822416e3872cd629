import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isSupportedNode, nodeVersionProblem, SUPPORTED_NODE } from './node-version.js';

const here = dirname(fileURLToPath(import.meta.url));
const packages = join(here, '..', '..');
const tsxLoader = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'index.mjs')).href;
const temp = mkdtempSync(join(tmpdir(), 'lllm-node-version-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('the Node.js floor', () => {
  it('admits 22.18+ and 23.6+ (Node-API 10 and type stripping on by default), and nothing older', () => {
    const verdicts = Object.fromEntries(
      ['20.19.0', '22.11.0', '22.12.0', '22.13.1', '22.14.0', '22.17.1', '22.18.0', '22.23.3', '23.5.0', '23.6.0', '24.0.0', 'v26.1.0'].map(
        (version) => [version, isSupportedNode(version)],
      ),
    );
    expect(verdicts).toEqual({
      '20.19.0': false,
      '22.11.0': false,
      '22.12.0': false,
      '22.13.1': false,
      '22.14.0': false,
      '22.17.1': false,
      '22.18.0': true,
      '22.23.3': true,
      '23.5.0': false,
      '23.6.0': true,
      '24.0.0': true,
      'v26.1.0': true,
    });
  });

  it('names the running version, its Node-API and the floor', () => {
    expect(nodeVersionProblem('22.18.0', '10')).toBeUndefined();
    const problem = nodeVersionProblem('22.12.0', '9');
    expect(problem).toContain('this is Node.js v22.12.0 (Node-API 9)');
    expect(problem).toContain(`LLLM needs Node.js ${SUPPORTED_NODE}`);
    expect(problem).toContain('Install Node.js 22.18 or newer');
    expect(nodeVersionProblem('22.20.0', '9')).toContain('Node-API 9');
    expect(nodeVersionProblem('22.14.0', '10')).toContain('this is Node.js v22.14.0 (Node-API 10)');
  });

  it('is the engines range of every public package', () => {
    const ranges = Object.fromEntries(
      readdirSync(packages)
        .map((dir) => JSON.parse(readFileSync(join(packages, dir, 'package.json'), 'utf8')))
        .filter((manifest) => !manifest.private)
        .map((manifest) => [manifest.name, manifest.engines?.node]),
    );
    expect(Object.keys(ranges).length).toBeGreaterThanOrEqual(9);
    for (const range of Object.values(ranges)) expect(range).toBe(SUPPORTED_NODE);
  });

  it('the lllm command refuses an older Node with a sentence before loading anything else', async () => {
    // This process poses as Node 22.12 (Node-API 9), as an old install reports itself.
    const pose = join(temp, 'pose-as-22.12.mjs');
    writeFileSync(pose, "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '22.12.0', napi: '9' } });\n");
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--conditions=lllm-source', '--import', pathToFileURL(pose).href, '--import', tsxLoader, join(here, 'bin-source.ts'), 'doctor'],
        { cwd: temp, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`lllm: ${nodeVersionProblem('22.12.0', '9')}\n`);
  }, 30_000);

  it('the installed bin checks first and imports the CLI only afterwards', () => {
    const bin = readFileSync(join(here, '..', 'bin', 'lllm.js'), 'utf8');
    const staticImports = [...bin.matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
    expect(staticImports).toEqual(['../dist/node-version.js']);
    const check = bin.indexOf('nodeVersionProblem()');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(bin.search(/await import\('\.\.\/dist\//));
  });
});
