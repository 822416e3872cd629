export type { BatchApiOptions, BatchApis, StoredFile } from './batches.js';
export { serveBatchApis } from './batches.js';
export type { AnthropicBlock, AnthropicMessageSpec, AnthropicUsage } from './bodies/anthropic.js';
export {
  anthropicMessage,
  anthropicReply,
  anthropicStream,
  anthropicStreamEvents,
  textBlock,
  thinkingBlock,
  toolUseBlock,
} from './bodies/anthropic.js';
export type { AnthropicErrorSpec, OpenAIErrorSpec } from './bodies/errors.js';
export { anthropicError, anthropicRateLimitHeaders, openaiError } from './bodies/errors.js';
export type { ChatCompletionSpec, ChatTokenLogprob, ChatToolCallSpec, ChatUsage } from './bodies/openai-chat.js';
export { chatCompletion, chatCompletionChunks, chatStream, chatTokenLogprobs, splitEvenly, splitWords } from './bodies/openai-chat.js';
export type { ResponseItem, ResponseSpec, ResponseTokenLogprob, ResponseUsage } from './bodies/openai-responses.js';
export {
  functionCall,
  mcpApprovalRequest,
  mcpCall,
  mcpListTools,
  outputMessage,
  reasoningItem,
  responseBody,
  responseReply,
  responseStream,
  responseStreamEvents,
  responseTokenLogprobs,
  responseUsage,
} from './bodies/openai-responses.js';
export type { ChunkFormat, RecordedPayloads } from './fixtures.js';
export {
  conformanceLine,
  fixtureResponse,
  fixturesDir,
  listFixtures,
  readFixture,
  readJsonFixture,
  recordedPayloads,
  recordedStatus,
} from './fixtures.js';
export type { CapturedRequest, ResponseStep, ScriptedResponse, SseEvent, WireServer } from './wire-server.js';
export { startWireServer } from './wire-server.js';
