export type { AnthropicBatchOptions } from './batch-submitter.js';
export { anthropicBatchSubmitter } from './batch-submitter.js';
export type { MessagesInvokerOptions } from './messages-invoker.js';
export {
  createMessagesInvoker,
  fromAnthropicMessage,
  NON_STREAMING_MAX_TOKENS,
  STRUCTURED_OUTPUT_TOOL,
  toAnthropicError,
  toAnthropicMessages,
  toAnthropicRequest,
  toAnthropicUsage,
} from './messages-invoker.js';
export { ANTHROPIC_MODEL_CARDS, registerAnthropicModelCards } from './model-cards.js';
export type { AnthropicProvider, AnthropicProviderOptions } from './provider.js';
export { anthropic, createAnthropic } from './provider.js';
