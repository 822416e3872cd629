/**
 * Context budgets: before each request an agent's context manager keeps the dialog it sends within the
 * model's context window, dropping or summarising the oldest non-system turns by the strategy the
 * user picked. The dialog itself is never changed (it stays append-only and complete in the log); only
 * the request is trimmed, and every trim is written to the log as a `context-trim` frontend event.
 */
import { LllmError } from '../errors.js';
import { Message } from '../message.js';
import { estimateMessageTokens, promptTokensOf } from './token-estimate.js';

/** How the oldest turns make room. */
export const CONTEXT_STRATEGIES = ['drop_oldest', 'summarize', 'fail'] as const;
export type ContextStrategy = (typeof CONTEXT_STRATEGIES)[number];

/** Turns a span of dropped messages into a short summary (e.g. a call to the agent's own model). */
export type ContextSummarizer = (span: readonly Message[], signal?: AbortSignal) => Promise<string>;

/** Options of a `ContextManager`. */
export interface ContextManagerOptions {
  /** The model's context window in tokens (from its model card). */
  readonly contextWindow: number;
  /** Tokens kept free for the reply (default: a quarter of the window, at most 16,384). */
  readonly reserveOutputTokens?: number;
  /** What happens when the dialog does not fit (default `drop_oldest`). */
  readonly strategy?: ContextStrategy;
  /**
   * The newest turns never dropped (default 1). A tool call and its results are one turn; the latest
   * user message (the task being answered) is always kept too.
   */
  readonly keepLastTurns?: number;
  /** Needed by `summarize`. */
  readonly summarize?: ContextSummarizer;
  /** Tokens of one message before sending (default: `estimateMessageTokens`). */
  readonly estimate?: (message: Message) => number;
}

/** A trim: which messages of the dialog were left out of one request. */
export interface ContextTrim {
  readonly strategy: ContextStrategy;
  /** Index (in the dialog) of the first and last message dropped. */
  readonly from: number;
  readonly to: number;
  readonly droppedMessages: number;
  /** Estimated tokens before and after. */
  readonly tokensBefore: number;
  readonly tokensAfter: number;
  /** The summary that replaced the span (`summarize`). */
  readonly summary?: string;
}

/** What `fit` gives the request. */
export interface ContextFit {
  readonly messages: readonly Message[];
  /** Calibrated estimate of the prompt tokens of `messages`. */
  readonly tokens: number;
  readonly trim: ContextTrim | undefined;
}

/** The dialog cannot be brought within the window (strategy `fail`, or the turns that must stay are too big). */
export class ContextOverflowError extends LllmError {
  readonly tokens: number;
  readonly budget: number;
  constructor(message: string, fields: { tokens: number; budget: number }) {
    super(message);
    this.name = 'ContextOverflowError';
    this.tokens = fields.tokens;
    this.budget = fields.budget;
  }
  static override isInstance = (value: unknown): value is ContextOverflowError =>
    LllmError.isInstance(value) && value.name === 'ContextOverflowError';
}

/** The calibration factor is kept within these bounds: one odd usage report must not swing it far. */
const RATIO_BOUNDS = [0.5, 3] as const;

/**
 * One agent's context manager. `fit(messages)` returns the messages to send: all of them when they fit
 * the budget (window − reserved output), else the system messages, a summary or nothing for the oldest
 * turns, and the newest turns. Token counts are the tokenizer estimate, scaled by what the provider's
 * usage reported for the previous request the manager fitted.
 */
export class ContextManager {
  readonly contextWindow: number;
  readonly reserveOutputTokens: number;
  readonly strategy: ContextStrategy;
  readonly keepLastTurns: number;
  readonly #summarize: ContextSummarizer | undefined;
  readonly #estimate: (message: Message) => number;
  #ratio = 1;
  /** The last message of the previous request and its raw estimate, for calibration. */
  #lastSent: { tail: Message; raw: number } | undefined;
  readonly #sizes = new WeakMap<Message, number>();

  constructor(options: ContextManagerOptions) {
    if (!Number.isInteger(options.contextWindow) || options.contextWindow <= 0) {
      throw new LllmError(
        `A context budget needs a positive whole context window in tokens, got ${JSON.stringify(options.contextWindow)}.`,
      );
    }
    this.contextWindow = options.contextWindow;
    this.reserveOutputTokens = options.reserveOutputTokens ?? Math.min(16_384, Math.floor(options.contextWindow / 4));
    if (this.reserveOutputTokens >= this.contextWindow) {
      throw new LllmError(
        `reserve_output_tokens (${this.reserveOutputTokens}) leaves nothing of the ${this.contextWindow}-token window for the dialog; lower it.`,
      );
    }
    this.strategy = options.strategy ?? 'drop_oldest';
    if (!CONTEXT_STRATEGIES.includes(this.strategy)) {
      throw new LllmError(`Unknown context strategy ${JSON.stringify(this.strategy)}: use one of ${CONTEXT_STRATEGIES.join(', ')}.`);
    }
    if (this.strategy === 'summarize' && !options.summarize)
      throw new LllmError('The summarize context strategy needs a summarize function.');
    this.keepLastTurns = Math.max(1, options.keepLastTurns ?? 1);
    this.#summarize = options.summarize;
    this.#estimate = options.estimate ?? estimateMessageTokens;
  }

