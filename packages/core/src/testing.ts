// @lllm/core/testing: helpers for tests and demos that run without a provider. Kept off the root
// export so the public API holds the library's concepts only (as `ai/test` does).
export type { ScriptedInvoker, ScriptedReply, ScriptedToolCall, ScriptStep } from './scripted-invoker.js';
export { createScriptedInvoker, scriptedHttpError } from './scripted-invoker.js';
