import type { AgentCallResult } from '../agent.js';
import type { Dialog } from '../dialog.js';
import { AbortError, AgentCallError } from '../errors.js';
import type { FailedAttempt, Message } from '../message.js';
import { type Cost, sumCosts } from '../model-card.js';

/** The `event` of the record a tactic call writes to its log session (collection `messages`). */
export const TACTIC_SESSION_EVENT = 'tactic-session';

/** Token counts summed over every request of a call. */
export interface TokenTotals {
  readonly input: number;
  readonly output: number;
  readonly cachedInput: number;
  readonly cacheWriteInput: number;
  readonly reasoning: number;
}

/** What the agent calls of one agent (or of a whole tactic call) did. */
export interface AgentCallTotals {
  /** Agent calls made (successful and failed). */
  readonly calls: number;
  /** Agent calls that ended in an error. */
  readonly failedCalls: number;
  /** Model requests sent: accepted replies, replies that failed to parse, failed provider requests. */
  readonly requests: number;
  /** Failed attempts by kind (`parse`, `tool_call`, `provider`). */
  readonly attempts: Readonly<Record<string, number>>;
  /** Tool calls made. */
  readonly toolCalls: number;
  readonly tokens: TokenTotals;
  /** The exact cost in US dollars, and whether every part of it was priced. */
  readonly costUsd: number;
  readonly costKnown: boolean;
  /** Time spent inside agent calls, summed (calls may overlap). */
  readonly callMs: number;
}

/** The summary of one tactic call, returned with its result and logged with the run. */
export interface TacticSessionSummary extends AgentCallTotals {
  readonly event: typeof TACTIC_SESSION_EVENT;
  readonly tactic: string;
  /** The log session the call's dialogs were written to. */
  readonly session: string;
  readonly state: 'running' | 'success' | 'failure';
  /** The error that ended the call, when it failed (`Name: message`). */
  readonly error?: string;
  readonly startedAt: number;
  /** Wall time of the whole call in ms. */
  readonly wallMs: number;
  /** The same totals per agent name. */
  readonly agents: Readonly<Record<string, AgentCallTotals>>;
  /** Sub-tactic calls made, in the order they finished. */
  readonly subTactics: readonly TacticSessionSummary[];
}

interface CallRecord {
  readonly agent: string;
  readonly failed: boolean;
  readonly replies: readonly Message[];
  readonly attempts: readonly FailedAttempt[];
  readonly toolCalls: number;
  readonly cost: Cost;
  readonly ms: number;
}

const ZERO_TOKENS: TokenTotals = { input: 0, output: 0, cachedInput: 0, cacheWriteInput: 0, reasoning: 0 };

/**
 * Everything one tactic call did: each agent call (with its attempts, tool calls, tokens and exact
 * cost), the sub-tactic calls, and the wall time. Agents handed to a tactic record into it.
 */
export class TacticSession {
  readonly tactic: string;
  readonly session: string;
  readonly startedAt = Date.now();
  readonly #records: CallRecord[] = [];
  readonly #subTactics: TacticSession[] = [];
  #state: TacticSessionSummary['state'] = 'running';
  #error: string | undefined;
  #endedAt: number | undefined;

  constructor(tactic: string, session: string) {
    this.tactic = tactic;
    this.session = session;
  }

