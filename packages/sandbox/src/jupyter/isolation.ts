import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { InvalidArgumentError } from '@lllm/core';
import { SandboxError } from '../errors.js';

/**
 * How far a Jupyter server's kernels are kept from the process that started them (see SECURITY.md).
 *
 * - `namespace`: each kernel runs in its own PID and mount namespace with its own `/proc` (it sees
 *   only its own processes, so no ancestor's environment or memory), with every capability dropped
 *   and `no_new_privs` set, and with the server's state folder (its token, other kernels' connection
 *   files) hidden under an empty tmpfs. Needs util-linux `unshare` and `setpriv`, and either root or
 *   unprivileged user namespaces.
 * - `none`: kernels run as ordinary children of the server, as the same user: kernel code can read
 *   this process's environment through `/proc`. Only by explicit choice, or with a loud warning
 *   when the machine allows nothing stronger.
 */
export type KernelIsolation = 'namespace' | 'none';

/** The isolation a server's kernels actually run under, and why. */
export interface KernelIsolationReport {
  /** The isolation in force. */
  readonly mode: KernelIsolation;
  /** One sentence: what the boundary is, or why there is none. */
  readonly detail: string;
}

/** The util-linux tools a namespace needs, as absolute paths. */
interface NamespaceTools {
  readonly setpriv: string;
  readonly unshare: string;
  readonly mount: string;
  readonly sh: string;
}

/** What this machine allows. */
export type NamespaceSupport =
  | { readonly available: true; readonly tools: NamespaceTools; readonly userNamespace: boolean }
  | { readonly available: false; readonly reason: string; readonly setpriv: string | undefined };

/** Placeholder for the server's own Python in a wrapped `python3` argv (see `wrapKernelArgv`). */
const PYTHON_PLACEHOLDER = '@lllm-server-python';

/**
 * Runs as PID 1 of the new namespaces, still privileged there: hides the state folder under an
 * empty tmpfs (putting back only this kernel's connection file), then drops every capability and
 * execs the kernel, which becomes PID 1 (so the namespace ends with it).
 */
const NAMESPACE_SCRIPT = [
  'set -e',
  'state=$1; connection=$2; mount=$3; setpriv=$4; shift 4',
  'saved=$(cat "$connection")',
  '"$mount" -t tmpfs -o mode=0700,size=64m lllm-kernel "$state"',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'mkdir -p "${connection%/*}"',
  'printf \'%s\' "$saved" > "$connection"',
  'chmod 600 "$connection"',
  'exec "$setpriv" --no-new-privs --bounding-set=-all --inh-caps=-all -- "$@"',
].join('\n');

/** Bootstrap for specs whose argv starts with `python`/`python3`: Jupyter swaps that for its own interpreter. */
const PYTHON_BOOTSTRAP = `import os, sys; a = [sys.executable if x == ${JSON.stringify(PYTHON_PLACEHOLDER)} else x for x in sys.argv[1:]]; os.execv(a[0], a)`;

const SYSTEM_FOLDERS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

/** An executable by name: on `PATH`, else in the system folders. */
export function findExecutable(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), ...SYSTEM_FOLDERS];
  for (const folder of folders) {
    if (folder && existsSync(join(folder, name))) return join(folder, name);
  }
  return undefined;
}

