// `lllm proxies` lists discovered proxies and their endpoints; `lllm proxies test [path…]` calls each
// endpoint with its examples and reports per category — under a cutoff date and past the first k
// endpoints when asked, as upstream's `python -m lllm.proxies --test_proxy … --cutoff_date … --skip_k …`.
import { ConsoleStream } from '@lllm/core';
import { getProxy, listProxies, ProxyRuntime, parseCutoff, proxySource } from '@lllm/proxy';
import { type Io, line, note, printJson, UsageError } from '../io.js';
import { loadProject } from '../runtime.js';
import { shown } from './shared.js';

/** One proxy in `lllm proxies --json` (stable: fields are only ever added). */
export interface ProxyJson {
  readonly path: string;
  readonly name: string;
  readonly source: string | null;
  readonly active: boolean;
  readonly inactiveReason: string | null;
  readonly endpoints: readonly { readonly path: string; readonly method: string; readonly name: string }[];
}

/** Options of `lllm proxies test`. */
export interface ProxiesTestOptions {
  readonly json?: boolean;
  /** `--cutoff-date` / `-c`: test as a backtest on that day sees the APIs (YYYY-MM-DD or an ISO time). */
  readonly cutoffDate?: string;
  /** `--skip` / `-s`: do not call the first k selected endpoints (upstream's `--skip_k`). */
  readonly skip?: string;
}

async function discovered(io: Io, cutoffDate?: string) {
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) note(io, `warning: ${shown(warning)}`);
  const section = project.report.sections.find((candidate) => candidate.name === 'proxies');
  const names = listProxies();
  const warnings: string[] = [];
  const runtime =
    names.length === 0
      ? undefined
      : new ProxyRuntime({
          activate: names,
          env: io.env,
          onWarning: (message) => warnings.push(message),
          ...(cutoffDate === undefined ? {} : { cutoffDate }),
        });
  const empty = section?.modules.length
    ? `Proxy modules were imported (${section.modules.map((module) => module.modulePath).join(', ')}) but none exports a defineProxy(...) result.`
    : 'No proxy modules discovered. Add a [proxies] section with folders to lllm.toml.';
  return { names, warnings, runtime, empty };
}

export async function commandProxies(options: { json?: boolean }, io: Io): Promise<number> {
  const { names, warnings, empty } = await discovered(io);
  const proxies: ProxyJson[] = names.map((name) => {
    const definition = getProxy(name);
    const skipped = warnings.find((warning) => warning.startsWith(`Proxy "${name}" is skipped: `));
    return {
      path: definition.path,
      name: definition.name,
      source: proxySource(name) ?? null,
      active: skipped === undefined,
      inactiveReason: skipped === undefined ? null : shown(skipped.slice(`Proxy "${name}" is skipped: `.length)),
      endpoints: definition.endpoints.map((endpoint) => ({
        path: endpoint.fullPath,
        method: endpoint.handler ? 'CALL' : endpoint.method,
        name: endpoint.name,
      })),
    };
  });
  if (options.json) {
    printJson(io, { proxies });
    return 0;
  }
  if (proxies.length === 0) {
    line(io, empty);
    return 0;
  }
  for (const proxy of proxies) {
    line(
      io,
      `${proxy.path}: ${proxy.name} (${proxy.endpoints.length} endpoints)${proxy.source ? `  ← ${proxy.source}` : ''}${proxy.inactiveReason ? `  [inactive: ${proxy.inactiveReason}]` : ''}`,
    );
    for (const endpoint of proxy.endpoints) line(io, `  ${endpoint.path}  ${endpoint.method}  ${endpoint.name}`);
  }
  return 0;
}

function testSettings(options: ProxiesTestOptions): { cutoffDate: string | undefined; skip: number } {
  let cutoffDate: string | undefined;
  if (options.cutoffDate !== undefined) {
    try {
      cutoffDate = parseCutoff(options.cutoffDate).iso;
    } catch {
      throw new UsageError(`--cutoff-date must be a date such as 2024-06-30 (or an ISO time), got ${JSON.stringify(options.cutoffDate)}`);
    }
  }
  const skip = options.skip === undefined ? 0 : Number(options.skip);
  if (!/^\s*\d+\s*$/.test(options.skip ?? '0') || !Number.isSafeInteger(skip)) {
    throw new UsageError(`--skip must be a whole number of endpoints (0 or more), got ${JSON.stringify(options.skip)}`);
  }
  return { cutoffDate, skip };
}

export async function commandProxiesTest(paths: readonly string[], options: ProxiesTestOptions, io: Io): Promise<number> {
  const { cutoffDate, skip } = testSettings(options);
  const { runtime, warnings, empty } = await discovered(io, cutoffDate);
  for (const warning of warnings) note(io, `warning: ${shown(warning)}`);
  if (!runtime) {
    if (options.json) printJson(io, { cutoffDate: cutoffDate ?? null, passed: 0, failed: 0, skipped: 0, byCategory: {}, results: [] });
    else line(io, empty);
    return 0;
  }
  // The endpoints' own progress goes to stderr: stdout is the report.
  const stream = new ConsoleStream({ output: io.stderr });
  const report = await runtime.autoTest({ stream, skip, ...(paths.length ? { paths: [...paths] } : {}) });
  if (options.json) {
    printJson(io, {
      cutoffDate: runtime.cutoff?.iso ?? null,
      passed: report.passed,
      failed: report.failed,
      skipped: report.skipped,
      byCategory: report.byCategory,
      results: report.results.map((result) => ({ ...result, ...(result.error === undefined ? {} : { error: shown(result.error) }) })),
    });
    return report.failed > 0 ? 1 : 0;
  }
  if (runtime.cutoff) line(io, `cutoff date ${runtime.cutoff.iso}: entries dated on or after it are withheld`);
  for (const [category, tally] of Object.entries(report.byCategory)) {
    line(
      io,
      `${tally.failed ? '✗' : '✓'} ${category}: ${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}`,
    );
  }
  for (const result of report.results.filter((candidate) => candidate.status !== 'passed'))
    line(io, `  ${result.status}: ${result.path}: ${shown(result.error ?? '')}`);
  line(io, `${report.passed} passed, ${report.failed} failed${report.skipped ? `, ${report.skipped} skipped` : ''}`);
  return report.failed > 0 ? 1 : 0;
}
