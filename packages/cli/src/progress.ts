// What `lllm run` shows while it works, on stderr: elapsed time, the agent and prompt at work, tokens
// and cost so far, and a note for every parse retry, bad tool call, failed request and rate-limit
// wait. It reads the entries the run logs (RunLog's onWrite), so it needs no hook in the agent.
import { type Cost, costOf, type JsonObject, type LogCollection, type SpinnerHandle, sumCosts, type Usage } from '@lllm/core';
import { shown } from './commands/shared.js';
import type { Style } from './io.js';

/** Where progress goes and how it looks. */
export interface ProgressOptions {
  readonly stderr: { write(text: string): unknown };
  /** A terminal: one live status line; otherwise plain lines, one per event. */
  readonly tty: boolean;
  readonly paint: (style: Style, text: string) => string;
  /** The system's name, first on the status line. */
  readonly label: string;
  /** Milliseconds now (tests pass a clock). */
  readonly now?: () => number;
}

/** Token totals of the run so far. */
export interface ProgressTotals {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly replies: number;
  readonly parseRetries: number;
  readonly failedRequests: number;
  readonly rateLimitWaits: number;
  readonly rateLimitWaitedMs: number;
  readonly cost: Cost;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

interface LoggedAttempt {
  readonly kind?: string;
  readonly error?: string;
  readonly provider?: { readonly errorKind?: string; readonly waitMs?: number };
}

/** The live progress of one `lllm run`. */
export class RunProgress {
  readonly #options: ProgressOptions;
  readonly #now: () => number;
  readonly #started: number;
  readonly #costs: Cost[] = [];
  #spinner: SpinnerHandle | undefined;
  #timer: NodeJS.Timeout | undefined;
  #agent = '';
  #prompt = '';
  #totals = { inputTokens: 0, outputTokens: 0, replies: 0, parseRetries: 0, failedRequests: 0, rateLimitWaits: 0, rateLimitWaitedMs: 0 };

  constructor(options: ProgressOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
  }

  /** Drive `spinner`'s label (on a terminal, refreshed every second for the elapsed time). */
  attach(spinner: SpinnerHandle): void {
    this.#spinner = spinner;
    if (this.#options.tty) {
      this.#timer = setInterval(() => spinner.update(this.status()), 1000);
      this.#timer.unref();
    }
  }

  /** Stop refreshing. */
  detach(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#spinner = undefined;
  }

  get totals(): ProgressTotals {
    return { ...this.#totals, cost: sumCosts(this.#costs) };
  }

  /** Seconds since the run started. */
  get elapsedMs(): number {
    return this.#now() - this.#started;
  }

  /** The status line: system · agent · prompt · tokens · cost · elapsed. */
  status(): string {
    const cost = sumCosts(this.#costs);
    return [
      this.#options.label,
      this.#agent && shown(this.#agent),
      this.#prompt && shown(this.#prompt),
      `${this.#totals.inputTokens}+${this.#totals.outputTokens} tok`,
      `${cost.known ? '' : '≥ '}$${cost.totalUsd.toFixed(6)}`,
      seconds(this.elapsedMs),
    ]
      .filter(Boolean)
      .join(' · ');
  }

  #line(style: Style, text: string): void {
    // On a terminal the spinner owns the current line: clear it, print, and the next frame redraws it.
    this.#options.stderr.write(`${this.#options.tty ? '\r\u001b[K' : ''}${this.#options.paint(style, text)}\n`);
  }

  /** See one logged entry (RunLog's onWrite). Never throws. */
  observe(collection: LogCollection, data: JsonObject): void {
    try {
      if (collection === 'messages') this.#message(data);
    } catch {
      // Progress is best effort: a strange entry never stops a run.
    }
  }

  #message(data: JsonObject): void {
    const message = data.message as Record<string, unknown> | undefined;
    if (!message || data.copied === true) return;
    const role = String(message.role);
    const agent = String(message.creator ?? '');
    if (role === 'user' || role === 'system') {
      if (typeof message.promptPath === 'string') this.#prompt = message.promptPath;
      return;
    }
    if (role !== 'assistant' && role !== 'tool_call') return;
    this.#agent = agent;
    if (typeof message.promptPath === 'string') this.#prompt = message.promptPath;
    const usage = message.usage as Usage | undefined;
    if (usage) {
      this.#totals.inputTokens += (usage.inputTokens ?? 0) + (usage.cachedInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
      this.#totals.outputTokens += usage.outputTokens ?? 0;
      this.#costs.push(costOf(typeof message.model === 'string' ? message.model : undefined, usage));
    }
    const attempts = Array.isArray(message.attempts) ? (message.attempts as LoggedAttempt[]) : [];
    const provider = data.pruned === true ? attempts.find((attempt) => attempt.kind === 'provider') : undefined;
    const where = `${shown(agent)}${this.#prompt ? ` (${shown(this.#prompt)})` : ''}`;
    if (provider) {
      this.#totals.failedRequests += 1;
      const wait = provider.provider?.waitMs;
      if (provider.provider?.errorKind === 'rate_limit') {
        this.#totals.rateLimitWaits += 1;
        this.#totals.rateLimitWaitedMs += wait ?? 0;
        this.#line('yellow', `! ${where}: rate limited${wait === undefined ? '' : `, waiting ${seconds(wait)}`}`);
      } else {
        this.#line(
          'yellow',
          `! ${where}: request failed (${shown(provider.provider?.errorKind ?? 'error')})${wait === undefined ? '' : `, retrying in ${seconds(wait)}`}`,
        );
      }
    } else if (data.pruned === true) {
      this.#totals.parseRetries += 1;
      this.#line(
        'yellow',
        `! ${where}: ${role === 'tool_call' ? 'bad tool call' : 'reply did not parse'}, asking again (retry ${this.#totals.parseRetries})`,
      );
    } else {
      this.#totals.replies += 1;
      if (!this.#options.tty) this.#line('dim', `· ${where} replied · ${this.status()}`);
    }
    this.#spinner?.update(this.status());
  }
}