function run(program: string, args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(program, [...args], { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}`.trim() || (error?.message ?? '') });
    });
  });
}

/** The prefix that runs a kernel command inside fresh namespaces (see `NAMESPACE_SCRIPT`). */
function namespacePrefix(tools: NamespaceTools, userNamespace: boolean, stateDir: string, connectionFile: string): string[] {
  return [
    tools.setpriv,
    '--pdeathsig=KILL',
    '--',
    tools.unshare,
    ...(userNamespace ? ['--user', '--map-root-user'] : []),
    '--pid',
    '--fork',
    '--mount-proc',
    '--kill-child=SIGKILL',
    '--',
    tools.sh,
    '-c',
    NAMESPACE_SCRIPT,
    'lllm-kernel',
    stateDir,
    connectionFile,
    tools.mount,
    tools.setpriv,
  ];
}

async function probe(tools: NamespaceTools, userNamespace: boolean): Promise<{ ok: boolean; output: string }> {
  const dir = realpathSync(await mkdtemp(join(tmpdir(), 'lllm-isolation-probe-')));
  try {
    const state = join(dir, 'state');
    await mkdir(join(state, 'runtime'), { recursive: true });
    const marker = join(state, 'hidden');
    const connection = join(state, 'runtime', 'probe.json');
    await writeFile(marker, 'hidden');
    await writeFile(connection, '{}');
    // Inside: PID 1, this process invisible, the state folder hidden but the connection file kept, no capabilities.
    const check =
      'test "$$" = 1 && ! kill -0 "$3" 2>/dev/null && test ! -e "$1" && test -r "$2" && grep -q "^CapEff:[[:space:]]*0*$" /proc/self/status';
    const [program, ...args] = [
      ...namespacePrefix(tools, userNamespace, state, connection),
      tools.sh,
      '-c',
      check,
      'probe',
      marker,
      connection,
      String(process.pid),
    ];
    return await run(program as string, args);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let support: Promise<NamespaceSupport> | undefined;

/** What this machine allows for kernels (probed once per process by running the real wrapper). */
export function detectNamespaceSupport(): Promise<NamespaceSupport> {
  support ??= (async (): Promise<NamespaceSupport> => {
    const setpriv = findExecutable('setpriv');
    if (process.platform !== 'linux') {
      return { available: false, reason: `namespaces are Linux only (this is ${process.platform})`, setpriv };
    }
    const unshare = findExecutable('unshare');
    const mount = findExecutable('mount');
    const sh = findExecutable('sh');
    if (!setpriv || !unshare || !mount || !sh) {
      const missing = Object.entries({ setpriv, unshare, mount, sh })
        .filter(([, path]) => !path)
        .map(([name]) => name);
      return { available: false, reason: `${missing.join(', ')} not found (install util-linux)`, setpriv };
    }
    const tools = { setpriv, unshare, mount, sh };
    const plain = await probe(tools, false);
    if (plain.ok) return { available: true, tools, userNamespace: false };
    const user = await probe(tools, true);
    if (user.ok) return { available: true, tools, userNamespace: true };
    return {
      available: false,
      reason: `unshare cannot create PID and mount namespaces here (${user.output || plain.output}); run as root, allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces), or give the container CAP_SYS_ADMIN`,
      setpriv,
    };
  })();
  return support;
}

/** How kernels of one server are launched. */
export type KernelLaunchPlan =
  | { readonly mode: 'namespace'; readonly tools: NamespaceTools; readonly userNamespace: boolean; readonly stateDir: string }
  | { readonly mode: 'none'; readonly setpriv: string | undefined };

/**
 * A kernelspec argv wrapped for `plan`. Even without isolation the kernel gets `setpriv --pdeathsig`
 * when available, so it dies with the server. A spec starting with a bare `python`/`python3` keeps
 * that first word (Jupyter replaces it with its own interpreter) and execs the wrapper from there.
 */
export function wrapKernelArgv(argv: readonly string[], plan: KernelLaunchPlan): string[] {
  const connectionFile = '{connection_file}';
  const prefix =
    plan.mode === 'namespace'
      ? namespacePrefix(plan.tools, plan.userNamespace, plan.stateDir, connectionFile)
      : plan.setpriv
        ? [plan.setpriv, '--pdeathsig=KILL', '--']
        : [];
  if (prefix.length === 0) return [...argv];
  const [first, ...rest] = argv;
  if (first !== undefined && /^python(\d+(\.\d+)?)?$/.test(first)) {
    return [first, '-I', '-S', '-c', PYTHON_BOOTSTRAP, ...prefix, PYTHON_PLACEHOLDER, ...rest];
  }
  return [...prefix, ...argv];
}

/** Marks a kernelspec written by LLLM (and so the isolation its argv carries). */
export const ISOLATION_METADATA_KEY = 'lllm_isolation';

interface KernelSpecListing {
  readonly kernelspecs?: Record<string, { readonly spec?: Record<string, unknown> & { readonly argv?: unknown } }>;
}

async function listKernelSpecs(url: string, token: string): Promise<KernelSpecListing> {
  const response = await fetch(`${url}api/kernelspecs`, {
    headers: { Authorization: `token ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`GET /api/kernelspecs answered HTTP ${response.status}`);
  return (await response.json()) as KernelSpecListing;
}