  /** Tokens available to the dialog. */
  get budget(): number {
    return this.contextWindow - this.reserveOutputTokens;
  }

  /** The factor provider usage has taught the estimate (1 until a reply with usage was seen). */
  get calibration(): number {
    return this.#ratio;
  }

  #size(message: Message): number {
    let size = this.#sizes.get(message);
    if (size === undefined) {
      size = this.#estimate(message);
      this.#sizes.set(message, size);
    }
    return size;
  }

  #rawTokens(messages: readonly Message[]): number {
    let total = 0;
    for (const message of messages) total += this.#size(message);
    return total;
  }

  /** Learn from the reply to the previous request: its prompt tokens against what was estimated. */
  #calibrate(messages: readonly Message[]): void {
    if (!this.#lastSent) return;
    const index = messages.lastIndexOf(this.#lastSent.tail);
    if (index < 0) return;
    for (let next = index + 1; next < messages.length; next++) {
      const usage = messages[next]?.usage;
      if (!usage) continue;
      const actual = promptTokensOf(usage);
      if (actual > 0 && this.#lastSent.raw > 0) {
        this.#ratio = Math.min(RATIO_BOUNDS[1], Math.max(RATIO_BOUNDS[0], actual / this.#lastSent.raw));
      }
      this.#lastSent = undefined;
      return;
    }
  }

  /** The messages to send for `messages` (a dialog, oldest first). */
  async fit(messages: readonly Message[], signal?: AbortSignal): Promise<ContextFit> {
    this.#calibrate(messages);
    const raw = this.#rawTokens(messages);
    const tokens = Math.ceil(raw * this.#ratio);
    if (tokens <= this.budget) return this.#sent(messages, raw, undefined);

    // Turns: the system messages at the head stay; a tool call and its results move together.
    let head = 0;
    while (head < messages.length && messages[head]?.role === 'system') head++;
    const turnStarts: number[] = [];
    for (let index = head; index < messages.length; index++) {
      if (messages[index]?.role !== 'tool' || turnStarts.length === 0) turnStarts.push(index);
    }
    // The newest turns stay, and so does the latest user message (the task being answered), so a long
    // tool loop never loses its question.
    let keptFrom = turnStarts[Math.max(0, turnStarts.length - this.keepLastTurns)] ?? messages.length;
    for (let index = messages.length - 1; index >= head; index--) {
      if (messages[index]?.role === 'user') {
        keptFrom = Math.min(keptFrom, index);
        break;
      }
    }
    if (this.strategy === 'fail') {
      throw new ContextOverflowError(
        `The dialog needs about ${tokens} tokens, over the budget of ${this.budget} (a ${this.contextWindow}-token window less ${this.reserveOutputTokens} for the reply), and the context strategy is "fail". Pick drop_oldest or summarize, or a model with a larger window.`,
        { tokens, budget: this.budget },
      );
    }
    const system = messages.slice(0, head);
    const fixed = Math.ceil((this.#rawTokens(system) + this.#rawTokens(messages.slice(keptFrom))) * this.#ratio);
    // Drop whole turns, oldest first, until the rest fits.
    let cut = head;
    let remaining = tokens;
    for (const start of turnStarts) {
      if (start >= keptFrom || remaining <= this.budget) break;
      const next = turnStarts.find((candidate) => candidate > start) ?? keptFrom;
      remaining -= Math.ceil(this.#rawTokens(messages.slice(start, next)) * this.#ratio);
      cut = next;
    }
    if (remaining > this.budget) {
      throw new ContextOverflowError(
        `Even without its older turns the dialog needs about ${fixed} tokens (system prompt and the last ${this.keepLastTurns} turn${this.keepLastTurns === 1 ? '' : 's'}), over the budget of ${this.budget}. Shorten the prompt, lower keep_last_turns or reserve_output_tokens, or use a model with a larger window.`,
        { tokens: fixed, budget: this.budget },
      );
    }
    const dropped = messages.slice(head, cut);
    let kept = [...system, ...messages.slice(cut)];
    let summary: string | undefined;
    if (this.strategy === 'summarize' && dropped.length > 0 && this.#summarize) {
      summary = await this.#summarize(dropped, signal);
      const note = new Message({
        role: 'user',
        creator: 'context',
        content: `Summary of the ${dropped.length} earlier messages, left out to fit the context window:\n${summary}`,
      });
      kept = [...system, note, ...messages.slice(cut)];
    }
    const keptRaw = this.#rawTokens(kept);
    const trim: ContextTrim = {
      strategy: this.strategy,
      from: head,
      to: cut - 1,
      droppedMessages: dropped.length,
      tokensBefore: tokens,
      tokensAfter: Math.ceil(keptRaw * this.#ratio),
      ...(summary === undefined ? {} : { summary }),
    };
    return this.#sent(kept, keptRaw, trim);
  }

  #sent(messages: readonly Message[], raw: number, trim: ContextTrim | undefined): ContextFit {
    const tail = messages[messages.length - 1];
    this.#lastSent = tail ? { tail, raw } : undefined;
    return { messages, tokens: Math.ceil(raw * this.#ratio), trim };
  }
}
