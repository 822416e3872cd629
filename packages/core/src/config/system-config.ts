import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z as Zod } from 'zod/v4';
import { ConfigError } from '../errors.js';
import { checkModelArguments, findModelCard } from '../model-card.js';
import { closestMatches } from '../strings.js';
import { originOf, type PackageConfigResolver, resolveConfigFile } from './inheritance.js';
import type { ConfigOrigins } from './merge.js';
import { packageConfigFile, packageGraph } from './packages.js';
import { type ConfigNote, inferAgentType, reasoningTemperature, takeUpstreamKeys, UPSTREAM_CONFIG_KEYS } from './upstream-keys.js';

// zod is loaded on the first config read, not when @lllm/core is imported: together they
// were most of core's import time, and a program that never reads a YAML config never needs them.
const requireModule = createRequire(import.meta.url);

/** zod's ES module (the instance `import 'zod/v4'` gives), loaded synchronously. */
function loadZod(): typeof Zod {
  try {
    return (requireModule(fileURLToPath(import.meta.resolve('zod/v4'))) as { z: typeof Zod }).z;
  } catch {
    // Runtimes without import.meta.resolve (some test runners): the CommonJS build.
    return (requireModule('zod/v4') as { z: typeof Zod }).z;
  }
}

/** How an agent talks to its model. */
export const API_TYPES = ['completion', 'response', 'anthropic'] as const;
export type ApiType = (typeof API_TYPES)[number];

