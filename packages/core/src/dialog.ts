import { randomUUID } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from './errors.js';
import { detectImageType } from './image.js';
import type { LogSession } from './log-store.js';
import { Message, type MessageJSON, type Role } from './message.js';
import { type Cost, sumCosts } from './model-card.js';
import type { PromptLike } from './prompt-like.js';
import { truncate } from './strings.js';

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
      limit = dialog.forkIndex;
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
      // A copy of a message logged elsewhere (contextCopy, restore): replays must not count it twice.
      ...(copied ? { copied: true } : {}),
      message: message.toJSON() as unknown as Record<string, unknown>,
    });
    return message;
  }

  /**
   * Render a prompt (or take a string) and append it. A prompt becomes the dialog's top prompt, so
   * the next reply is parsed by it. Returns the appended message; `ask()` does the same and
   * returns the dialog typed by the prompt, so `agent.call()` infers `parsed`.
   */
  sendMessage(prompt: PromptLike | string, args?: Readonly<Record<string, unknown>>, options: SendMessageOptions = {}): Message {
    const isPrompt = typeof prompt !== 'string';
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

  /** A dialog that starts with this one's messages, sharing them instead of copying. */
  fork<T = TParsed>(options: { branch?: 'fork' | 'exception'; topPrompt?: PromptLike<T> } = {}): Dialog<T> {
    // Skip links that hold no messages of their own so repeated forking does not build long chains.
    let base: Dialog = this;
    while (base.#own.length === 0 && base.#base) base = base.#base;
    return new Dialog<T>(
      { log: this.log, topPrompt: options.topPrompt ?? this.#topPrompt },
      { parent: this, base, forkIndex: this.length, branch: options.branch ?? 'fork' },
    );
  }

  /**
   * A fresh dialog holding the system message and the last `n` other messages: a trimmed context
   * for a sub-call. A tool result is never separated from the tool call it answers.
   */
  contextCopy(n: number): Dialog<TParsed> {
    if (!Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(`contextCopy(n) needs a whole number n >= 0, got ${String(n)}.`, { argument: 'n' });
    }
    const all = this.messages;
    const system = this.system;
    const body = system ? all.slice(1) : all;
    let start = Math.max(0, body.length - n);
    while (start > 0 && body[start]?.role === 'tool') start -= 1;
    const copy = new Dialog<TParsed>(
      { log: this.log, topPrompt: this.#topPrompt },
      { parent: this, base: undefined, forkIndex: 0, branch: 'context_copy' },
    );
    if (system) copy.#append(system, true);
    for (const message of n === 0 ? [] : body.slice(start)) copy.#append(message, true);
    return copy;
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
