// What a user downloads: packs the built LLLM packages (`pnpm pack`, as published), installs each
// set with npm into a clean temp folder outside the repository, and prints the number of packages and
// the MiB in node_modules, next to `ai @ai-sdk/openai zod` and `openai` alone installed in the same
// run, with ratios. npm installs the non-optional peers (zod, @lllm/core) itself, as for a user.
// Budgets: @lllm/core alone ≤ 12 MiB, core + prompts + openai ≤ 40 MiB; over budget exits 1.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MiB = 1024 * 1024;
const TIMEOUT_MS = 5 * 60_000;

interface Footprint {
  readonly label: string;
  readonly packages: number;
  readonly bytes: number;
  readonly budgetMiB?: number;
}

function pack(dir: string, destination: string): string {
  const before = new Set(readdirSync(destination));
  execFileSync('pnpm', ['pack', '--pack-destination', destination], {
    cwd: join(repo, 'packages', dir),
    stdio: 'ignore',
    timeout: TIMEOUT_MS,
  });
  const created = readdirSync(destination).filter((name) => !before.has(name) && name.endsWith('.tgz'));
  if (created.length !== 1 || created[0] === undefined) throw new Error(`pnpm pack in packages/${dir} made ${created.length} tarballs`);
  return join(destination, created[0]);
}

// Every file's size under node_modules, and every folder that is a package (has a package.json).
function measure(folder: string): { packages: number; bytes: number } {
  let packages = 0;
  let bytes = 0;
  const stack = [join(folder, 'node_modules')];
  for (let steps = 0; stack.length > 0 && steps < 1_000_000; steps++) {
    const dir = stack.pop() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else if (entry.isFile()) {
        bytes += lstatSync(path).size;
        // A package root: node_modules/<name>/package.json or node_modules/@scope/<name>/package.json.
        if (entry.name === 'package.json' && /[/\\]node_modules[/\\](@[^/\\]+[/\\])?[^@/\\][^/\\]*$/.test(dir)) packages += 1;
      }
    }
  }
  return { packages, bytes };
}

function install(label: string, specs: readonly string[], budgetMiB?: number): Footprint {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-footprint-'));
  try {
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'footprint', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
      cwd: folder,
      stdio: 'inherit',
      timeout: TIMEOUT_MS,
    });
    return { label, ...measure(folder), ...(budgetMiB === undefined ? {} : { budgetMiB }) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const work = mkdtempSync(join(tmpdir(), 'lllm-footprint-tarballs-'));
let overBudget = 0;
try {
  const core = pack('core', work);
  const prompts = pack('prompts', work);
  const openai = pack('openai', work);
  const createLllm = pack('create-lllm', work);

  const results = [
    install('@lllm/core', [core], 12),
    install('@lllm/core + prompts + openai', [core, prompts, openai], 40),
    install('create-lllm', [createLllm]),
    install('ai + @ai-sdk/openai + zod', ['ai', '@ai-sdk/openai', 'zod']),
    install('openai', ['openai']),
  ];
  const aiSdk = results[3] as Footprint;
  const openaiAlone = results[4] as Footprint;

  const row = (cells: readonly string[]) =>
    `${cells[0]?.padEnd(32)}${cells
      .slice(1)
      .map((cell) => cell.padStart(12))
      .join('')}`;
  console.log(
    `\nInstalled with npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()} into clean folders (apparent size of node_modules):\n`,
  );
  console.log(row(['install', 'packages', 'MiB', '× ai-sdk', '× openai', 'budget']));
  for (const result of results) {
    const mib = result.bytes / MiB;
    const budget = result.budgetMiB === undefined ? '' : `${mib <= result.budgetMiB ? 'ok' : 'OVER'} ≤${result.budgetMiB}`;
    if (result.budgetMiB !== undefined && mib > result.budgetMiB) overBudget += 1;
    console.log(
      row([
        result.label,
        String(result.packages),
        mib.toFixed(2),
        (result.bytes / aiSdk.bytes).toFixed(2),
        (result.bytes / openaiAlone.bytes).toFixed(2),
        budget,
      ]),
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (overBudget > 0) {
  console.error(`\n${overBudget} install(s) over budget.`);
  process.exitCode = 1;
}
