// `lllm doctor`: checks the setup (Node, the SQLite binding, discovery, the system config, its log
// backend, model cards and provider keys) and says how to fix what is wrong. Never prints a key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkLogOptions,
  findModelCard,
  getAgentType,
  listAgentTypes,
  listDiscoverySections,
  listLogBackends,
  loadSystemPackages,
  packageGraph,
} from '@lllm/core';
import { findPrompt, listPrompts } from '@lllm/prompts';
import { type Io, line, painter, printJson } from '../io.js';
import { loadLogBackendPackage } from '../log-backend-loader.js';
import { routeModel } from '../model-routing.js';
import { nodeVersionProblem, SUPPORTED_NODE } from '../node-version.js';
import { loadConfig, loadProject, providerAvailability, providerHint, SCRIPTED_LABEL } from '../runtime.js';
import { messageOf, shown } from './shared.js';

/** One check of `lllm doctor --json` (stable: fields are only ever added). */
export interface DoctorCheck {
  /** What was checked: `node`, `sqlite`, `lllm.toml`, `discovery`, `config`, `log_type`, `agent`, `model_card`, `provider`. */
  readonly check: string;
  /** `ok`; `problem` (the exit code becomes 1); `warning` (works, but not as well: unknown cost, scripted replies); `info`. */
  readonly status: 'ok' | 'problem' | 'warning' | 'info';
  readonly message: string;
}

