// `lllm proxies` lists discovered proxies and their endpoints; `lllm proxies test [path…]` calls each
// endpoint with its examples and reports per category.
import { ConsoleStream } from '@lllm/core';
import { getProxy, listProxies, ProxyRuntime, proxySource } from '@lllm/proxy';
import { type Io, line, note, printJson } from '../io.js';
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

async function discovered(io: Io) {
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  for (const warning of project.report.warnings) note(io, `warning: ${shown(warning)}`);
  const section = project.report.sections.find((candidate) => candidate.name === 'proxies');
  const names = listProxies();
  const warnings: string[] = [];
  const runtime =
    names.length === 0 ? undefined : new ProxyRuntime({ activate: names, env: io.env, onWarning: (message) => warnings.push(message) });
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

export async function commandProxiesTest(paths: readonly string[], options: { json?: boolean }, io: Io): Promise<number> {
  const { runtime, warnings, empty } = await discovered(io);
  for (const warning of warnings) note(io, `warning: ${shown(warning)}`);
  if (!runtime) {
    if (options.json) printJson(io, { passed: 0, failed: 0, skipped: 0, byCategory: {}, results: [] });
    else line(io, empty);
    return 0;
  }
  // The endpoints' own progress goes to stderr: stdout is the report.
  const stream = new ConsoleStream({ output: io.stderr });
  const report = await runtime.autoTest({ stream, ...(paths.length ? { paths: [...paths] } : {}) });
  if (options.json) {
    printJson(io, {
      passed: report.passed,
      failed: report.failed,
      skipped: report.skipped,
      byCategory: report.byCategory,
      results: report.results.map((result) => ({ ...result, ...(result.error === undefined ? {} : { error: shown(result.error) }) })),
    });
    return report.failed > 0 ? 1 : 0;
  }
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
