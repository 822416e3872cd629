import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from './errors.js';
import { detectImageType } from './image.js';
import type { LogSession } from './log-store.js';
import { Message, type MessageJSON, type Role } from './message.js';
import { type Cost, sumCosts } from './model-card.js';
import type { PromptLike } from './prompt-like.js';
import { truncate } from './strings.js';
import { isTextPromptPath, textPrompt } from './text-prompt.js';

/** How a dialog came to be. */
export type DialogBranch = 'root' | 'fork' | 'exception' | 'context_copy';

/** Options for a new dialog. */
export interface DialogOptions {
  /** Where appended messages are logged. Default: nowhere. */
  readonly log?: LogSession | undefined;
  /** The prompt whose parser and handlers apply to the next reply. */
  readonly topPrompt?: PromptLike | undefined;
  /** A fixed id (for restoring); default: a random UUID. */
  readonly id?: string;
}

/** Options of `Dialog.sendMessage`. */
export interface SendMessageOptions {
  /** Who sends it (default `user`). */
  readonly creator?: string;
  /** The role (default `user`). */
  readonly role?: Role;
  /** For `tool` messages: the call this answers. */
  readonly toolCallId?: string;
  readonly extra?: Record<string, unknown>;
  /**
   * For a plain string: keep the dialog's top prompt (its parser and tools apply to the next reply)
   * instead of putting a temporary text prompt on top, which is upstream's behaviour and the default.
   */
  readonly keepTopPrompt?: boolean;
}

/** Options of `Dialog.fork`. */
export interface ForkOptions<T = unknown> {
  /** `exception` marks a pruned retry branch (the agent call's); default `fork`. */
  readonly branch?: 'fork' | 'exception';
  /** The fork's top prompt; default the parent's. */
  readonly topPrompt?: PromptLike<T>;
  /**
   * Keep only the last `lastN` messages after the first `firstK` (upstream HEAD's `last_n`). 0 (the
   * default), or `lastN` at least the dialog's length, keeps every message.
   */
  readonly lastN?: number;
  /** With `lastN`: how many leading messages to keep as well (upstream's `first_k`, default 1: the system message). */
  readonly firstK?: number;
}

/** The JSON form of a dialog. */
export interface DialogJSON {
  id: string;
  branch: DialogBranch;
  parentId?: string;
  forkIndex?: number;
  topPrompt?: string;
  messages: MessageJSON[];
}

/** Looks a prompt up by path when restoring a dialog. */
export type PromptLookup = (path: string) => PromptLike | undefined;

interface DialogInternals {
  parent: Dialog | undefined;
  /** The dialog holding the shared prefix (may be an ancestor of `parent`). */
  base: Dialog | undefined;
  forkIndex: number;
  branch: DialogBranch;
}

/**
 * An append-only conversation. `fork()` is O(1): the fork shares its parent's prefix rather than
 * copying it, and neither can see what the other appends afterwards. Appending writes to the
 * dialog's log session.
 */
export class Dialog<TParsed = unknown> {
  /** The dialog this one was forked from. */
  readonly parent: Dialog | undefined;
  /** How many of the parent's messages this dialog starts with. */
  readonly forkIndex: number;
  readonly branch: DialogBranch;
  readonly log: LogSession | undefined;
  readonly #own: Message[] = [];
  readonly #base: Dialog | undefined;
  #flat: Message[] | undefined;
  #topPrompt: PromptLike | undefined;
  #id: string | undefined;

  constructor(options: DialogOptions = {}, internals?: DialogInternals) {
    this.#id = options.id;
    this.parent = internals?.parent;
    this.#base = internals?.base;
    this.forkIndex = internals?.forkIndex ?? 0;
    this.branch = internals?.branch ?? 'root';
    this.log = options.log;
    this.#topPrompt = options.topPrompt;
    this.#logDialog();
  }

  /** A new root dialog, optionally seeded with a system message. */
  static create(options: DialogOptions & { system?: string; creator?: string } = {}): Dialog {
    const dialog = new Dialog(options);
    if (options.system !== undefined) {
      dialog.append(new Message({ role: 'system', content: options.system, creator: options.creator ?? 'system' }));
    }
    return dialog;
  }

  /** The dialog's id: the one it was restored with, else a random UUID (made when first asked for). */
  get id(): string {
    this.#id ??= randomUUID();
    return this.#id;
  }

  /** Number of messages. */
  get length(): number {
    return this.forkIndex + this.#own.length;
  }

