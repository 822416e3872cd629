export type { ActionRecord } from './computer/action-runner.js';
export type { ComputerAction, MouseButton, Point } from './computer/actions.js';
export { COMPUTER_ACTION_TYPES, describeAction, parseComputerAction } from './computer/actions.js';
export type { ComputerUseAgentOptions, ComputerUseResult } from './computer/agent.js';
export { ComputerUseAgent } from './computer/agent.js';
export type { ActionResult, BlockedRequest, BrowserComputerOptions, Computer, ControlSignal, Screenshot } from './computer/browser.js';
export { BrowserComputer, DEFAULT_CONTROL_KEYS } from './computer/browser.js';
export type { ComputerUseStatus } from './computer/checkpoint.js';
export { CHROMIUM_FLAGS, defaultChromiumPath } from './computer/chromium-flags.js';
export type { KeyCombo } from './computer/keys.js';
export { normaliseKeyCombo } from './computer/keys.js';
export type { ComputerUseStepCost } from './computer/responses-reply.js';
export type { ComputerUseAttempt, ResponsesClient } from './computer/responses-request.js';
export type { PendingSafetyCheck, SafetyCheckContext, SafetyCheckDecision } from './computer/safety-checks.js';
export type { ComputerUseLog } from './computer/session-log.js';
export type { SandboxErrorKind } from './errors.js';
export { SandboxError } from './errors.js';
export type { ApiInterpreter, ApiInterpreterHost, ApiInterpreterOptions } from './interpreter/api-interpreter.js';
export { createApiInterpreter } from './interpreter/api-interpreter.js';
export type { AgentProxyConfig, ApiInterpreterRegistration } from './interpreter/register.js';
export { apiInterpreterTooling, registerApiInterpreter } from './interpreter/register.js';
export type { SandboxBridge, SandboxBridgeSession } from './jupyter/bridge-link.js';
export type { CellRunResult, CellRunStatus, RunAllOptions, RunAllResult, RunOptions } from './jupyter/cell-execution.js';
export type { InitCellConfig } from './jupyter/init-cell.js';
export { BRIDGE_TOKEN_ENV, pythonJsonLiteral, renderInitCell } from './jupyter/init-cell.js';
export type { KernelIsolation, KernelIsolationReport } from './jupyter/isolation.js';
export type {
  CellOutput,
  CodeCell,
  DisplayDataOutput,
  ErrorOutput,
  ExecuteResultOutput,
  MarkdownCell,
  MimeBundle,
  NotebookCell,
  NotebookDocument,
  RawCell,
  StreamOutput,
} from './jupyter/notebook.js';
export { parseNotebook, readNotebookFile, serializeNotebook } from './jupyter/notebook.js';
export { formatOutputs } from './jupyter/outputs.js';
export type { CreateSessionOptions, JupyterSandboxOptions, SandboxServer, SessionInfo } from './jupyter/sandbox.js';
export { JupyterSandbox } from './jupyter/sandbox.js';
export type { JupyterConnectOptions, JupyterServer, JupyterServerOptions } from './jupyter/server.js';
export { connectJupyterServer, defaultJupyterCommand, makeServerSettings, startJupyterServer } from './jupyter/server.js';
export type { CellType, SessionSettings } from './jupyter/session.js';
export { JupyterSession } from './jupyter/session.js';
export type { SessionMetadataJSON } from './jupyter/session-metadata.js';
export { SessionMetadata } from './jupyter/session-metadata.js';
export type { NotebookToolsOptions } from './jupyter/tools.js';
export { createNotebookTools } from './jupyter/tools.js';
export type { DirectoryTreeOptions } from './jupyter/tree.js';
export { directoryTree } from './jupyter/tree.js';
