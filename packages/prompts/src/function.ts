import type { JsonSchema, ToolContext, ToolLike, ValidationResult } from '@lllm/core';
import { InvalidArgumentError } from '@lllm/core';
import type { ZodType, z } from 'zod/v4';
import { assertNotZod3, assertObjectSchema, isZodSchema, validateWithZod, zodToJsonSchema } from './schema.js';

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Runs a tool. */
export type ToolExecute<TArgs> = (args: TArgs, context: ToolContext) => unknown;

/** How to define a tool. */
export interface ToolDefinition<TArgs = Record<string, unknown>> {
  /** The name the model calls (`^[a-zA-Z0-9_-]{1,64}$`). */
  readonly name: string;
  readonly description: string;
  /** A zod object schema (validated and typed), or a JSON schema of an object (passed as-is, not validated). */
  readonly parameters: ZodType<TArgs> | JsonSchema;
  /** The implementation; leave it out to declare the tool now and `link()` it later. */
  readonly execute?: ToolExecute<TArgs>;
  /** Turns the result into the text the model sees (default: strings as-is, JSON otherwise). */
  readonly processResult?: (result: unknown) => string;
  /** Ask providers for strict argument adherence (needs every property required). */
  readonly strict?: boolean;
}

/**
 * A function the model may call: a provider-neutral tool spec (JSON schema from zod through zod's
 * own converter), validation, and an optional linked implementation. Implements core's `ToolLike`.
 */
// biome-ignore lint/suspicious/noShadowRestrictedNames: `Function` is the public name LLLM has always used; most code calls `tool()`.
export class Function<TArgs = Record<string, unknown>> implements ToolLike {
  readonly name: string;
  readonly description: string;
  readonly parameters: JsonSchema;
  readonly strict: boolean;
  readonly #zod: ZodType<TArgs> | undefined;
  readonly #execute: ToolExecute<TArgs> | undefined;
  readonly #processResult: ((result: unknown) => string) | undefined;

  constructor(definition: ToolDefinition<TArgs>) {
    if (!NAME.test(definition.name)) {
      throw new InvalidArgumentError(
        `Tool name ${JSON.stringify(definition.name)} is not allowed: use 1–64 letters, digits, "_" or "-" (providers reject anything else).`,
        { argument: 'name' },
      );
    }
    this.name = definition.name;
    this.description = definition.description;
    assertNotZod3(definition.parameters, `The parameters of tool "${this.name}"`, 'parameters');
    this.#zod = isZodSchema(definition.parameters) ? (definition.parameters as ZodType<TArgs>) : undefined;
    this.parameters = this.#zod ? zodToJsonSchema(this.#zod, 'input') : { ...(definition.parameters as JsonSchema) };
    assertObjectSchema(this.parameters, `The parameters of tool "${this.name}"`);
    this.strict = definition.strict ?? false;
    this.#execute = definition.execute;
    this.#processResult = definition.processResult;
  }

  /** Whether an implementation is linked. */
  get linked(): boolean {
    return this.#execute !== undefined;
  }

  /** A copy of this tool with `execute` as its implementation. */
  link(execute: ToolExecute<TArgs>): Function<TArgs> {
    return new Function<TArgs>({ ...this.#definition(), execute });
  }

  validate(args: unknown): ValidationResult {
    return this.#zod ? validateWithZod(this.#zod, args) : { success: true, data: args };
  }

  async execute(args: Record<string, unknown>, context: ToolContext): Promise<unknown> {
    if (!this.#execute) {
      throw new InvalidArgumentError(`Tool "${this.name}" has no implementation; link one with tool.link(fn) or pass execute.`, {
        argument: 'execute',
      });
    }
    return await this.#execute(args as TArgs, context);
  }

  formatResult(result: unknown): string {
    if (this.#processResult) return this.#processResult(result);
    if (typeof result === 'string') return result;
    if (result === undefined) return 'Done (no result).';
    return JSON.stringify(result);
  }

  #definition(): ToolDefinition<TArgs> {
    return {
      name: this.name,
      description: this.description,
      parameters: this.#zod ?? this.parameters,
      strict: this.strict,
      ...(this.#processResult ? { processResult: this.#processResult } : {}),
    };
  }
}

/** Define a tool. With a zod schema, `execute` receives validated, typed arguments. */
export function tool<S extends ZodType<Record<string, unknown>>>(
  definition: Omit<ToolDefinition<z.output<S>>, 'parameters' | 'execute'> & { parameters: S; execute?: ToolExecute<z.output<S>> },
): Function<z.output<S>>;
export function tool(definition: ToolDefinition<Record<string, unknown>> & { parameters: JsonSchema }): Function<Record<string, unknown>>;
export function tool(definition: ToolDefinition<Record<string, unknown>>): Function<Record<string, unknown>> {
  return new Function(definition);
}