/** Whether better-sqlite3 loads and opens a database (in a temporary folder, removed after). */
async function sqliteProblem(): Promise<string | undefined> {
  const folder = mkdtempSync(join(tmpdir(), 'lllm-doctor-'));
  try {
    // Imported here: a binding that fails to load throws from the import itself.
    const { SqliteLogStore } = await import('@lllm/log');
    const store = new SqliteLogStore({ directory: folder });
    store.write('frontend', 'doctor', { type: 'write', text: 'check' });
    await store.close();
    return undefined;
  } catch (error) {
    return messageOf(error);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The environment variable(s) an agent's provider needs, or undefined when it has them. */
function missingKey(agent: { api_type: string; base_url?: string; api_key_env?: string }, env: NodeJS.ProcessEnv): string | undefined {
  if (agent.base_url) return agent.api_key_env && !env[agent.api_key_env] ? agent.api_key_env : undefined;
  const available = providerAvailability(env);
  if (agent.api_type === 'anthropic') return available.anthropic ? undefined : 'ANTHROPIC_API_KEY';
  return available.openai || available.openaiCompatible ? undefined : providerHint('completion');
}

export async function commandDoctor(options: { json?: boolean; config?: string }, io: Io): Promise<number> {
  const checks: DoctorCheck[] = [];
  const add = (check: string, status: DoctorCheck['status'], message: string) => checks.push({ check, status, message });
  const nodeProblem = nodeVersionProblem();
  if (nodeProblem) add('node', 'problem', nodeProblem);
  else add('node', 'ok', `node ${process.version} (engines: ${SUPPORTED_NODE})`);
  const sqlite = await sqliteProblem();
  if (sqlite)
    add(
      'sqlite',
      'problem',
      `the SQLite binding (better-sqlite3) does not load: ${sqlite.replace(/\.$/, '')}. Reinstall it with: pnpm rebuild better-sqlite3`,
    );
  else add('sqlite', 'ok', 'the SQLite binding (better-sqlite3) loads');
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  const { report } = project;
  if (report.disabled) add('discovery', 'info', 'discovery is off (LLLM_AUTO_DISCOVER)');
  else if (report.config?.implicit) add('lllm.toml', 'info', `no lllm.toml: discovering the default folders of ${report.config.root}`);
  else if (report.config) add('lllm.toml', 'ok', `lllm.toml: ${report.config.file}`);
  else add('lllm.toml', 'problem', `no lllm.toml in ${io.cwd} or its parents (create one with: lllm create --name <project>)`);
  for (const section of report.sections) {
    const status = `${section.modules.length} modules from ${section.folders.join(', ')}${section.failures.length ? `, ${section.failures.length} failed` : ''}`;
    add('discovery', section.failures.length ? 'problem' : 'ok', `[${section.name}] ${status}`);
  }
  for (const warning of report.warnings) add('discovery', 'problem', shown(warning));
  const graph = packageGraph();
  if (graph && graph.packages.size > 1)
    add(
      'packages',
      'ok',
      `dependencies: ${[...graph.packages.values()]
        .filter((pkg) => pkg !== graph.project)
        .map((pkg) => `${pkg.name} ${pkg.version}`)
        .join(', ')}`,
    );
  if (report.skills.length > 0) add('skills', 'ok', `skills: ${report.skills.join(', ')}`);
  add(
    'discovery',
    'info',
    `prompts: ${listPrompts().length}; agent types: ${listAgentTypes().join(', ') || 'none'}; discovery sections: ${listDiscoverySections().join(', ')}`,
  );
  const env = io.env;
  let usesProvider = false;
  try {
    const config = loadConfig(project, options.config);
    add('config', 'ok', `system config: ${config.file} (agent_type ${config.agent_type}, log_type ${config.log_type})`);
    for (const note of config.notes) add('config', note.severity === 'warning' ? 'warning' : 'info', shown(note.message));
    if (config.chain && config.chain.length > 1)
      add('config', 'ok', `inherits from ${config.chain.slice(1).join(' → ')} (lllm config show explains each value)`);
    // A log_type a package serves (postgres): imported from the project now, so a missing package shows here.
    const unavailable = await loadLogBackendPackage(config.log_type, project.root).then(() => undefined, messageOf);
    const backends = listLogBackends();
    if (unavailable) add('log_type', 'problem', unavailable);
    else if (backends.includes(config.log_type)) {
      add('log_type', 'ok', `log_type ${config.log_type} is a registered backend`);
      try {
        checkLogOptions(config.log_type, config.log_options);
      } catch (error) {
        add('log_options', 'problem', messageOf(error));
      }
    } else
      add(
        'log_type',
        'problem',
        `log_type ${JSON.stringify(config.log_type)} is not a registered backend: use one of ${backends.map((name) => `"${name}"`).join(', ')}`,
      );
    // Dependency packages the config names (`kit:sys/writer`, `agent_type: kit:desk`, `activate_proxies: [kit:fred]`) load when first referenced.
    await loadSystemPackages(config);
    const definition = getAgentType(config.agent_type);
    for (const name of definition.agentGroup) {
      const agent = config.agent_configs[name];
      if (!agent) continue;
      const inline = agent.system_prompt !== undefined;
      const prompt = inline || findPrompt(agent.system_prompt_path ?? '');
      if (prompt)
        add(
          'agent',
          'ok',
          `agent ${name}: ${agent.model_name} via ${agent.api_type}, system prompt ${inline ? '(inline)' : agent.system_prompt_path}`,
        );
      else add('agent', 'problem', `agent ${name}: system prompt "${agent.system_prompt_path}" is not registered`);
      const route = routeModel(name, agent, agent.model_name, agent.api_type, env);
      if (findModelCard(agent.model_name)) add('model_card', 'ok', `agent ${name}: model ${agent.model_name} has a price card`);
      else
        add(
          'model_card',
          'warning',
          route.warning ??
            `agent ${name}: model ${agent.model_name} has no model card, so its cost will be unknown (register one with registerModelCard)`,
        );
      if (route.notice) add('model_card', route.endpointReady === false ? 'warning' : 'info', route.notice);
      const missing = missingKey(agent, env);
      if (missing)
        add('provider', 'warning', `agent ${name} (${agent.api_type}) needs ${missing}; until it is set lllm run uses a ${SCRIPTED_LABEL}`);
      else {
        usesProvider = true;
        add('provider', 'ok', `agent ${name}: its provider (${agent.base_url ? shown(agent.base_url) : agent.api_type}) is configured`);
      }
    }
  } catch (error) {
    add('config', 'problem', messageOf(error));
  }
  const available = providerAvailability(env);
  add(
    'provider',
    'info',
    `OPENAI_API_KEY: ${env.OPENAI_API_KEY ? 'set' : 'not set'}${env.MY_OPENAI_KEY ? '; MY_OPENAI_KEY: set' : ''}; OPENAI_BASE_URL: ${available.openaiCompatible ? 'set' : 'not set'}; ANTHROPIC_API_KEY: ${available.anthropic ? 'set' : 'not set'}`,
  );
  if (!usesProvider && !available.openai && !available.openaiCompatible && !available.anthropic)
    add('provider', 'info', `no provider configured: set ${providerHint('completion')} or ANTHROPIC_API_KEY`);
  const problems = checks.filter((check) => check.status === 'problem').length;
  if (options.json) {
    printJson(io, { ok: problems === 0, problems, checks });
    return problems === 0 ? 0 : 1;
  }
  const paint = painter(io.stdout, io.env);
  const mark = { ok: paint('green', '✓'), problem: paint('red', '✗'), warning: paint('yellow', '!'), info: ' ' } as const;
  for (const check of checks) line(io, `${mark[check.status]} ${check.message}`);
  line(io, problems === 0 ? 'Everything looks right.' : `${problems} problem${problems === 1 ? '' : 's'} found.`);
  return problems === 0 ? 0 : 1;
}