  /** Record a successful agent call; `fromLength` is the dialog's length when the call started. */
  recordSuccess(agent: string, result: AgentCallResult<unknown>, fromLength: number, ms: number): void {
    this.#records.push({
      agent,
      failed: false,
      replies: repliesSince(result.dialog, fromLength, agent),
      attempts: result.attempts,
      toolCalls: result.calls.length,
      cost: result.cost,
      ms,
    });
  }

  /** Record a failed agent call (an `AgentCallError`, an abort, anything thrown). */
  recordFailure(agent: string, error: unknown, dialog: Dialog, fromLength: number, ms: number): void {
    const attempts = AgentCallError.isInstance(error) ? error.attempts : [];
    const replies = repliesSince(dialog, fromLength, agent);
    const costs = [...replies.map((reply) => reply.cost), ...attemptMessages(attempts).map((message) => message.cost)];
    this.#records.push({
      agent,
      failed: true,
      replies,
      attempts,
      toolCalls: replies.reduce((count, reply) => count + reply.toolCalls.length, 0),
      cost: sumCosts(costs),
      ms,
    });
  }

  /** Add the session of a sub-tactic call. */
  recordSubTactic(session: TacticSession): void {
    this.#subTactics.push(session);
  }

  /** End the call. */
  finish(error?: unknown): void {
    this.#endedAt = Date.now();
    if (error === undefined) this.#state = 'success';
    else {
      this.#state = 'failure';
      this.#error = AbortError.isInstance(error)
        ? `AbortError: ${error.message}`
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    }
  }

  /** The exact cost so far, sub-tactics included. */
  get cost(): Cost {
    return sumCosts([...this.#records.map((record) => record.cost), ...this.#subTactics.map((sub) => sub.cost)]);
  }

  /** A JSON summary: totals, per agent, sub-tactics. */
  summary(): TacticSessionSummary {
    const subTactics = this.#subTactics.map((sub) => sub.summary());
    const own = totals(this.#records);
    const perAgent: Record<string, AgentCallTotals> = {};
    const agents = new Set<string>();
    for (const record of this.#records) agents.add(record.agent);
    // One agent (the usual tactic call): its totals are the call's own.
    if (agents.size === 1) for (const agent of agents) perAgent[agent] = own;
    else for (const agent of agents) perAgent[agent] = totals(this.#records.filter((record) => record.agent === agent));
    if (subTactics.length === 0) return this.#summaryOf(own, perAgent, subTactics);
    const all = [own, ...subTactics];
    const cost = this.cost;
    return this.#summaryOf(
      {
        calls: sum(all, (part) => part.calls),
        failedCalls: sum(all, (part) => part.failedCalls),
        requests: sum(all, (part) => part.requests),
        attempts: mergeCounts(all.map((part) => part.attempts)),
        toolCalls: sum(all, (part) => part.toolCalls),
        tokens: addTokens(all.map((part) => part.tokens)),
        costUsd: cost.totalUsd,
        costKnown: cost.known,
        callMs: sum(all, (part) => part.callMs),
      },
      perAgent,
      subTactics,
    );
  }

  #summaryOf(
    all: AgentCallTotals,
    agents: Record<string, AgentCallTotals>,
    subTactics: readonly TacticSessionSummary[],
  ): TacticSessionSummary {
    return {
      event: TACTIC_SESSION_EVENT,
      tactic: this.tactic,
      session: this.session,
      state: this.#state,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      startedAt: this.startedAt,
      wallMs: (this.#endedAt ?? Date.now()) - this.startedAt,
      ...all,
      agents,
      subTactics,
    };
  }
}

function repliesSince(dialog: Dialog, fromLength: number, agent: string): Message[] {
  return dialog.messages.slice(fromLength).filter((message) => message.creator === agent && message.role !== 'tool');
}

function attemptMessages(attempts: readonly FailedAttempt[]): Message[] {
  return attempts.flatMap((attempt) => (attempt.message ? [attempt.message] : []));
}

function totals(records: readonly CallRecord[]): AgentCallTotals {
  const attempts: Record<string, number> = {};
  const usages = [];
  let requests = 0;
  for (const record of records) {
    for (const attempt of record.attempts) attempts[attempt.kind] = (attempts[attempt.kind] ?? 0) + 1;
    // Each accepted reply and each failed attempt was one request; a failed attempt's reply (if any) carries its usage.
    requests += record.replies.length + record.attempts.length;
    usages.push(...record.replies.map((reply) => reply.usage), ...attemptMessages(record.attempts).map((message) => message.usage));
  }
  const cost = sumCosts(records.map((record) => record.cost));
  return {
    calls: records.length,
    failedCalls: records.filter((record) => record.failed).length,
    requests,
    attempts,
    toolCalls: sum(records, (record) => record.toolCalls),
    tokens: addTokens(
      usages.map((usage) =>
        usage
          ? {
              input: usage.inputTokens,
              output: usage.outputTokens,
              cachedInput: usage.cachedInputTokens ?? 0,
              cacheWriteInput: usage.cacheWriteInputTokens ?? 0,
              reasoning: usage.reasoningTokens ?? 0,
            }
          : ZERO_TOKENS,
      ),
    ),
    costUsd: cost.totalUsd,
    costKnown: cost.known,
    callMs: sum(records, (record) => record.ms),
  };
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}

function addTokens(parts: readonly TokenTotals[]): TokenTotals {
  return {
    input: sum(parts, (part) => part.input),
    output: sum(parts, (part) => part.output),
    cachedInput: sum(parts, (part) => part.cachedInput),
    cacheWriteInput: sum(parts, (part) => part.cacheWriteInput),
    reasoning: sum(parts, (part) => part.reasoning),
  };
}

function mergeCounts(parts: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const part of parts) for (const [key, value] of Object.entries(part)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}