/** The config schemas, built with zod when first needed. */
function buildSchemas(z: typeof Zod) {
  const milliseconds = z.number().int().min(0);
  /** A retry or round budget: a whole number, 0 or more. */
  const budget = z.number().int().min(0);

  /**
   * Model arguments an agent config may set; each is sent to the provider as a body field. Anything
   * else provider-specific goes under `extra_body`, so a misspelt key is reported instead of sent.
   */
  const modelArgumentShape = {
    temperature: z.number().optional(),
    top_p: z.number().optional(),
    top_k: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    max_tokens: z.number().int().positive().optional(),
    max_output_tokens: z.number().int().positive().optional(),
    frequency_penalty: z.number().optional(),
    presence_penalty: z.number().optional(),
    seed: z.number().int().optional(),
    stop: z.union([z.string(), z.array(z.string())]).optional(),
    stop_sequences: z.array(z.string()).optional(),
    n: z.number().int().positive().optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: z.number().int().min(0).optional(),
    logit_bias: z.record(z.string(), z.number()).optional(),
    reasoning_effort: z.string().optional(),
    reasoning: z.record(z.string(), z.unknown()).optional(),
    thinking: z.record(z.string(), z.unknown()).optional(),
    verbosity: z.string().optional(),
    parallel_tool_calls: z.boolean().optional(),
    tool_choice: z.unknown().optional(),
    service_tier: z.string().optional(),
    user: z.string().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    store: z.boolean().optional(),
    truncation: z.string().optional(),
    prompt_cache_key: z.string().optional(),
    safety_identifier: z.string().optional(),
  };

  const agentConfigSchema = z
    .object({
      model_name: z.string().min(1),
      /** The system prompt by registry path (`folder/name`, or `package:folder/name`). */
      system_prompt_path: z.string().min(1).optional(),
      /** The system prompt written inline (instead of `system_prompt_path`). */
      system_prompt: z.string().min(1).optional(),
      api_type: z.enum(API_TYPES).default('completion'),
      base_url: z.string().url().optional(),
      /** The environment variable holding the key for `base_url` (never OPENAI_API_KEY by default). */
      api_key_env: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as TOGETHER_API_KEY')
        .optional(),
      /** The longest wait for a reply per request, in ms (default 120,000; 0: no limit). */
      timeout_ms: milliseconds.optional(),
      /** The longest silence in a streamed reply, in ms (default 60,000; 0: no limit). */
      stream_idle_timeout_ms: milliseconds.optional(),
      /** Keep the dialog within the model's context window before each request (see `ContextManager`). */
      context_manager: z
        .object({
          strategy: z.enum(['drop_oldest', 'summarize', 'fail']).default('drop_oldest'),
          context_window: z.number().int().positive().optional(),
          reserve_output_tokens: z.number().int().min(0).optional(),
          keep_last_turns: z.number().int().positive().optional(),
        })
        .strict()
        .optional(),
      /** Skills (from `[skills]` in lllm.toml) this agent sees by name and description and loads with `activate_skill`; `"*"`: all. */
      skills: z.union([z.literal('*'), z.array(z.string().min(1))]).optional(),
      /** The API interpreter: `run_python` (a Jupyter session whose `CALL_API` reaches these proxies) and `query_api_doc`. */
      proxy: z
        .object({
          activate_proxies: z.array(z.string()).default([]),
          cutoff_date: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'expected a date such as "2024-06-30"')
            .optional(),
          deploy_mode: z.boolean().default(false),
          exec_env: z.enum(['interpreter', 'jupyter']).nullable().default('interpreter'),
          max_output_chars: z.number().int().positive().default(5000),
          timeout_ms: milliseconds.default(60_000),
        })
        .strict()
        .optional(),
      /** Provider-specific body fields sent as they are (the escape hatch for keys LLLM does not know). */
      extra_body: z.record(z.string(), z.unknown()).optional(),
      // This agent's budgets, over the system's top-level ones (the Python LLLM's per-agent keys;
      // `max_interrupt_steps` is its later name for `max_interrupt_times`).
      max_exception_retry: budget.optional(),
      max_interrupt_times: budget.optional(),
      max_interrupt_steps: budget.optional(),
      max_llm_recall: budget.optional(),
      ...modelArgumentShape,
    })
    .strict()
    .refine((agent) => (agent.system_prompt === undefined) !== (agent.system_prompt_path === undefined), {
      message: 'set exactly one of system_prompt_path (a prompt by path) and system_prompt (the text inline)',
    })
    .refine((agent) => agent.max_interrupt_times === undefined || agent.max_interrupt_steps === undefined, {
      message: 'set one of max_interrupt_times and max_interrupt_steps (two names for the same budget), not both',
    });

  const systemConfigSchema = z
    .object({
      name: z.string().min(1),
      log_type: z.string().default('sqlite'),
      log_dir: z.string().default('logs'),
      /** Options for the `log_type` backend, checked by the schema it was registered with (`defineLogBackend`). */
      log_options: z.record(z.string(), z.unknown()).default({}),
      ckpt_dir: z.string().default('ckpt'),
      /** The registered agent type to run; when unset, the one registered type whose agents all have agent_configs. */
      agent_type: z.string().min(1).optional(),
      agent_configs: z.record(z.string(), agentConfigSchema),
      max_exception_retry: budget.default(3),
      max_interrupt_times: budget.default(5),
      max_llm_recall: budget.default(3),
      activate_proxies: z.array(z.string()).default([]),
      /** Data cutoff for the activated proxies (`YYYY-MM-DD`): data of that day and later is withheld (backtests). */
      cutoff_date: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, 'expected a date such as "2024-06-30"')
        .optional(),
      /** Live use: the proxies apply no cutoff and use no cache. */
      deploy_mode: z.boolean().default(false),
    })
    .strict();
  return {
    agentConfigSchema,
    systemConfigSchema,
    /** Keys an agent config accepts, for "did you mean" suggestions. */
    agentConfigKeys: [...AGENT_KEYS, ...Object.keys(modelArgumentShape)],
    /** Top-level keys of a system config (and the Python LLLM's, accepted with a note), for "did you mean" suggestions. */
    topLevelKeys: [...Object.keys(systemConfigSchema.shape), ...UPSTREAM_CONFIG_KEYS],
  };
}

type Schemas = ReturnType<typeof buildSchemas>;
let schemas: Schemas | undefined;
function configSchemas(): Schemas {
  schemas ??= buildSchemas(loadZod());
  return schemas;
}

/** One agent's configuration: structural keys, model arguments (`temperature`, …) and `extra_body`. */
export type AgentConfig = Zod.output<Schemas['agentConfigSchema']>;

