import { ProviderError } from '../errors.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../invoker.js';
import { keepRequestDeadline } from '../request-deadline.js';
import { budgetKey, type ProviderBudget, providerBudget } from './provider-budget.js';

const BUDGETED = Symbol.for('lllm.budgeted-invoker');

/** Options of `budgetedInvoker`. */
export interface BudgetedInvokerOptions {
  /** The shared budget (default: the process-wide `providerBudget()`). */
  readonly budget?: ProviderBudget;
  /** The budget key of a request (default `provider:model`, the provider from the model card, else the invoker's name). */
  readonly key?: (request: InvokeRequest) => string;
  /** Called with each reply, e.g. to count spend as it happens. */
  readonly onResult?: (result: InvokeResult, request: InvokeRequest) => void;
}

/**
 * Wrap an invoker so every request first acquires from the shared provider budget, settles its real
 * token usage afterwards, and reports a 429 to the budget so every caller of the same
 * `provider:model` pauses for the `retry-after` (the agent's own rate-limit policy still applies to
 * the request that got it). Wrapping an invoker that is already budgeted by the same budget returns it.
 */
export function budgetedInvoker(invoker: Invoker, options: BudgetedInvokerOptions = {}): Invoker {
  const budget = options.budget ?? providerBudget();
  const existing = (invoker as { [BUDGETED]?: ProviderBudget })[BUDGETED];
  if (existing === budget && !options.onResult) return invoker;
  // One lookup per model, not per request: model-card resolution is on the hot path of every request.
  const keys = new Map<string, string>();
  const keyOf =
    options.key ??
    ((request: InvokeRequest) => {
      let key = keys.get(request.model);
      if (key === undefined) {
        key = budgetKey(request.model, invoker.name);
        keys.set(request.model, key);
      }
      return key;
    });
  const wrapped: Invoker & { [BUDGETED]: ProviderBudget } = {
    name: invoker.name,
    [BUDGETED]: budget,
    async invoke(request, signal) {
      const key = keyOf(request);
      const estimate = estimateTokens(request);
      // The wait below must not cost the inner invoker its view of the agent's deadline.
      const withDeadline = keepRequestDeadline(signal);
      await budget.acquire(key, estimate, signal);
      try {
        const result = await withDeadline(() => invoker.invoke(request, signal));
        const usage = result.usage;
        budget.settle(key, estimate, usage ? usage.inputTokens + (usage.cachedInputTokens ?? 0) + usage.outputTokens : estimate);
        options.onResult?.(result, request);
        return result;
      } catch (error) {
        if (ProviderError.isInstance(error) && error.kind === 'rate_limit') budget.rateLimited(key, error.retryAfterMs);
        throw error;
      }
    },
  };
  return wrapped;
}

/**
 * A rough token count of a request before it is sent (about four characters per token, plus the
 * completion limit when one is set): providers count `max_tokens` against the minute's budget too.
 */
export function estimateTokens(request: InvokeRequest): number {
  let characters = 0;
  for (const message of request.messages) characters += message.content.length + 8;
  const args = request.modelArgs;
  const completion = Number(args.max_completion_tokens ?? args.max_tokens ?? args.max_output_tokens ?? 0);
  return Math.ceil(characters / 4) + (Number.isFinite(completion) ? completion : 0);
}

/**
 * A `fetch` that reports every provider response's rate-limit headers (`x-ratelimit-*`,
 * `anthropic-ratelimit-*`, `retry-after` on 429) to the shared budget, under the key of the
 * request body's `model`. Hand it to a provider: `createOpenAI({ fetch: rateLimitFetch('openai', { fetch: sharedFetch() }) })`
 * (`sharedFetch` from `@lllm/http`, the providers' default transport; without `fetch` it wraps the global one).
 */
export function rateLimitFetch(
  provider: string,
  options: { readonly budget?: ProviderBudget; readonly fetch?: typeof fetch } = {},
): typeof fetch {
  const inner = options.fetch ?? globalThis.fetch;
  const wrapped: typeof fetch = async (input, init) => {
    const response = await inner(input, init);
    const model = modelOf(init?.body);
    if (model !== undefined) (options.budget ?? providerBudget()).observe(budgetKey(model, provider), response.headers, response.status);
    return response;
  };
  // The init goes on unchanged: when the inner fetch reads @lllm/http's linked signal, so does this one
  // (the provider then hands the caller's signal to the fetch alone, not to the SDK).
  if ((inner as { [LINKED_SIGNAL]?: unknown })[LINKED_SIGNAL] === true) Object.defineProperty(wrapped, LINKED_SIGNAL, { value: true });
  return wrapped;
}

/** `@lllm/http`'s `LINKED_SIGNAL` (a registered symbol: core does not depend on that package). */
const LINKED_SIGNAL = Symbol.for('lllm.http.linkedSignal');

function modelOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const match = /"model"\s*:\s*"([^"]{1,200})"/.exec(body.slice(0, 4096)) ?? /"model"\s*:\s*"([^"]{1,200})"/.exec(body);
  return match?.[1];
}