  /** The prompt whose parser and handlers apply to the next reply. */
  get topPrompt(): PromptLike<TParsed> | undefined {
    return this.#topPrompt as PromptLike<TParsed> | undefined;
  }

  set topPrompt(prompt: PromptLike | undefined) {
    this.#topPrompt = prompt;
  }

  /** The message at `index` (negative counts from the end). */
  at(index: number): Message | undefined {
    let position = index < 0 ? this.length + index : index;
    if (position < 0 || position >= this.length) return undefined;
    let dialog: Dialog = this;
    // Walk up the fork chain without recursion: chains can be long.
    while (position < dialog.forkIndex && dialog.#base) dialog = dialog.#base;
    position -= dialog.forkIndex;
    return dialog.#own[position];
  }

  /** Every message, oldest first. The array is frozen; it is cached until the next append. */
  get messages(): readonly Message[] {
    if (this.#flat) return this.#flat;
    const segments: Message[][] = [];
    let limit = this.length;
    let dialog: Dialog | undefined = this;
    while (dialog) {
      const ownCount = Math.min(dialog.#own.length, limit - dialog.forkIndex);
      if (ownCount > 0) segments.push(ownCount === dialog.#own.length ? dialog.#own : dialog.#own.slice(0, ownCount));
      limit = Math.min(limit, dialog.forkIndex);
      dialog = limit > 0 ? dialog.#base : undefined;
    }
    segments.reverse();
    // slice/concat copy in bulk; an element-by-element loop is several times slower on long dialogs.
    const flat: Message[] = segments.length === 0 ? [] : (segments[0] ?? []).concat(...segments.slice(1));
    this.#flat = Object.freeze(flat) as Message[];
    return this.#flat;
  }

  [Symbol.iterator](): Iterator<Message> {
    return this.messages[Symbol.iterator]();
  }

  /** The last message. */
  get tail(): Message | undefined {
    return this.at(-1);
  }

  /** The system message, when the dialog starts with one. */
  get system(): Message | undefined {
    const first = this.at(0);
    return first?.role === 'system' ? first : undefined;
  }

  /** Append a message (and log it). Returns it. */
  append(message: Message): Message {
    return this.#append(message, false);
  }

  #append(message: Message, copied: boolean): Message {
    if (!(message instanceof Message)) {
      throw new InvalidArgumentError('Dialog.append takes a Message; build one with new Message({ role, content, creator }).', {
        argument: 'message',
      });
    }
    const index = this.length;
    this.#own.push(message);
    this.#flat = undefined;
    this.log?.store.write('messages', this.log.session, {
      dialogId: this.id,
      index,
      pruned: this.branch === 'exception',
      // A copy of a message logged elsewhere (the last part of fork(lastN), restore): replays must not count it twice.
      ...(copied ? { copied: true } : {}),
      message: message.toJSON() as unknown as Record<string, unknown>,
    });
    return message;
  }

  /**
   * Render a prompt and append it; the prompt becomes the dialog's top prompt, so the next reply is
   * parsed by it. A plain string is appended as it is and, as upstream's `send_message(str)`, puts a
   * temporary prompt on top: no tools, and the default parser with no tags (`parsed` is
   * `{ raw, xmlTags: {}, mdTags: {}, signalTags: {} }`); `keepTopPrompt: true` keeps the current one.
   * Returns the appended message; `ask()` does the same and returns the dialog typed by the prompt,
   * so `agent.call()` infers `parsed`.
   */
  sendMessage(prompt: PromptLike | string, args?: Readonly<Record<string, unknown>>, options: SendMessageOptions = {}): Message {
    const isPrompt = typeof prompt !== 'string';
    if (!isPrompt && args !== undefined && Object.keys(args).length > 0) {
      throw new InvalidArgumentError(
        `sendMessage(${JSON.stringify(truncate(prompt, 40))}, { ${Object.keys(args).join(', ')} }): a plain string is sent as it is, so arguments have nothing to fill. Pass a prompt to render them, or drop the arguments.`,
        { argument: 'args' },
      );
    }
    const content = isPrompt ? prompt.render(args) : prompt;
    const message = new Message({
      role: options.role ?? 'user',
      content,
      creator: options.creator ?? 'user',
      ...(isPrompt ? { promptPath: prompt.path } : {}),
      ...(options.toolCallId === undefined ? {} : { toolCallId: options.toolCallId }),
      ...(options.extra === undefined ? {} : { extra: options.extra }),
    });
    if (isPrompt) this.#topPrompt = prompt;
    else if (options.keepTopPrompt !== true) this.#topPrompt = textPrompt(prompt);
    return this.append(message);
  }

  /**
   * Send a prompt (as `sendMessage`) and return this dialog typed by it: `agent.call(dialog.ask(task,
   * args))` resolves with `parsed` of the prompt's type (its zod `format`, or its parser's return type)
   * without a cast. The dialog is the same object, not a copy.
   */
  ask<T>(prompt: PromptLike<T>, args?: Readonly<Record<string, unknown>>, options: SendMessageOptions = {}): Dialog<T> {
    this.sendMessage(prompt, args, options);
    return this as unknown as Dialog<T>;
  }

  /** Append an image (base64 PNG, JPEG, WebP or GIF, checked by its magic bytes). */
  sendImage(base64: string, caption?: string, options: { creator?: string } = {}): Message {
    const mediaType = detectImageType(base64);
    return this.append(
      new Message({
        role: 'user',
        content: base64.replace(/^data:[^,]*,/, ''),
        creator: options.creator ?? 'user',
        modality: 'image',
        mediaType,
        ...(caption === undefined ? {} : { caption }),
      }),
    );
  }

  /**
   * A dialog that starts with this one's messages, sharing them instead of copying; neither sees what
   * the other appends afterwards. `fork(lastN, firstK)` (or `{ lastN, firstK }`) keeps only the first
   * `firstK` and the last `lastN` messages, as upstream HEAD's `Dialog.fork(last_n, first_k)`: the
   * first part is shared, the last part copied.
   */
  fork<T = TParsed>(options?: ForkOptions<T>): Dialog<T>;
  fork<T = TParsed>(lastN: number, firstK?: number): Dialog<T>;
  fork<T = TParsed>(optionsOrLastN: ForkOptions<T> | number = {}, firstKArgument?: number): Dialog<T> {
    const options: ForkOptions<T> =
      typeof optionsOrLastN === 'number' ? { lastN: optionsOrLastN, firstK: firstKArgument ?? 1 } : optionsOrLastN;
    const length = this.length;
    const lastN = options.lastN === undefined ? 0 : wholeNumber(options.lastN, 'fork', 'lastN');
    const firstK = options.firstK === undefined ? 1 : wholeNumber(options.firstK, 'fork', 'firstK');
    const topPrompt = options.topPrompt ?? this.#topPrompt;
    const branch = options.branch ?? 'fork';
    const tailStart = length - lastN;
    const head = Math.min(firstK, tailStart);
    if (lastN === 0 || lastN >= length || head === tailStart) return this.#branch<T>(length, branch, topPrompt);
    const call = `fork(${lastN}, ${firstK})`;
    if (this.at(tailStart)?.role === 'tool') {
      const withCall = this.#groupStart(tailStart);
      throw new InvalidArgumentError(
        `${call} would start its last part at message ${tailStart}, a tool result whose tool call (message ${withCall}) is left out; providers reject a result without its call. Use fork(${length - withCall}, ${firstK}) to keep the call.`,
        { argument: 'lastN' },
      );
    }
    if (head > 0 && this.at(head)?.role === 'tool') {
      const withoutCall = this.#groupStart(head);
      throw new InvalidArgumentError(
        `${call} would end its first part between a tool call (message ${withoutCall}) and its result (message ${head}); providers reject a call without its results. Use fork(${lastN}, ${withoutCall}) to leave the call out.`,
        { argument: 'firstK' },
      );
    }
    const fork = this.#branch<T>(head, branch, topPrompt);
    for (let index = tailStart; index < length; index++) {
      const message = this.at(index);
      if (message) fork.#append(message, true);
    }
    return fork;
  }

  /**
   * A copy without the last `n` messages (default 1), as upstream's `Dialog.context_copy(n)`: for
   * asking again from an earlier point. `contextCopy(0)` keeps every message; an `n` at least the
   * length leaves none. The copy shares the kept messages (nothing is copied) and keeps the top
   * prompt. A cut between a tool call and its results is refused: providers reject either half alone.
   */
  contextCopy(n = 1): Dialog<TParsed> {
    const count = wholeNumber(n, 'contextCopy', 'n');
    const keep = Math.max(0, this.length - count);
    if (keep > 0 && this.at(keep)?.role === 'tool') {
      const callAt = this.#groupStart(keep);
      let groupEnd = keep;
      while (this.at(groupEnd)?.role === 'tool') groupEnd += 1;
      throw new InvalidArgumentError(
        `contextCopy(${count}) would cut between a tool call (message ${callAt}) and its result (message ${keep}); providers reject a call without its results. Use contextCopy(${this.length - callAt}) to drop the call too, or contextCopy(${this.length - groupEnd}) to keep its results.`,
        { argument: 'n' },
      );
    }
    return this.#branch<TParsed>(keep, 'context_copy', this.#topPrompt);
  }

  /** A dialog holding this one's first `count` messages, shared, not copied. */
  #branch<T>(count: number, branch: DialogBranch, topPrompt: PromptLike | undefined): Dialog<T> {
    // Share from the nearest dialog that holds those messages, so repeated forking (and forks of the
    // beginning of a long chain) do not build long chains.
    let base: Dialog | undefined = count > 0 ? this : undefined;
    while (base && (base.#own.length === 0 || count <= base.forkIndex) && base.#base) base = base.#base;
    return new Dialog<T>({ log: this.log, topPrompt }, { parent: this, base, forkIndex: count, branch });
  }

  /** The index of the tool call whose results include message `index` (the first message before it that is no tool result). */
  #groupStart(index: number): number {
    let start = index;
    while (start > 0 && this.at(start)?.role === 'tool') start -= 1;
    return start;
  }

  /** The exact cost of every reply in the dialog, including failed attempts that preceded them. */
  get cost(): Cost {
    const costs: Cost[] = [];
    for (const message of this.messages) {
      costs.push(message.cost);
      for (const attempt of message.attempts) if (attempt.message) costs.push(attempt.message.cost);
    }
    return sumCosts(costs);
  }

  /** A readable one-line-per-message summary. */
  overview(options: { width?: number } = {}): string {
    const width = options.width ?? 100;
    return this.messages
      .map((message, index) => {
        const from = `${message.role}${message.creator === message.role ? '' : ` (${message.creator})`}`;
        const prompt = message.promptPath ? ` [${message.promptPath}]` : '';
        const body =
          message.modality === 'image'
            ? `<image ${message.mediaType ?? ''}${message.caption ? `: ${message.caption}` : ''}>`
            : message.toolCalls.length > 0
              ? `${message.content ? `${truncate(message.content, 40)} ` : ''}calls ${message.toolCalls
                  .map((call) => `${call.name}(${truncate(JSON.stringify(call.arguments), 40)})`)
                  .join(', ')}`
              : truncate(message.content, width);
        const retries = message.attempts.length > 0 ? ` ⟲${message.attempts.length}` : '';
        return `${index}. ${from}${prompt}${retries}: ${body}`;
      })
      .join('\n');
  }

  toJSON(): DialogJSON {
    const json: DialogJSON = { id: this.id, branch: this.branch, messages: this.messages.map((message) => message.toJSON()) };
    if (this.parent) {
      json.parentId = this.parent.id;
      json.forkIndex = this.forkIndex;
    }
    if (this.#topPrompt) json.topPrompt = this.#topPrompt.path;
    return json;
  }

  /**
   * Restore a dialog from `toJSON()` output. `promptLookup` resolves the top prompt's path; a path
   * it cannot resolve is an error (pass a lookup that knows it, or drop `topPrompt`).
   */
  static fromJSON(json: DialogJSON, promptLookup?: PromptLookup, options: { log?: LogSession } = {}): Dialog {
    let topPrompt: PromptLike | undefined;
    if (json.topPrompt !== undefined) {
      topPrompt = promptLookup?.(json.topPrompt);
      // A plain-text message's temporary prompt is in no registry: it is made again.
      if (!topPrompt && isTextPromptPath(json.topPrompt)) topPrompt = textPrompt('', json.topPrompt);
      if (!topPrompt) {
        throw new NotFoundError(
          `Dialog ${json.id} was saved with top prompt "${json.topPrompt}", which the prompt lookup does not know. Register the prompt, or pass a lookup that resolves it.`,
          { what: 'prompt', key: json.topPrompt },
        );
      }
    }
    const dialog = new Dialog({ id: json.id, log: options.log, topPrompt });
    for (const message of json.messages) dialog.#append(Message.fromJSON(message), true);
    return dialog;
  }

  #logDialog(): void {
    if (!this.log) return;
    this.log.store.write('dialogs', this.log.session, {
      dialogId: this.id,
      parentDialogId: this.parent?.id ?? null,
      forkIndex: this.forkIndex,
      branch: this.branch,
      topPrompt: this.#topPrompt?.path ?? null,
      createdAt: Date.now(),
    });
  }
}

function wholeNumber(value: number, method: string, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${method}() needs ${name} as a whole number >= 0, got ${String(value)}.`, { argument: name });
  }
  return value;
}