/** A validated system configuration, with `log_dir` and `ckpt_dir` resolved against its project root. */
export type SystemConfig = Omit<Zod.output<Schemas['systemConfigSchema']>, 'agent_type'> & {
  /** The agent type to run (filled in when the YAML names none and one registered type fits, with a note). */
  readonly agent_type: string;
  /**
   * One line per thing to tell the user about a config that loaded: a Python LLLM key accepted but not
   * used (`random_seed`, `system_type`, …), an `agent_type` filled in, a reasoning model's temperature
   * left out. `lllm doctor` and `lllm run` print them.
   */
  readonly notes: readonly ConfigNote[];
  /** The YAML file it came from. */
  readonly file: string;
  /** The project root (the folder holding `config/`). */
  readonly root: string;
  /** Where each value came from: dotted key path → file (`(global)` when a `global` default set it). */
  readonly origins?: ConfigOrigins;
  /** The files merged through `base`, from this config down to its root base. */
  readonly chain?: readonly string[];
};

const AGENT_KEYS = new Set([
  'model_name',
  'system_prompt_path',
  'system_prompt',
  'api_type',
  'base_url',
  'api_key_env',
  'timeout_ms',
  'stream_idle_timeout_ms',
  'extra_body',
  'context_manager',
  'skills',
  'proxy',
  'max_exception_retry',
  'max_interrupt_times',
  'max_interrupt_steps',
  'max_llm_recall',
]);

/**
 * The model arguments of an agent config: its model argument keys, then the `extra_body` fields
 * (sent as they are). Structural keys (`model_name`, `timeout_ms`, …) are not model arguments.
 */
export function modelArguments(agent: AgentConfig): Record<string, unknown> {
  const known = Object.entries(agent).filter(([key, value]) => !AGENT_KEYS.has(key) && value !== undefined);
  return { ...Object.fromEntries(known), ...(agent.extra_body ?? {}) };
}

