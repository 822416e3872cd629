import type { HostedTools, ParsedReply, PromptLike } from './prompt-like.js';

/** The exception handler's default template. */
export const DEFAULT_EXCEPTION_PROMPT =
  'Your previous response could not be used:\n{error_message}\n\nFix the problem and respond again, following the required format.';
/** The interrupt handler's default template. */
export const DEFAULT_INTERRUPT_PROMPT = '{call_results}';
/** The final ("answer now") handler's default template. */
export const DEFAULT_FINAL_PROMPT =
  'You have used all the function calls available. Do not call any more functions: give your final response now, following the required format.';

/**
 * The path of the temporary prompt a plain-text message puts on top of its dialog. Upstream names
 * it `__temp_prompt_` plus six random characters; one fixed path keeps requests and logs
 * reproducible (nothing looks it up in a registry).
 */
export const TEXT_PROMPT_PATH = '__temp_prompt';

/** Whether `path` names a plain-text message's temporary prompt (ours, or upstream's random ones). */
export function isTextPromptPath(path: string): boolean {
  return path === TEXT_PROMPT_PATH || /^__temp_prompt_[0-9a-f-]{1,36}$/.test(path);
}

const NO_HOSTED_TOOLS: HostedTools = Object.freeze({ mcpServers: Object.freeze([]), webSearch: false });

function fill(template: string, args: Readonly<Record<string, unknown>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(args, name) ? String(args[name] ?? '') : whole));
}

function make(path: string, render: PromptLike<ParsedReply>['render'], handlers: () => Handlers): PromptLike<ParsedReply> {
  return Object.freeze({
    path,
    render,
    parse: (content: string): ParsedReply => ({ raw: content, xmlTags: {}, mdTags: {}, signalTags: {} }),
    get exceptionHandler() {
      return handlers().exception;
    },
    get interruptHandler() {
      return handlers().interrupt;
    },
    get finalHandler() {
      return handlers().final;
    },
    tools: Object.freeze([]),
    format: undefined,
    hostedTools: NO_HOSTED_TOOLS,
  });
}

interface Handlers {
  readonly exception: PromptLike<ParsedReply>;
  readonly interrupt: PromptLike<ParsedReply>;
  readonly final: PromptLike<ParsedReply>;
}

let handlers: Handlers | undefined;

/** The handlers every temporary prompt shares (made once; they hold no text of their own). */
function sharedHandlers(): Handlers {
  handlers ??= {
    exception: make(`${TEXT_PROMPT_PATH}::exception`, (args) => fill(DEFAULT_EXCEPTION_PROMPT, args), sharedHandlers),
    interrupt: make(`${TEXT_PROMPT_PATH}::interrupt`, (args) => fill(DEFAULT_INTERRUPT_PROMPT, args), sharedHandlers),
    final: make(`${TEXT_PROMPT_PATH}::final`, () => DEFAULT_FINAL_PROMPT, sharedHandlers),
  };
  return handlers;
}

/**
 * The temporary prompt of a plain-text message (upstream's `send_message(str)`): no tools, no
 * structured output, and the default parser with no tags, so any reply is accepted as
 * `{ raw, xmlTags: {}, mdTags: {}, signalTags: {} }`. It renders `text` verbatim; its handlers use
 * the default templates.
 */
export function textPrompt(text: string, path: string = TEXT_PROMPT_PATH): PromptLike<ParsedReply> {
  return make(path, () => text, sharedHandlers);
}
