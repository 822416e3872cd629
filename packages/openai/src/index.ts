export type { OpenAIBatchOptions } from './batch-submitter.js';
export { openaiBatchSubmitter } from './batch-submitter.js';
export type { ChatInvokerOptions, ClientResolver } from './chat-invoker.js';
export { createChatInvoker, fromChatCompletion, toChatMessages, toChatRequest, toChatUsage } from './chat-invoker.js';
export type { Classification, ClassifyOptions, TokenEncoding } from './classify.js';
export { binaryClassify, classify, classTokens, encodingForModel } from './classify.js';
export { toProviderError } from './errors.js';
export {
  OPENAI_MODEL_CARDS,
  registerOpenAIModelCards,
  TOGETHER_MODEL_CARDS,
  UPSTREAM_TOGETHER_MODEL_CARDS,
} from './model-cards.js';
export type { OpenAIEndpointOptions, OpenAIProvider, OpenAIProviderOptions } from './provider.js';
export { createOpenAI, openai } from './provider.js';
export type {
  McpApprovalDecision,
  McpApprovalPolicy,
  McpApprovalRequest,
  McpCallSummary,
  ResponsesInvokerOptions,
} from './responses-invoker.js';
export { createResponsesInvoker, fromResponse, toResponsesInput, toResponsesRequest, toResponsesUsage } from './responses-invoker.js';
