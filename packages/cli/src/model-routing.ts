// Where each agent's model goes: a model card with its own endpoint (Together's open models) is sent
// under the card's API id with the card's key variable; a model with no card is a warning naming the
// closest known names, never a silent route to the OpenAI endpoint.

import { registerAnthropicModelCards } from '@lllm/anthropic';
import { type AgentConfig, findModelCard, getModelCard, NotFoundError } from '@lllm/core';
import { registerOpenAIModelCards } from '@lllm/openai';

/** The OpenAI key variables, in the order they are read: ours, then the Python LLLM's. */
export const OPENAI_KEY_VARIABLES = ['OPENAI_API_KEY', 'MY_OPENAI_KEY'] as const;

/** The OpenAI key from the environment: `OPENAI_API_KEY`, else upstream's `MY_OPENAI_KEY`. */
export function openaiKey(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of OPENAI_KEY_VARIABLES) if (env[name]) return env[name];
  return undefined;
}

/** How one agent's model is reached. */
export interface ModelRoute {
  /** The model name to send (a card's API id when the config used an alias such as upstream's short names). */
  readonly model: string;
  /** The card's own endpoint and key variable, when it has one (Together). */
  readonly endpoint?: { readonly baseURL: string; readonly keyEnv: string | undefined };
  /** Whether that endpoint's key variable is set. */
  readonly endpointReady?: boolean;
  /** A line to print when the model name sent differs from the config's. */
  readonly notice?: string;
  /** A line to print when the model has no card. */
  readonly warning?: string;
}

/** Route `agent`'s model (after `--model` / provider changes: `model`, `apiType`). */
export function routeModel(
  name: string,
  agent: Pick<AgentConfig, 'base_url'>,
  model: string,
  apiType: string,
  env: NodeJS.ProcessEnv,
): ModelRoute {
  registerOpenAIModelCards();
  registerAnthropicModelCards();
  // A config's own base_url (or OPENAI_BASE_URL, a local server) serves whatever names it knows.
  if (agent.base_url || (apiType !== 'anthropic' && env.OPENAI_BASE_URL)) return { model };
  const card = findModelCard(model);
  if (!card) {
    let suggestions: readonly string[] = [];
    try {
      getModelCard(model);
    } catch (error) {
      if (error instanceof NotFoundError) suggestions = error.suggestions;
    }
    const where = apiType === 'anthropic' ? 'the Anthropic API' : 'the OpenAI endpoint';
    return {
      model,
      warning: `"${name}" names model "${model}", which has no model card${
        suggestions.length ? ` (closest known: ${suggestions.map((s) => `"${s}"`).join(', ')})` : ''
      }: it is sent to ${where} as written and its cost is unknown. Fix model_name, or register a card with registerModelCard().`,
    };
  }
  if (card.baseURL === undefined || apiType === 'anthropic') return { model };
  const endpoint = { baseURL: card.baseURL, keyEnv: card.apiKeyEnv };
  const endpointReady = card.apiKeyEnv === undefined || Boolean(env[card.apiKeyEnv]);
  const renamed = card.name === model ? '' : ` as "${card.name}"`;
  const key = card.apiKeyEnv ? (endpointReady ? ` (key from ${card.apiKeyEnv})` : `, which needs ${card.apiKeyEnv} (not set)`) : '';
  if (!renamed && endpointReady) return { model, endpoint, endpointReady };
  return { model: card.name, endpoint, endpointReady, notice: `"${name}" sends model "${model}"${renamed} to ${card.baseURL}${key}.` };
}

/** Whether `model` has a card with its own endpoint whose key variable is set (Together with TOGETHER_API_KEY). */
export function cardEndpointReady(model: string, apiType: string, env: NodeJS.ProcessEnv): boolean {
  if (apiType === 'anthropic' || env.OPENAI_BASE_URL) return false;
  registerOpenAIModelCards();
  const card = findModelCard(model);
  return card?.baseURL !== undefined && card.apiKeyEnv !== undefined && Boolean(env[card.apiKeyEnv]);
}
