import type { ComputerUseConfig, HostedMcpServer, HostedTools, OutputFormat, PromptLike, ToolLike } from '@lllm/core';
import {
  DEFAULT_EXCEPTION_PROMPT,
  DEFAULT_FINAL_PROMPT,
  DEFAULT_INTERRUPT_PROMPT,
  InvalidArgumentError,
  ParseError,
  TemplateError,
} from '@lllm/core';
import type { ZodType, z } from 'zod/v4';
import { decodeJsonReply, defaultParse, type ParsedReply, type TagSpec, tagSpecProblems } from './parser.js';
import { assertNotZod3, isStrictCompatible, validateWithZod, zodToJsonSchema } from './schema.js';
import { type CompiledTemplate, compileTemplate, renderTemplate } from './template.js';

const PROMPT_BRAND = Symbol.for('lllm.prompt');

// The handlers' default templates live in core: a plain-text message's temporary prompt uses them too.
export { DEFAULT_EXCEPTION_PROMPT, DEFAULT_FINAL_PROMPT, DEFAULT_INTERRUPT_PROMPT };

/** What a custom parser receives besides the reply text. */
export interface ParserContext<TDefault> {
  /** The default parse: tags for a tag prompt, the validated object for a prompt with `format`. */
  readonly parsed: TDefault;
  /** `parserArgs` of the agent call. */
  readonly args: Readonly<Record<string, unknown>>;
  /** The prompt parsing (a handler shares its root's parser). */
  readonly prompt: Prompt<unknown>;
}

/** How to define a prompt. */
export interface PromptDefinition<TParsed = ParsedReply, TFormat extends ZodType | undefined = undefined> extends TagSpec {
  /** Registry path, e.g. `research/task_query`. */
  readonly path: string;
  /** The template: `{name}` placeholders, `{{` / `}}` for literal braces. */
  readonly prompt: string;
  /** Tools the model may call while this prompt is on top. */
  readonly functions?: readonly ToolLike[];
  /** Provider-hosted MCP servers. */
  readonly mcpServers?: readonly HostedMcpServer[];
  /** Turn on provider-hosted web search. */
  readonly allowWebSearch?: boolean;
  /** Turn on provider-hosted computer use. */
  readonly computerUseConfig?: ComputerUseConfig;
  /** Structured output: the reply must be JSON matching this zod schema; it becomes `parsed`. */
  readonly format?: TFormat;
  /** A name for the structured-output schema (default: from the path). */
  readonly formatName?: string;
  /** A custom parser; it receives the default parse. Throw (a `ParseError`) to reject the reply. */
  readonly parser?: (content: string, context: ParserContext<TFormat extends ZodType ? z.output<TFormat> : ParsedReply>) => TParsed;
  /** Sent after a failed parse; must contain `{error_message}`. */
  readonly exceptionPrompt?: string;
  /** Carries each tool result back; must contain `{call_results}`. */
  readonly interruptPrompt?: string;
  /** Sent when the tool budget is spent. */
  readonly finalPrompt?: string;
  /** Free-form metadata (descriptions, authors…). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

type HandlerKind = 'exception' | 'interrupt' | 'final';

interface HandlerOrigin {
  /** The prompt the user defined. */
  readonly root: Prompt<unknown>;
  readonly kind: HandlerKind;
  /** Whose handlers this handler uses; `undefined` means its own (the final handler). */
  readonly family: Prompt<unknown> | undefined;
}

/**
 * A prompt as code: a template plus everything the agent-call state machine needs to handle the
 * reply — parser, tags, structured-output format, tools, hosted tools — and its derived exception,
 * interrupt and final handlers, which inherit all of that (the final handler has no tools).
 * Implements core's `PromptLike`.
 */
class PromptClass<TParsed = ParsedReply> implements PromptLike<TParsed> {
  readonly [PROMPT_BRAND] = true;
  readonly path: string;
  readonly template: string;
  readonly functions: readonly ToolLike[];
  readonly mcpServers: readonly HostedMcpServer[];
  readonly allowWebSearch: boolean;
  readonly computerUseConfig: ComputerUseConfig | undefined;
  readonly tags: Required<TagSpec>;
  readonly formatSchema: ZodType | undefined;
  readonly format: OutputFormat | undefined;
  readonly exceptionPrompt: string;
  readonly interruptPrompt: string;
  readonly finalPrompt: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly #compiled: CompiledTemplate;
  readonly #definition: PromptDefinition<TParsed, ZodType | undefined>;
  readonly #origin: HandlerOrigin | undefined;
  #handlers: Partial<Record<HandlerKind, Prompt<TParsed>>> = {};

