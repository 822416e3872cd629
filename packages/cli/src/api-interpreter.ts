// The API interpreter for `proxy:` agent configs: @lllm/sandbox's interpreter on a proxy runtime from
// @lllm/proxy and its HTTP bridge. The sandbox package loads only when an agent asks for it.
import { type AgentToolingContext, loadPackageReferences, registerAgentTooling } from '@lllm/core';
import { ProxyRuntime, serveProxy } from '@lllm/proxy';
import type { AgentProxyConfig, ApiInterpreterHost } from '@lllm/sandbox';

/** The proxy side of one agent's interpreter: its own runtime (its proxies, cutoff, deploy mode) and bridge. */
export function proxyInterpreterHost(runtime: ProxyRuntime): ApiInterpreterHost {
  let bridge: ReturnType<typeof serveProxy> | undefined;
  return {
    proxies: runtime.activated(),
    apiDirectory: () => runtime.apiDirectory(),
    proxyNames: () => runtime.activated(),
    apiDocs: (path) => runtime.retrieveApiDocs([path]),
    bridge: () => {
      bridge ??= serveProxy(runtime);
      return bridge;
    },
    async close() {
      const started = bridge;
      bridge = undefined;
      if (started) await (await started).close();
    },
  };
}

/** Serve `proxy:` agent configs (called by `prepareRuntime`). */
export function registerCliApiInterpreter(env: NodeJS.ProcessEnv = process.env): void {
  registerAgentTooling('proxy', async (context: AgentToolingContext) => {
    // @jupyterlab/services announces kernel connections with console.debug, which Node writes to
    // stdout: the CLI's stdout is the result alone (`run --json`), so they go to stderr, and only
    // with LLLM_DEBUG set.
    console.debug = (...args: unknown[]) => {
      if (env.LLLM_DEBUG) console.error(...args);
    };
    // `activate_proxies: [kit:fred]`: the dependency's modules load now (buildAgent has usually done it).
    await loadPackageReferences(context.agent.proxy?.activate_proxies ?? []);
    const { apiInterpreterTooling } = await import('@lllm/sandbox');
    // An agent that sets no cutoff or deploy mode of its own follows the system's runtime, so
    // `services.proxy.deploy()` / `develop()` / `setCutoffDate()` during a run reach its interpreter too.
    const system = context.services.proxy instanceof ProxyRuntime ? context.services.proxy : undefined;
    return apiInterpreterTooling(context, {
      host: (_context, proxy: AgentProxyConfig) =>
        proxyInterpreterHost(
          new ProxyRuntime({
            activate: proxy.activate_proxies.length > 0 ? proxy.activate_proxies : undefined,
            ...(system && proxy.cutoff_date === undefined && !proxy.deploy_mode
              ? { modeFrom: system }
              : {
                  cutoffDate: proxy.deploy_mode ? null : (proxy.cutoff_date ?? context.config.cutoff_date ?? null),
                  deployMode: proxy.deploy_mode,
                }),
            env,
          }),
        ),
    });
  });
}