/**
 * Put a wrapped copy of every kernelspec the server knows into `specsDir` (a folder that comes first
 * on the server's `JUPYTER_PATH`), then check that the server now launches every spec through the
 * wrapper. Throws a plain `Error` naming the spec that escaped.
 */
export async function installWrappedKernelSpecs(url: string, token: string, specsDir: string, plan: KernelLaunchPlan): Promise<string[]> {
  const original = await listKernelSpecs(url, token);
  const names = Object.keys(original.kernelspecs ?? {});
  for (const name of names) {
    const spec = original.kernelspecs?.[name]?.spec;
    if (!spec || !Array.isArray(spec.argv) || !spec.argv.every((part) => typeof part === 'string')) {
      throw new Error(`kernelspec "${name}" has no argv list`);
    }
    const metadata = typeof spec.metadata === 'object' && spec.metadata !== null ? spec.metadata : {};
    const wrapped = {
      ...spec,
      argv: wrapKernelArgv(spec.argv as string[], plan),
      metadata: { ...metadata, [ISOLATION_METADATA_KEY]: plan.mode },
    };
    const folder = join(specsDir, 'kernels', name);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'kernel.json'), `${JSON.stringify(wrapped, null, 2)}\n`);
  }
  const after = await listKernelSpecs(url, token);
  for (const name of names) {
    const metadata = after.kernelspecs?.[name]?.spec?.metadata as Record<string, unknown> | undefined;
    if (metadata?.[ISOLATION_METADATA_KEY] !== plan.mode) {
      throw new Error(`the server still launches kernelspec "${name}" without the wrapper (is JUPYTER_PATH overridden in its config?)`);
    }
  }
  return names;
}

/** The isolation a server will use: what to report, how to launch kernels, and what to warn about. */
export type IsolationChoice = {
  readonly report: KernelIsolationReport;
  readonly plan: (stateDir: string) => KernelLaunchPlan;
  /** Warn when the server starts (isolation fell back to `none` by default). */
  readonly warning: string | undefined;
};

/**
 * Pick the isolation for a server: `wanted` if the machine allows it (else a `SandboxError` naming
 * why and the fix), or by default the strongest available, falling back to `none` with a warning.
 */
export function chooseIsolation(wanted: KernelIsolation | undefined, support: NamespaceSupport): IsolationChoice {
  if (wanted !== undefined && wanted !== 'namespace' && wanted !== 'none') {
    throw new InvalidArgumentError(`isolation must be "namespace" or "none", got ${JSON.stringify(wanted)}.`, { argument: 'isolation' });
  }
  if (wanted !== 'none' && support.available) {
    const { tools, userNamespace } = support;
    return {
      report: {
        mode: 'namespace',
        detail: `each kernel runs in its own PID and mount namespace${userNamespace ? ' (inside a user namespace)' : ''} with its own /proc, no capabilities, no_new_privs, and the server's state folder hidden`,
      },
      plan: (stateDir) => ({ mode: 'namespace', tools, userNamespace, stateDir }),
      warning: undefined,
    };
  }
  const setpriv = support.available ? support.tools.setpriv : support.setpriv;
  const plan = (): KernelLaunchPlan => ({ mode: 'none', setpriv });
  if (wanted === 'none') {
    return {
      report: {
        mode: 'none',
        detail: "turned off (isolation: 'none'): kernel code runs as this user and can read this process's environment through /proc",
      },
      plan,
      warning: undefined,
    };
  }
  const reason = support.available ? 'unknown' : support.reason;
  if (wanted === 'namespace') {
    throw new SandboxError(
      `Kernel isolation "namespace" is not possible on this machine: ${reason}. Fix that, or pass isolation: 'none' to run kernels unisolated on purpose.`,
      { kind: 'server' },
    );
  }
  const detail = `not available (${reason}): kernel code runs as this user and can read this process's environment, API keys included, through /proc`;
  return {
    report: { mode: 'none', detail },
    plan,
    warning: `Jupyter kernels started by LLLM are NOT isolated: ${detail}. Pass isolation: 'none' to accept this and silence the warning.`,
  };
}