  constructor(definition: PromptDefinition<TParsed, ZodType | undefined>, origin?: HandlerOrigin) {
    if (typeof definition.path !== 'string' || definition.path.trim() === '') {
      throw new InvalidArgumentError('A prompt needs a non-empty path, e.g. "research/task_query".', { argument: 'path' });
    }
    if (typeof definition.prompt !== 'string') {
      throw new InvalidArgumentError(`Prompt "${definition.path}" needs a template string in "prompt".`, { argument: 'prompt' });
    }
    this.#definition = definition;
    this.#origin = origin;
    this.path = definition.path;
    this.template = definition.prompt;
    this.#compiled = compileTemplate(definition.prompt);
    this.functions = Object.freeze([...(definition.functions ?? [])]);
    this.mcpServers = Object.freeze([...(definition.mcpServers ?? [])]);
    this.allowWebSearch = definition.allowWebSearch ?? false;
    this.computerUseConfig = definition.computerUseConfig;
    // Frozen all the way down, so the parser can work out its tag lists once per prompt.
    this.tags = Object.freeze({
      xmlTags: Object.freeze([...(definition.xmlTags ?? [])]),
      mdTags: Object.freeze([...(definition.mdTags ?? [])]),
      signalTags: Object.freeze([...(definition.signalTags ?? [])]),
      requiredXmlTags: Object.freeze([...(definition.requiredXmlTags ?? [])]),
      requiredMdTags: Object.freeze([...(definition.requiredMdTags ?? [])]),
      optionalXmlTags: Object.freeze([...(definition.optionalXmlTags ?? [])]),
      optionalMdTags: Object.freeze([...(definition.optionalMdTags ?? [])]),
    });
    const tagProblems = tagSpecProblems(this.tags);
    if (tagProblems.length > 0) {
      throw new InvalidArgumentError(`Prompt "${this.path}" lists tags that can never match:\n- ${tagProblems.join('\n- ')}`, {
        argument: 'tags',
      });
    }
    assertNotZod3(definition.format, `The format of prompt "${definition.path}"`, 'format');
    this.formatSchema = definition.format;
    this.format = definition.format ? buildFormat(definition.format, definition.formatName ?? definition.path) : undefined;
    this.exceptionPrompt = definition.exceptionPrompt ?? DEFAULT_EXCEPTION_PROMPT;
    this.interruptPrompt = definition.interruptPrompt ?? DEFAULT_INTERRUPT_PROMPT;
    this.finalPrompt = definition.finalPrompt ?? DEFAULT_FINAL_PROMPT;
    this.metadata = Object.freeze({ ...(definition.metadata ?? {}) });
    requirePlaceholder(this.path, 'exceptionPrompt', this.exceptionPrompt, 'error_message');
    requirePlaceholder(this.path, 'interruptPrompt', this.interruptPrompt, 'call_results');
    const names = new Set<string>();
    for (const fn of this.functions) {
      if (names.has(fn.name)) {
        throw new InvalidArgumentError(`Prompt "${this.path}" lists the tool "${fn.name}" twice; tool names must be unique.`, {
          argument: 'functions',
        });
      }
      names.add(fn.name);
    }
  }

