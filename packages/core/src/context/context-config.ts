// A context manager from an agent config's `context_manager` section and the model card.
import { ConfigError } from '../errors.js';
import type { Invoker } from '../invoker.js';
import { Message } from '../message.js';
import { findModelCard } from '../model-card.js';
import { ContextManager, type ContextStrategy, type ContextSummarizer } from './context-manager.js';

/** The `context_manager` section of an agent config. */
export interface ContextManagerConfig {
  readonly strategy?: ContextStrategy | undefined;
  /** Overrides the model card's window (and is required for a model without a card). */
  readonly context_window?: number | undefined;
  readonly reserve_output_tokens?: number | undefined;
  readonly keep_last_turns?: number | undefined;
}

const NEVER_ABORTED = new AbortController().signal;

/** A summarizer that asks `model` through `invoker` to summarise the dropped span in a few sentences. */
export function invokerSummarizer(invoker: Invoker, model: string): ContextSummarizer {
  return async (span, signal) => {
    const transcript = span
      .map((message) => `[${message.role} · ${message.creator}] ${message.modality === 'image' ? '(image)' : message.content}`)
      .join('\n\n');
    const reply = await invoker.invoke(
      {
        model,
        messages: [
          new Message({
            role: 'system',
            creator: 'context',
            content:
              'Summarise this earlier part of a conversation in at most ten sentences. Keep every fact, decision, number and open question a later turn could need; leave out pleasantries.',
          }),
          new Message({ role: 'user', creator: 'context', content: transcript }),
        ],
        tools: [],
        modelArgs: {},
        promptPath: '_context/summarize',
      },
      signal ?? NEVER_ABORTED,
    );
    return reply.content.trim();
  };
}

/**
 * The context manager an agent config asks for, or undefined when it asks for none. The window comes
 * from `context_window` or the model card; neither is an error naming the agent and the fix.
 */
export function contextManagerFor(
  agentName: string,
  model: string,
  config: ContextManagerConfig | undefined,
  invoker: Invoker,
  file?: string,
): ContextManager | undefined {
  if (!config) return undefined;
  const contextWindow = config.context_window ?? findModelCard(model)?.contextWindow;
  if (contextWindow === undefined) {
    throw new ConfigError(
      `agent_configs.${agentName}.context_manager: model "${model}" has no model card with a context window; set context_manager.context_window (tokens) or register a model card.`,
      { file, problems: [`agent_configs.${agentName}.context_manager.context_window: missing`] },
    );
  }
  const strategy = config.strategy ?? 'drop_oldest';
  return new ContextManager({
    contextWindow,
    strategy,
    ...(config.reserve_output_tokens === undefined ? {} : { reserveOutputTokens: config.reserve_output_tokens }),
    ...(config.keep_last_turns === undefined ? {} : { keepLastTurns: config.keep_last_turns }),
    ...(strategy === 'summarize' ? { summarize: invokerSummarizer(invoker, model) } : {}),
  });
}
