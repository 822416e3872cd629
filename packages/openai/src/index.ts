export type { ChatInvokerOptions, ClientResolver } from './chat-invoker.js';
export { createChatInvoker, fromChatCompletion, toChatMessages, toChatRequest, toChatUsage } from './chat-invoker.js';
export { toProviderError } from './errors.js';
export { OPENAI_MODEL_CARDS, registerOpenAIModelCards, TOGETHER_MODEL_CARDS } from './model-cards.js';
export type { OpenAIProvider, OpenAIProviderOptions } from './provider.js';
export { createOpenAI, openai } from './provider.js';
export type { ResponsesInvokerOptions } from './responses-invoker.js';
export { createResponsesInvoker, fromResponse, toResponsesInput, toResponsesRequest, toResponsesUsage } from './responses-invoker.js';
