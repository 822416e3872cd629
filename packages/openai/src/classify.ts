import {
  type Agent,
  ConfigError,
  type Dialog,
  findModelCard,
  type HostedTools,
  InvalidArgumentError,
  type Message,
  ParseError,
  type PromptLike,
} from '@lllm/core';

/** The tokenizer encodings OpenAI models use. */
export type TokenEncoding = 'o200k_base' | 'cl100k_base';

/** The encoding of a model: o200k for GPT-4o, 4.1, 5 and the o-series; cl100k for GPT-4 and 3.5. */
export function encodingForModel(model: string): TokenEncoding {
  const name = findModelCard(model)?.name ?? model;
  return /^(gpt-4(?!o|\.1)|gpt-3\.5)/.test(name) ? 'cl100k_base' : 'o200k_base';
}

type Encoder = (text: string) => number[];
const encoders = new Map<TokenEncoding, Encoder>();

// The BPE tables are megabytes and gpt-tokenizer is an optional peer (56 MiB installed): load it on
// the first classification, not when the package is imported, and only if the project installed it.
async function encoder(encoding: TokenEncoding): Promise<Encoder> {
  const cached = encoders.get(encoding);
  if (cached) return cached;
  try {
    const loaded: Encoder =
      encoding === 'cl100k_base'
        ? (await import('gpt-tokenizer/encoding/cl100k_base')).encode
        : (await import('gpt-tokenizer/encoding/o200k_base')).encode;
    encoders.set(encoding, loaded);
    return loaded;
  } catch (error) {
    if (!isMissingTokenizer(error)) throw error;
    throw new ConfigError(
      `classify() needs the tokenizer package "gpt-tokenizer" to find the ${encoding} token of each class, and it is not installed (it is an optional peer of @lllm/openai). Install it next to @lllm/openai: npm install gpt-tokenizer@^3.4.0 (or pnpm add gpt-tokenizer).`,
      { cause: error },
    );
  }
}

function isMissingTokenizer(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes('gpt-tokenizer')
  );
}

/** The single token of each class; a class that is not exactly one token is an error naming it. */
export async function classTokens(classes: readonly string[], encoding: TokenEncoding): Promise<Map<string, number>> {
  const encode = await encoder(encoding);
  if (classes.length < 2)
    throw new InvalidArgumentError(`Classification needs at least two classes, got ${JSON.stringify(classes)}.`, { argument: 'classes' });
  const tokens = new Map<string, number>();
  for (const label of classes) {
    const ids = encode(label);
    if (ids.length !== 1 || ids[0] === undefined) {
      throw new InvalidArgumentError(
        `Class ${JSON.stringify(label)} is ${ids.length} tokens under ${encoding}, but logprob classification needs each class to be exactly one token. Use a shorter label (e.g. "A", "B", "Yes", "No") and map it back yourself.`,
        { argument: 'classes' },
      );
    }
    if ([...tokens.values()].includes(ids[0])) {
      throw new InvalidArgumentError(`Classes ${JSON.stringify(classes)} share a token under ${encoding}; make them distinct.`, {
        argument: 'classes',
      });
    }
    tokens.set(label, ids[0]);
  }
  return tokens;
}

/** The outcome of a classification. */
export interface Classification<C extends string> {
  /** The most probable class. */
  readonly label: C;
  /** The probability of each class, from `top_logprobs`, renormalised over the classes. */
  readonly probabilities: Readonly<Record<C, number>>;
  /** The model's one-token reply (with its logprobs, usage and cost). */
  readonly message: Message;
}

/** Options of `classify`. */
export interface ClassifyOptions {
  /** The instruction appended to the dialog (default: answer with exactly one of the classes). */
  readonly instruction?: string;
  /** Override the tokenizer encoding (default: from the model). */
  readonly encoding?: TokenEncoding;
  readonly signal?: AbortSignal;
}

const NO_HOSTED_TOOLS: HostedTools = { mcpServers: [], webSearch: false };

function classificationPrompt(classes: readonly string[], instruction: string): PromptLike {
  const parse = (content: string): string => {
    const answer = content.trim();
    if (!classes.includes(answer))
      throw new ParseError(
        `Answer with exactly one of ${classes.map((c) => JSON.stringify(c)).join(', ')}; got ${JSON.stringify(answer)}.`,
      );
    return answer;
  };
  const make = (path: string, text: (args?: Readonly<Record<string, unknown>>) => string): PromptLike => ({
    path,
    render: text,
    parse,
    get exceptionHandler() {
      return exception;
    },
    get interruptHandler() {
      return exception;
    },
    get finalHandler() {
      return root;
    },
    tools: [],
    format: undefined,
    hostedTools: NO_HOSTED_TOOLS,
  });
  const root = make('lllm/classify', () => instruction);
  const exception = make('lllm/classify::exception', (args) => `${String(args?.error_message ?? '')}`);
  return root;
}

/**
 * Classify the dialog's situation into one of `classes` with a single constrained token: the model
 * may only emit the classes' tokens (`logit_bias`), and the probabilities come from `top_logprobs`.
 * Runs through the agent call on a fork, so `dialog` is left as it was. Needs a Chat Completions
 * invoker and a model with logprobs.
 */
export async function classify<C extends string>(
  agent: Agent,
  dialog: Dialog,
  classes: readonly C[],
  options: ClassifyOptions = {},
): Promise<Classification<C>> {
  const encoding = options.encoding ?? encodingForModel(agent.model);
  const tokens = await classTokens(classes, encoding);
  const instruction = options.instruction ?? `Answer with exactly one of: ${classes.join(', ')}.`;
  const work = dialog.fork();
  work.sendMessage(classificationPrompt(classes, instruction), {}, { creator: 'classifier' });
  const logitBias = Object.fromEntries([...tokens.values()].map((token) => [String(token), 100]));
  const result = await agent.call<C>(work, {
    args: { logit_bias: logitBias, max_tokens: 1, logprobs: true, top_logprobs: Math.min(20, Math.max(classes.length, 5)), temperature: 0 },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const first = result.message.logprobs?.[0];
  const scores = new Map<string, number>(classes.map((label) => [label, 0]));
  for (const candidate of [...(first?.topLogprobs ?? []), ...(first ? [first] : [])]) {
    const label = candidate.token.trim();
    if (scores.has(label)) scores.set(label, Math.max(scores.get(label) ?? 0, Math.exp(candidate.logprob)));
  }
  const total = [...scores.values()].reduce((sum, value) => sum + value, 0);
  const probabilities = Object.fromEntries(
    classes.map((label) => [label, total > 0 ? (scores.get(label) ?? 0) / total : label === result.parsed ? 1 : 0]),
  ) as Record<C, number>;
  const label = classes.reduce((best, next) => ((probabilities[next] ?? 0) > (probabilities[best] ?? 0) ? next : best), result.parsed);
  return { label, probabilities, message: result.message };
}

/** A yes/no classification: `{ answer, probability }` where `probability` is P(yes). */
export async function binaryClassify(
  agent: Agent,
  dialog: Dialog,
  options: ClassifyOptions = {},
): Promise<{ answer: boolean; probability: number; message: Message }> {
  const result = await classify(agent, dialog, ['Yes', 'No'] as const, {
    ...options,
    instruction: options.instruction ?? 'Answer with exactly one word: Yes or No.',
  });
  return { answer: result.label === 'Yes', probability: result.probabilities.Yes, message: result.message };
}