  /** Whether a value is a `Prompt` (works across two installed copies of this package). */
  static isInstance(value: unknown): value is Prompt<unknown> {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROMPT_BRAND] === true;
  }

  /** Placeholder names of the template. */
  get placeholders(): readonly string[] {
    return this.#compiled.placeholders;
  }

  get tools(): readonly ToolLike[] {
    return this.functions;
  }

  get hostedTools(): HostedTools {
    return {
      mcpServers: this.mcpServers,
      webSearch: this.allowWebSearch,
      ...(this.computerUseConfig ? { computerUse: this.computerUseConfig } : {}),
    };
  }

  /** For a handler: the prompt it was derived from. */
  get root(): Prompt<unknown> {
    return this.#origin?.root ?? this;
  }

  render(args: Readonly<Record<string, unknown>> = {}): string {
    return renderTemplate(this.#compiled, args, this.path);
  }

  parse(content: string, args: Readonly<Record<string, unknown>> = {}): TParsed {
    const defaults = this.formatSchema ? this.#parseFormat(content) : defaultParse(content, this.tags);
    const parser = this.#definition.parser as ((content: string, context: ParserContext<unknown>) => TParsed) | undefined;
    if (!parser) return defaults as TParsed;
    return parser(content, { parsed: defaults, args, prompt: this.root });
  }

  #parseFormat(content: string): unknown {
    const value = decodeJsonReply(content);
    const schema = this.formatSchema as ZodType;
    const result = validateWithZod(schema, value);
    if (!result.success) throw new ParseError(`The JSON does not match the required schema: ${result.error}`);
    return result.data;
  }

  get exceptionHandler(): Prompt<TParsed> {
    return this.#handler('exception');
  }

  get interruptHandler(): Prompt<TParsed> {
    return this.#handler('interrupt');
  }

  get finalHandler(): Prompt<TParsed> {
    return this.#handler('final');
  }

  #handler(kind: HandlerKind): Prompt<TParsed> {
    // Handlers share the handler set of the prompt they came from (their "family"). The final
    // handler starts a family of its own whose prompts offer no tools: after "answer now" the
    // model must not be offered functions again, not even by the exception handler.
    const family = this.#origin?.family;
    if (family && family !== this) return (family as Prompt<TParsed>).#handler(kind);
    if (kind === 'final' && this.#origin?.kind === 'final') return this;
    const cached = this.#handlers[kind];
    if (cached) return cached;
    const template = kind === 'exception' ? this.exceptionPrompt : kind === 'interrupt' ? this.interruptPrompt : this.finalPrompt;
    const handler: Prompt<TParsed> = new PromptClass<TParsed>(
      { ...this.#definition, path: `${this.path}::${kind}`, prompt: template, functions: kind === 'final' ? [] : this.functions },
      { root: this.root, kind, family: kind === 'final' ? undefined : this },
    );
    this.#handlers[kind] = handler;
    return handler;
  }

  /** A copy under another path (used to namespace discovered prompts). */
  withPath(path: string): Prompt<TParsed> {
    return new PromptClass<TParsed>({ ...this.#definition, path });
  }

  /** A copy with more tools. */
  withFunctions(...functions: ToolLike[]): Prompt<TParsed> {
    return new PromptClass<TParsed>({ ...this.#definition, functions: [...this.functions, ...functions] });
  }

  /**
   * A copy in which the declared tool `name` is linked to an implementation (for tools declared
   * without `execute`).
   */
  link(name: string, execute: (args: Record<string, unknown>, context: Parameters<ToolLike['execute']>[1]) => unknown): Prompt<TParsed> {
    const index = this.functions.findIndex((fn) => fn.name === name);
    const target = this.functions[index];
    if (!target) {
      throw new InvalidArgumentError(
        `Prompt "${this.path}" has no tool "${name}" to link. Its tools: ${this.functions.map((fn) => fn.name).join(', ') || 'none'}.`,
        { argument: 'name' },
      );
    }
    const linker = (target as { link?: (fn: typeof execute) => ToolLike }).link;
    if (typeof linker !== 'function') {
      throw new InvalidArgumentError(`Tool "${name}" of prompt "${this.path}" cannot be re-linked (it is not a @lllm/prompts Function).`, {
        argument: 'name',
      });
    }
    const functions = [...this.functions];
    functions[index] = linker.call(target, execute);
    return new PromptClass<TParsed>({ ...this.#definition, functions });
  }
}

/**
 * How `new Prompt(definition)` is typed: the parsed type is inferred from `format` (the zod output
 * type), from a custom `parser`'s return type, or is the default `ParsedReply` — so an agent call on
 * a dialog topped by the prompt (`dialog.ask(prompt)`) knows what `parsed` holds.
 */
export interface PromptConstructor {
  new <T, S extends ZodType | undefined = undefined>(
    definition: PromptDefinition<T, S> & { parser: NonNullable<PromptDefinition<T, S>['parser']> },
  ): Prompt<T>;
  new <S extends ZodType>(definition: Omit<PromptDefinition<z.output<S>, S>, 'parser'> & { format: S }): Prompt<z.output<S>>;
  new <T = ParsedReply>(definition: PromptDefinition<T, undefined>): Prompt<T>;
  readonly prototype: Prompt<unknown>;
  /** Whether a value is a `Prompt` (works across two installed copies of this package). */
  isInstance(value: unknown): value is Prompt<unknown>;
}

/**
 * A prompt as code: a template plus everything the agent-call state machine needs to handle the
 * reply — parser, tags, structured-output format, tools, hosted tools — and its derived exception,
 * interrupt and final handlers. Implements core's `PromptLike<TParsed>`.
 */
export type Prompt<TParsed = ParsedReply> = PromptClass<TParsed>;
export const Prompt: PromptConstructor = PromptClass as unknown as PromptConstructor;

function requirePlaceholder(path: string, field: string, template: string, name: string): void {
  if (!compileTemplate(template).placeholders.includes(name)) {
    throw new TemplateError(`The ${field} of prompt "${path}" must contain {${name}}, but it is ${JSON.stringify(template)}.`, {
      promptPath: path,
      missing: [name],
    });
  }
}

function buildFormat(schema: ZodType, name: string): OutputFormat {
  const json = zodToJsonSchema(schema, 'output');
  if (json.type !== 'object') {
    throw new InvalidArgumentError(
      `The format of prompt "${name}" must be a zod object (providers require an object at the top of a structured output), got type ${JSON.stringify(json.type)}.`,
      { argument: 'format' },
    );
  }
  const description = typeof json.description === 'string' ? json.description : undefined;
  return {
    name: name.replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 64) || 'output',
    ...(description ? { description } : {}),
    schema: json,
    strict: isStrictCompatible(json),
    validate: (value) => validateWithZod(schema, value),
  };
}

/**
 * Define a prompt with its parsed type inferred: from `format` (the zod output type), from a custom
 * `parser`'s return type, or the default `ParsedReply`.
 */
export function definePrompt<S extends ZodType>(
  definition: Omit<PromptDefinition<z.output<S>, S>, 'parser'> & { format: S },
): Prompt<z.output<S>>;
export function definePrompt<T, S extends ZodType | undefined = undefined>(
  definition: PromptDefinition<T, S> & { parser: NonNullable<PromptDefinition<T, S>['parser']> },
): Prompt<T>;
export function definePrompt(definition: PromptDefinition<ParsedReply, undefined>): Prompt<ParsedReply>;
export function definePrompt(definition: PromptDefinition<unknown, ZodType | undefined>): Prompt<unknown> {
  return new PromptClass(definition);
}
