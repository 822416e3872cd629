export type { AgentCallOptions, AgentCallResult, AgentOptions, RateLimitBudget } from './agent.js';
export { Agent } from './agent.js';
export type { AgentCallErrorRecord, LoggedCallErrorKind } from './attempt-log.js';
export { AGENT_CALL_ERROR_EVENT } from './attempt-log.js';
export type { BudgetedInvokerOptions } from './batch/budgeted-invoker.js';
export { budgetedInvoker, estimateTokens, rateLimitFetch } from './batch/budgeted-invoker.js';
export type { BatchOutcomeStore, StoredOutcome } from './batch/outcome-store.js';
export { BATCH_OUTCOME_EVENT, batchSession, inputHash, LogBatchOutcomeStore } from './batch/outcome-store.js';
export type { BatchingInvokerOptions, BatchSubmitter } from './batch/provider-batch.js';
export { createBatchingInvoker, firstRequestThrough } from './batch/provider-batch.js';
export type { BudgetState, HeaderSource, ProviderBudget, RateLimits } from './batch/provider-budget.js';
export { budgetKey, LocalProviderBudget, providerBudget, setProviderBudget } from './batch/provider-budget.js';
export type {
  BatchOptions,
  BatchOutcome,
  BatchProgress,
  BatchReport,
  BatchWorker,
  BatchWorkResult,
  ProviderBatchSetting,
  RunBatchOptions,
} from './batch/run-batch.js';
export { BatchItemError, runBatch, SpendCapError, StoredOutcomeError, streamBatch } from './batch/run-batch.js';
export type {
  AgentConfig,
  AgentSystem,
  AgentSystemContext,
  AgentSystemRun,
  AgentTooling,
  AgentToolingContext,
  AgentToolingFactory,
  AgentTypeDefinition,
  ApiType,
  BuildAgentOptions,
  ConfigMap,
  ConfigNote,
  ConfigOrigins,
  DependencyEntry,
  DependencySource,
  DiscoveredSection,
  DiscoverOptions,
  DiscoveryReport,
  FindLllmTomlOptions,
  InvokerFactory,
  LllmPackage,
  LllmToml,
  LllmTomlSection,
  LoadSystemConfigOptions,
  ModuleImporter,
  PackageConfigResolver,
  PackageGraph,
  ResolveConfigOptions,
  ResolvedConfig,
  SectionMount,
  SystemConfig,
  SystemPromptSources,
} from './config/index.js';
export {
  API_TYPES,
  agentSystemPrompt,
  agentTooling,
  autoDiscoverDisabled,
  buildAgent,
  defineAgent,
  dependencyFolder,
  discover,
  findLllmToml,
  findPackage,
  getAgentType,
  implicitLllmToml,
  isPackageLoaded,
  LLLM_TOML,
  LLLM_TOML_NAMES,
  LLLM_TOML_SUBFOLDERS,
  listAgentTypes,
  loadPackage,
  loadPackageReferences,
  loadReferencedPackages,
  loadSystemConfig,
  loadSystemPackages,
  modelArguments,
  moduleFiles,
  newSessionName,
  originOf,
  packageConfigFile,
  packageGraph,
  packageIdentity,
  packageResourceName,
  packageResources,
  packagesCache,
  parseDependency,
  parseMount,
  readDependencies,
  readLllmToml,
  referencedPackage,
  registerAgentDiscovery,
  registerAgentTooling,
  registerInvokerFactory,
  registerPackageResourceKind,
  resolveConfigFile,
  resolveConfigReference,
  resolvePackageGraph,
  resolveSystemConfigPath,
  skillRoots,
  withPromptAddendum,
} from './config/index.js';
export type { ContextManagerConfig } from './context/context-config.js';
export { contextManagerFor, invokerSummarizer } from './context/context-config.js';
export type { ContextFit, ContextManagerOptions, ContextStrategy, ContextSummarizer, ContextTrim } from './context/context-manager.js';
export { CONTEXT_STRATEGIES, ContextManager, ContextOverflowError } from './context/context-manager.js';
export { estimateMessageTokens, estimateTextTokens, promptTokensOf } from './context/token-estimate.js';
export type { DialogBranch, DialogJSON, DialogOptions, ForkOptions, PromptLookup, SendMessageOptions } from './dialog.js';
export { Dialog } from './dialog.js';
export type { DiscoveredModuleInfo, DiscoverySectionHandler } from './discovery-sections.js';
export { getDiscoverySection, listDiscoverySections, registerDiscoverySection } from './discovery-sections.js';
export type { AgentCallErrorKind, ProviderErrorKind } from './errors.js';
export {
  AbortError,
  AgentCallError,
  ConfigError,
  InvalidArgumentError,
  LllmError,
  NotFoundError,
  ParseError,
  ProviderError,
  TemplateError,
  throwIfAborted,
  toAbortError,
} from './errors.js';
export type { ImageMediaType } from './image.js';
export { detectImageType } from './image.js';
export type { FinishReason, InvokeEvent, InvokeRequest, InvokeResult, Invoker, RawToolCall } from './invoker.js';
export type {
  LogBackendDefinition,
  LogOptionsIssue,
  LogOptionsSchema,
} from './log-backends/custom-log-backend.js';
export {
  checkLogOptions,
  defineLogBackend,
  isLogBackendDefinition,
  registerCustomLogBackend,
  registerLogBackendDiscovery,
} from './log-backends/custom-log-backend.js';
export type {
  JsonObject,
  LogCollection,
  LogEntry,
  LogSession,
  LogSessionInfo,
  LogStore,
  LogStoreConfig,
  LogStoreFactory,
  ReadQuery,
  SessionQuery,
} from './log-store.js';
export {
  createLogStore,
  filterSessions,
  LOG_COLLECTIONS,
  listLogBackends,
  MemoryLogStore,
  NoopLogStore,
  nextLogSequence,
  registerLogBackend,
} from './log-store.js';
export type {
  FailedAttempt,
  FailedAttemptJSON,
  FunctionCallJSON,
  MessageInit,
  MessageJSON,
  Modality,
  ProviderAttemptDetail,
  Role,
  TokenLogprob,
  Usage,
} from './message.js';
export { FunctionCall, Message, ROLES } from './message.js';
export type { Cost, ModelArgumentRules, ModelCard, ModelFeatures, ModelPricing } from './model-card.js';
export {
  assertModelArguments,
  checkModelArguments,
  costOf,
  DEFAULT_BATCH_DISCOUNT,
  findModelCard,
  getModelCard,
  listModelCards,
  priceUsage,
  registerModelCard,
  registerModelCards,
  sumCosts,
  usageProblems,
  ZERO_COST,
} from './model-card.js';
export { IncompatibleCoreError, loadedCoreCopies, processRegistry } from './process-registry.js';
export type {
  ComputerUseConfig,
  HostedMcpServer,
  HostedTools,
  JsonSchema,
  OutputFormat,
  ParsedReply,
  PromptLike,
  ToolContext,
  ToolLike,
  ValidationResult,
} from './prompt-like.js';
export { isSecretKey, knownSecrets, REDACTED, redactJson, redactSecrets, redactString, registerSecret } from './redact.js';
export type { DeadlineReason, RequestLimits } from './request-deadline.js';
export { RequestDeadline } from './request-deadline.js';
export { activateSkillTool, skillCatalog } from './skills/activate-skill.js';
export type { Skill } from './skills/skill.js';
export { listSkills, loadSkills, readSkill, registerSkill, resolveSkills, skillFolders } from './skills/skill.js';
export type {
  ConsoleStreamOptions,
  ProgressHandle,
  SpinnerHandle,
  Stream,
  StreamEvent,
  StreamOutput,
} from './stream.js';
export { ConsoleStream, createSilentStream } from './stream.js';
export type { SubTactic, TacticContext, TacticDefinition } from './tactic/definition.js';
export { getTactic, hasTactic, isTacticDefinition, listTactics } from './tactic/definition.js';
export type { AgentCallTotals, TacticSessionSummary, TokenTotals } from './tactic/session.js';
export { TACTIC_SESSION_EVENT, TacticSession } from './tactic/session.js';
export type { BuildTacticOptions, QuickTacticOptions, TacticCallOptions, TacticParts, TacticRun } from './tactic/tactic.js';
export { buildTactic, defineTactic, registerTacticDiscovery, Tactic, TacticCallError, tacticAgentType } from './tactic/tactic.js';
export { TacticAgent } from './tactic/tactic-agent.js';
export { DEFAULT_EXCEPTION_PROMPT, DEFAULT_FINAL_PROMPT, DEFAULT_INTERRUPT_PROMPT } from './text-prompt.js';
