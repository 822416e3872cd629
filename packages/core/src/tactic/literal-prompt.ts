import type { PromptLike } from '../prompt-like.js';

/**
 * A `PromptLike` from plain text, for `Tactic.quick` (core cannot use `@lllm/prompts`): `{name}`
 * placeholders are filled from the arguments given and left as they are otherwise; replies are
 * accepted as text.
 */
export function literalPrompt(path: string, text: string): PromptLike<string> {
  const hostedTools = { mcpServers: [], webSearch: false };
  const make = (suffix: string, template: string): PromptLike<string> => ({
    path: `${path}${suffix}`,
    render: (args = {}) =>
      template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(args, name) ? String(args[name]) : whole)),
    parse: (content: string) => content,
    get exceptionHandler() {
      return exception;
    },
    get interruptHandler() {
      return interrupt;
    },
    get finalHandler() {
      return final;
    },
    tools: [],
    format: undefined,
    hostedTools,
  });
  const root = make('', text);
  const exception = make('::exception', 'Your reply could not be used: {error_message}\nAnswer again.');
  const interrupt = make('::interrupt', '{call_results}');
  const final = make('::final', 'Answer now with what you have, without calling functions.');
  return root;
}
