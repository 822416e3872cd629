/** A JSON Schema object (draft 2020-12 / OpenAPI subset as providers accept it). */
export type JsonSchema = Record<string, unknown>;

/** What a running tool gets besides its arguments. */
export interface ToolContext {
  /** Fires when the agent call is aborted; long-running tools should stop. */
  readonly signal: AbortSignal;
  /** The id the model gave this call. */
  readonly callId: string;
  /** The name of the agent running the tool. */
  readonly agentName: string;
}

/** The outcome of validating tool arguments. */
export type ValidationResult = { readonly success: true; readonly data: unknown } | { readonly success: false; readonly error: string };

/**
 * A function the model may call. `@lllm/prompts`' `tool()` implements it; so can anything else
 * (an MCP server's tools, a proxy's endpoints).
 */
export interface ToolLike {
  /** The name the model calls it by (`^[a-zA-Z0-9_-]{1,64}$`). */
  readonly name: string;
  /** What it does, for the model. */
  readonly description: string;
  /** JSON schema of the arguments object. */
  readonly parameters: JsonSchema;
  /** Ask providers for strict schema adherence. */
  readonly strict?: boolean;
  /** Whether an implementation is linked; calling an unlinked tool fails the agent call. */
  readonly linked: boolean;
  /** Check (and coerce) arguments before running; a failure is fed back to the model as a bad call. */
  validate?(args: unknown): ValidationResult;
  /** Run the tool. Whatever it throws is fed back to the model as an error result. */
  execute(args: Record<string, unknown>, context: ToolContext): Promise<unknown> | unknown;
  /** Turn the result into the text the model sees; defaults to strings as-is and JSON for the rest. */
  formatResult?(result: unknown): string;
}

/** A structured-output format: the schema sent to the provider and the validator of the reply. */
export interface OutputFormat {
  /** A name for the schema (`^[a-zA-Z0-9_-]+$`), required by some APIs. */
  readonly name: string;
  readonly description?: string;
  readonly schema: JsonSchema;
  /** Ask for strict schema adherence (OpenAI `strict: true`). */
  readonly strict: boolean;
  /** Validate a decoded JSON value. */
  validate(value: unknown): ValidationResult;
}

/** A remote MCP server the provider calls on the model's behalf (OpenAI Responses hosted MCP). */
export interface HostedMcpServer {
  readonly label: string;
  readonly url: string;
  readonly requireApproval?: 'always' | 'never' | { readonly never?: { readonly toolNames: readonly string[] } };
  readonly allowedTools?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly description?: string;
}

/** Settings for hosted computer use. */
export interface ComputerUseConfig {
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly environment: 'browser' | 'mac' | 'windows' | 'linux' | 'ubuntu';
}

/** Provider-hosted tools a prompt turns on. */
export interface HostedTools {
  readonly mcpServers: readonly HostedMcpServer[];
  readonly webSearch: boolean;
  readonly computerUse?: ComputerUseConfig;
}

/**
 * What the default tag parser extracts from a reply (`@lllm/prompts`' `defaultParse`), and what a
 * plain-text message's temporary prompt parses a reply into (every record empty).
 */
export interface ParsedReply {
  /** The reply text as received. */
  readonly raw: string;
  /** Every `<tag>…</tag>` body, per listed tag, in order, verbatim. */
  readonly xmlTags: Readonly<Record<string, readonly string[]>>;
  /** Every fenced block opened with exactly ```` ```tag ````, per listed tag, in order, stripped. */
  readonly mdTags: Readonly<Record<string, readonly string[]>>;
  /** Whether `<TAG>` appears, per signal tag. */
  readonly signalTags: Readonly<Record<string, boolean>>;
}

/**
 * What the agent-call state machine needs from a prompt. `@lllm/prompts` implements it; core
 * never imports that package. `TParsed` is what `parse` returns: an agent call on a dialog topped
 * by this prompt resolves with `parsed` of that type.
 */
export interface PromptLike<TParsed = unknown> {
  /** Registry path, e.g. `research/task_query`. */
  readonly path: string;
  /** Render the template; missing arguments throw a `TemplateError` naming them. */
  render(args?: Readonly<Record<string, unknown>>): string;
  /** Parse a reply; throws (normally a `ParseError`) when the reply is not acceptable. */
  parse(content: string, args?: Readonly<Record<string, unknown>>): TParsed;
  /** The prompt sent after a failed parse; renders `{error_message}`. */
  readonly exceptionHandler: PromptLike<TParsed>;
  /** The prompt carrying a tool result back; renders `{call_results}`. */
  readonly interruptHandler: PromptLike<TParsed>;
  /** The prompt sent when the tool budget is spent: "answer now", with no tools. */
  readonly finalHandler: PromptLike<TParsed>;
  /** Tools the model may call while this prompt is on top. */
  readonly tools: readonly ToolLike[];
  /** Structured output, when the prompt asks for it. */
  readonly format: OutputFormat | undefined;
  /** Provider-hosted tools. */
  readonly hostedTools: HostedTools;
}
