import type { Agent, AgentCallOptions, AgentCallResult } from '../agent.js';
import type { Dialog, SendMessageOptions } from '../dialog.js';
import { InvalidArgumentError } from '../errors.js';
import type { Message } from '../message.js';
import type { PromptLike } from '../prompt-like.js';
import { closestMatches } from '../strings.js';
import type { TacticSession } from './session.js';

/**
 * An agent as a tactic's code sees it: the agent-call state machine plus named dialogs (upstream
 * LLLM's `open` / `fork` / `switch` / `receive` / `respond`), with every call recorded in the
 * tactic call's session. One is made per tactic call, so concurrent calls never share dialogs.
 */
export class TacticAgent {
  /** The configured agent. */
  readonly agent: Agent;
  readonly #session: TacticSession;
  readonly #logSession: string;
  readonly #signal: AbortSignal | undefined;
  readonly #dialogs = new Map<string, Dialog>();
  #current: string | undefined;

  constructor(agent: Agent, session: TacticSession, logSession: string, signal: AbortSignal | undefined) {
    this.agent = agent;
    this.#session = session;
    this.#logSession = logSession;
    this.#signal = signal;
  }

  /** The agent's name. */
  get name(): string {
    return this.agent.name;
  }

  /** Open a new dialog called `alias` (seeded with the rendered system prompt) and make it current. */
  open(alias = 'main', promptArgs?: Readonly<Record<string, unknown>>): Dialog {
    if (this.#dialogs.has(alias)) {
      throw new InvalidArgumentError(`Agent "${this.name}" already has a dialog "${alias}". Pick another alias, or switch("${alias}").`, {
        argument: 'alias',
      });
    }
    const dialog = this.agent.initDialog(promptArgs, this.#logSession);
    this.#dialogs.set(alias, dialog);
    this.#current = alias;
    return dialog;
  }

  /** Fork dialog `from` (default: the current one) as `alias`, sharing its prefix, and make the fork current. */
  fork(alias: string, from?: string): Dialog {
    const source = this.#get(from ?? this.#currentAlias('fork'));
    if (this.#dialogs.has(alias)) {
      throw new InvalidArgumentError(`Agent "${this.name}" already has a dialog "${alias}"; fork into a new alias.`, { argument: 'alias' });
    }
    const dialog = source.fork();
    this.#dialogs.set(alias, dialog);
    this.#current = alias;
    return dialog;
  }

  /** Make dialog `alias` current. */
  switch(alias: string): Dialog {
    const dialog = this.#get(alias);
    this.#current = alias;
    return dialog;
  }

  /** The current dialog. */
  get dialog(): Dialog {
    return this.#get(this.#currentAlias('dialog'));
  }

  /** The aliases of the open dialogs. */
  get aliases(): string[] {
    return [...this.#dialogs.keys()];
  }

  /**
   * Put a prompt (it becomes the dialog's top prompt) or text on the current dialog (opening `main` if
   * none is open). Text keeps the top prompt, so the agent's system prompt (its parser and tools)
   * answers it; pass `keepTopPrompt: false` for a temporary text prompt as `Dialog.sendMessage(text)`.
   */
  receive(prompt: PromptLike | string, args?: Readonly<Record<string, unknown>>, options?: SendMessageOptions): Message {
    if (this.#current === undefined) this.open();
    return this.agent.sendMessage(this.dialog, prompt, args, typeof prompt === 'string' ? { keepTopPrompt: true, ...options } : options);
  }

  /** Run an agent call on the current dialog (upstream's `respond`). */
  respond<T = unknown>(options?: Omit<AgentCallOptions, 'signal'>): Promise<AgentCallResult<T>> {
    return this.call<T>(this.dialog as Dialog<T>, options);
  }

  /** `receive(prompt, args)` then `respond()`: `parsed` takes the prompt's type. */
  ask<T>(
    prompt: PromptLike<T>,
    args?: Readonly<Record<string, unknown>>,
    options?: Omit<AgentCallOptions, 'signal'>,
  ): Promise<AgentCallResult<T>> {
    if (this.#current === undefined) this.open();
    return this.call(this.dialog.ask(prompt, args), options);
  }

  /** An agent call on any dialog, recorded in the session; the tactic call's signal applies. */
  async call<T>(dialog: Dialog<T>, options: AgentCallOptions = {}): Promise<AgentCallResult<T>> {
    const fromLength = dialog.length;
    const started = performance.now();
    const signal = options.signal && this.#signal ? AbortSignal.any([options.signal, this.#signal]) : (options.signal ?? this.#signal);
    try {
      const result = await this.agent.call(dialog, { ...options, ...(signal ? { signal } : {}) });
      this.#session.recordSuccess(this.name, result, fromLength, performance.now() - started);
      return result;
    } catch (error) {
      this.#session.recordFailure(this.name, error, dialog as Dialog, fromLength, performance.now() - started);
      throw error;
    }
  }

  #currentAlias(action: string): string {
    if (this.#current === undefined) {
      throw new InvalidArgumentError(`Agent "${this.name}" has no open dialog to ${action}: call open() first.`, { argument: 'alias' });
    }
    return this.#current;
  }

  #get(alias: string): Dialog {
    const dialog = this.#dialogs.get(alias);
    if (dialog) return dialog;
    const known = [...this.#dialogs.keys()];
    const suggestion = closestMatches(alias, known)[0];
    throw new InvalidArgumentError(
      `Agent "${this.name}" has no dialog "${alias}". Open: ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none (call open())'}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
      { argument: 'alias' },
    );
  }
}
