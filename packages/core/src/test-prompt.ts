// A minimal PromptLike for core's own tests (core cannot depend on @lllm/prompts). It implements
// the interface literally: templates with {name}, a parse function, handlers sharing tools.
import { ParseError, TemplateError } from './errors.js';
import type { HostedTools, OutputFormat, PromptLike, ToolContext, ToolLike } from './prompt-like.js';

export interface TestPromptOptions {
  path?: string;
  template?: string;
  parse?: (content: string, args?: Readonly<Record<string, unknown>>) => unknown;
  tools?: ToolLike[];
  format?: OutputFormat;
}

function render(path: string, template: string, args: Readonly<Record<string, unknown>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!Object.hasOwn(args, name) || args[name] === undefined)
      throw new TemplateError(`Prompt "${path}" needs {${name}}`, { promptPath: path, missing: [name] });
    return String(args[name]);
  });
}

export function testPrompt(options: TestPromptOptions = {}): PromptLike {
  const path = options.path ?? 'test/task';
  const parse = options.parse ?? ((content: string) => content);
  const tools = options.tools ?? [];
  const hostedTools: HostedTools = { mcpServers: [], webSearch: false };
  const make = (suffix: string, template: string, withTools: boolean): PromptLike => {
    const prompt: PromptLike = {
      path: `${path}${suffix}`,
      render: (args) => render(`${path}${suffix}`, template, args),
      parse,
      get exceptionHandler() {
        return exception;
      },
      get interruptHandler() {
        return interrupt;
      },
      get finalHandler() {
        return final;
      },
      tools: withTools ? tools : [],
      format: options.format,
      hostedTools,
    };
    return prompt;
  };
  const root = make('', options.template ?? 'Task: {task}', true);
  const exception = make('::exception', 'Error: {error_message}', true);
  const interrupt = make('::interrupt', '{call_results}', true);
  const final = make('::final', 'Answer now.', false);
  return root;
}

/** Parse `<answer>…</answer>`, failing otherwise. */
export function answerTagParser(content: string): string {
  const match = /<answer>([\s\S]*?)<\/answer>/.exec(content);
  if (!match) throw new ParseError('Missing the required <answer>…</answer> block.');
  return (match[1] ?? '').trim();
}

export function testTool(
  name: string,
  execute: (args: Record<string, unknown>, context: ToolContext) => unknown,
  options: { validate?: ToolLike['validate']; linked?: boolean } = {},
): ToolLike {
  return {
    name,
    description: `The ${name} tool`,
    parameters: { type: 'object', properties: {}, additionalProperties: true },
    linked: options.linked ?? true,
    ...(options.validate ? { validate: options.validate } : {}),
    execute,
  };
}