function describeIssue(issue: Zod.core.$ZodIssue, { agentConfigKeys, topLevelKeys }: Schemas): string {
  const path = issue.path.length ? issue.path.join('.') : '(top level)';
  if (issue.code === 'invalid_type')
    return `${path}: expected ${issue.expected}, got ${issue.input === undefined ? 'nothing' : JSON.stringify(issue.input)}`;
  if (issue.code === 'unrecognized_keys') {
    const inAgent = issue.path.length === 2 && issue.path[0] === 'agent_configs';
    const known = inAgent ? agentConfigKeys : topLevelKeys;
    const keys = issue.keys.map((key) => {
      const suggestion = closestMatches(key, known)[0];
      return `"${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
    });
    const hatch = inAgent ? '; a provider-specific body field goes under extra_body: { <key>: <value> }' : '';
    return `${path === '(top level)' ? '' : `${path}: `}unknown key${issue.keys.length === 1 ? '' : 's'} ${keys.join(', ')}${hatch}`;
  }
  return `${path}: ${issue.message}`;
}

/**
 * Find a system config: a YAML path, or a name resolved to `<root>/config/<name>/default.yaml`;
 * without either, the only config under `<root>/config/` (several is an error listing them).
 */
export function resolveSystemConfigPath(root: string, nameOrPath?: string): string {
  const configDir = join(root, 'config');
  if (nameOrPath && /\.ya?ml$/i.test(nameOrPath)) return isAbsolute(nameOrPath) ? nameOrPath : resolve(process.cwd(), nameOrPath);
  if (nameOrPath) {
    const folderForm = join(configDir, nameOrPath, 'default.yaml');
    const fileForm = join(configDir, `${nameOrPath}.yaml`);
    return !existsSync(folderForm) && existsSync(fileForm) ? fileForm : folderForm;
  }
  const names = existsSync(configDir)
    ? readdirSync(configDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(join(configDir, entry.name, 'default.yaml')))
        .map((entry) => entry.name)
    : [];
  if (names.length === 1 && names[0]) return join(configDir, names[0], 'default.yaml');
  // Several configs: the one named `default`, as the CLI's --config help says.
  if (names.includes('default')) return join(configDir, 'default', 'default.yaml');
  throw new ConfigError(
    names.length === 0
      ? `No system config under ${configDir}: create config/<name>/default.yaml, or pass --config path/to/config.yaml.`
      : `Several system configs under ${configDir} (${names.join(', ')}): pass --config <name> to pick one.`,
  );
}

/** Options of `loadSystemConfig`. */
export interface LoadSystemConfigOptions {
  /** The project root (default: two folders above the config's folder, `<root>/config/<name>/default.yaml`). */
  readonly root?: string;
  /** Resolves `base: package:name` references (the project's `[dependencies]` give one). */
  readonly resolvePackageConfig?: PackageConfigResolver;
}

/**
 * Load and validate a YAML system config, with its inheritance resolved (`base`, `global`,
 * `agent_configs` as a list, `model_args`). Every problem is reported at once, each with its key path,
 * the expected type and the file that set the value, in one `ConfigError` naming the config. Model
 * arguments are checked against the model card when there is one.
 */
export function loadSystemConfig(file: string, options: LoadSystemConfigOptions = {}): SystemConfig {
  const path = resolve(file);
  const root = options.root ?? dirname(dirname(dirname(path)));
  const resolved = resolveConfigFile(path, {
    root,
    // `base: package:name` reaches the discovered project's dependencies unless the caller resolves it.
    ...(options.resolvePackageConfig
      ? { resolvePackageConfig: options.resolvePackageConfig }
      : packageGraph()
        ? { resolvePackageConfig: packageConfigFile }
        : {}),
  });
  const configSchemasNow = configSchemas();
  // The Python LLLM's keys that mean nothing here are taken out first, each leaving a note.
  const upstream = takeUpstreamKeys(resolved.data, root);
  const notes: ConfigNote[] = [...upstream.notes];
  const parsed = configSchemasNow.systemConfigSchema.safeParse(upstream.data, { reportInput: true });
  const fromBase = resolved.chain.length > 1;
  const where = (keyPathText: string) => {
    const origin = fromBase ? originOf(resolved.origins, keyPathText) : undefined;
    return origin ? ` (set in ${origin})` : '';
  };
  const problems = [
    ...upstream.problems.map((problem) => `${problem}${where(problem.split(':')[0] ?? '')}`),
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${describeIssue(issue, configSchemasNow)}${where(issue.path.join('.'))}`)),
  ];
  let agentType = parsed.success ? parsed.data.agent_type : undefined;
  if (upstream.data.agent_type === undefined) {
    const configured = upstream.data.agent_configs;
    const inferred = inferAgentType(typeof configured === 'object' && configured !== null ? Object.keys(configured) : []);
    if ('problem' in inferred) problems.push(inferred.problem);
    else {
      agentType = inferred.agentType;
      notes.push(inferred.note);
    }
  }
  const agentConfigs: Record<string, AgentConfig> = {};
  if (parsed.success) {
    for (const [name, configured] of Object.entries(parsed.data.agent_configs)) {
      const card = findModelCard(configured.model_name);
      const { agent, note } = reasoningTemperature(`agent_configs.${name}`, configured, card);
      if (note) notes.push(note);
      agentConfigs[name] = agent;
      if (card)
        for (const problem of checkModelArguments(card, modelArguments(agent)))
          problems.push(`agent_configs.${name}.${problem}${where(`agent_configs.${name}.${problem.split(':')[0]}`)}`);
    }
  }
  if (!parsed.success || problems.length > 0 || agentType === undefined) {
    throw new ConfigError(
      `${path} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `- ${p}`).join('\n')}`,
      {
        file: path,
        problems,
      },
    );
  }
  return {
    ...parsed.data,
    agent_type: agentType,
    agent_configs: agentConfigs,
    notes,
    log_dir: resolve(root, parsed.data.log_dir),
    ckpt_dir: resolve(root, parsed.data.ckpt_dir),
    file: path,
    root,
    origins: resolved.origins,
    chain: resolved.chain,
  };
}
