import { styleText } from 'node:util';
import {
  AGENT_CALL_ERROR_EVENT,
  type AgentCallErrorRecord,
  type Cost,
  costOf,
  type DialogBranch,
  type LogStore,
  Message,
  type MessageJSON,
  NotFoundError,
  ROLES,
  redactSecrets,
  redactString,
  sumCosts,
} from '@lllm/core';
import { escapeControlCharacters, truncate } from '@lllm/core/utils';
import { LogStoreError } from './errors.js';
import { findSessionEnd, type SessionEnd } from './session-end.js';

/** One logged message of a dialog. */
export interface ReplayMessage {
  readonly dialogId: string;
  /** Position in its dialog (forks continue their parent's numbering). */
  readonly index: number;
  /** Part of a pruned exception branch. */
  readonly pruned: boolean;
  /** A copy of a message logged elsewhere (the last part of `fork(lastN)`, a restored dialog): not counted twice. */
  readonly copied: boolean;
  readonly time: number;
  readonly message: Message;
  /**
   * For a model reply: how long the request took, in ms. A failed request's own `durationMs`; for a
   * reply, the time from the message the request followed (the last one logged before it in its
   * dialog, or in the parent for a fork's first message) to the reply. Null for other messages.
   */
  readonly latencyMs: number | null;
}

/** One logged dialog with its lineage. */
export interface ReplayDialog {
  readonly id: string;
  readonly parentId: string | null;
  readonly forkIndex: number;
  readonly branch: DialogBranch;
  readonly topPrompt: string | null;
  readonly createdAt: number;
  readonly messages: readonly ReplayMessage[];
  /** Dialogs forked from this one. */
  readonly children: readonly ReplayDialog[];
}

/** Anything that happened, in time order. */
export type ReplayActivity =
  | { readonly kind: 'dialog'; readonly time: number; readonly sequence: number; readonly dialog: ReplayDialog }
  | { readonly kind: 'message'; readonly time: number; readonly sequence: number; readonly message: ReplayMessage }
  | { readonly kind: 'frontend'; readonly time: number; readonly sequence: number; readonly event: Readonly<Record<string, unknown>> };

/** The error that ended a failed agent call, as logged (`AGENT_CALL_ERROR_EVENT` records), with when it was written. */
export type ReplayCallError = AgentCallErrorRecord & { readonly time: number };

/** Token totals. */
export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteInputTokens: number;
  reasoningTokens: number;
}

/** What one agent (a reply `creator`) did and cost. */
export interface AgentSummary {
  readonly agent: string;
  /** Accepted replies. */
  readonly replies: number;
  /** Failed attempts that were pruned: parse failures, bad tool calls and failed provider requests (one per request). */
  readonly retries: number;
  /** Tool calls in accepted replies. */
  readonly toolCalls: number;
  readonly tokens: TokenTotals;
  readonly cost: Cost;
  /** The latency of its accepted replies, summed, in ms. */
  readonly latencyMs: number;
  /** The mean latency of its accepted replies, in ms (0 with none). */
  readonly meanLatencyMs: number;
  /** The slowest accepted reply, in ms. */
  readonly maxLatencyMs: number;
  /** Rate-limit waits after its failed requests: how many and how long in total (ms). */
  readonly rateLimitWaits: number;
  readonly rateLimitWaitMs: number;
}

const REPLY_ROLES = new Set(['assistant', 'tool_call']);

/** Where a store keeps its entries, for error messages. */
function storeLocation(store: LogStore): string {
  const located = store as { path?: unknown; root?: unknown };
  return typeof located.path === 'string' ? located.path : typeof located.root === 'string' ? located.root : `the ${store.type} store`;
}

/** A logged message's JSON, checked enough that `Message.fromJSON` rebuilds a message from it. */
function isMessageJson(value: unknown): value is MessageJSON {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const json = value as Record<string, unknown>;
  return (
    ROLES.includes(json.role as (typeof ROLES)[number]) &&
    typeof json.content === 'string' &&
    typeof json.creator === 'string' &&
    (json.toolCalls === undefined || Array.isArray(json.toolCalls)) &&
    (json.attempts === undefined || Array.isArray(json.attempts))
  );
}

function emptyTokens(): TokenTotals {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

function addTokens(totals: TokenTotals, message: Message): void {
  const usage = message.usage;
  if (!usage) return;
  totals.inputTokens += usage.inputTokens;
  totals.outputTokens += usage.outputTokens;
  totals.cachedInputTokens += usage.cachedInputTokens ?? 0;
  totals.cacheWriteInputTokens += usage.cacheWriteInputTokens ?? 0;
  totals.reasoningTokens += usage.reasoningTokens ?? 0;
}

/**
 * A logged session, rebuilt for auditing and replay: its dialogs with their lineage, each dialog's
 * messages, frontend events, every activity in time order, and tokens, cost, retries and tool calls
 * per agent. Every model reply is counted once: accepted replies in their dialogs, failed ones in
 * their pruned branches.
 */
export class ReplaySession {
  readonly session: string;
  readonly dialogs: readonly ReplayDialog[];
  readonly frontend: readonly Readonly<Record<string, unknown>>[];
  readonly activities: readonly ReplayActivity[];
  readonly tokens: TokenTotals;
  readonly cost: Cost;
  readonly agents: readonly AgentSummary[];
  /** The session's end marker (`writeSessionEnd`): undefined while it runs, or when its process was killed outright. */
  readonly end: SessionEnd | undefined;
  /** Agent calls that failed: their kind, message and attempts (each attempt is also a pruned message). */
  readonly callErrors: readonly ReplayCallError[];
  /** Time spent waiting on rate limits, in ms (the waits logged with failed requests). */
  readonly rateLimitWaitMs: number;

  private constructor(
    session: string,
    dialogs: ReplayDialog[],
    frontend: Readonly<Record<string, unknown>>[],
    activities: ReplayActivity[],
    callErrors: ReplayCallError[] = [],
  ) {
    this.session = session;
    this.callErrors = callErrors;
    this.dialogs = dialogs;
    this.frontend = frontend;
    this.activities = activities;
    this.end = findSessionEnd(frontend);
    const tokens = emptyTokens();
    const costs: Cost[] = [];
    const perAgent = new Map<
      string,
      {
        replies: number;
        retries: number;
        toolCalls: number;
        tokens: TokenTotals;
        costs: Cost[];
        latencies: number[];
        rateLimitWaits: number;
        rateLimitWaitMs: number;
      }
    >();
    let rateLimitWaitMs = 0;
    for (const dialog of dialogs) {
      for (const entry of dialog.messages) {
        const { message } = entry;
        if (entry.copied || !REPLY_ROLES.has(message.role)) continue;
        const agent = perAgent.get(message.creator) ?? {
          replies: 0,
          retries: 0,
          toolCalls: 0,
          tokens: emptyTokens(),
          costs: [],
          latencies: [],
          rateLimitWaits: 0,
          rateLimitWaitMs: 0,
        };
        for (const attempt of entry.pruned ? message.attempts : []) {
          if (attempt.provider?.errorKind !== 'rate_limit') continue;
          agent.rateLimitWaits += 1;
          agent.rateLimitWaitMs += attempt.provider.waitMs ?? 0;
          rateLimitWaitMs += attempt.provider.waitMs ?? 0;
        }
        const cost = costOf(message.model, message.usage);
        addTokens(tokens, message);
        addTokens(agent.tokens, message);
        costs.push(cost);
        agent.costs.push(cost);
        if (entry.pruned) agent.retries += 1;
        else {
          agent.replies += 1;
          agent.toolCalls += message.toolCalls.length;
          if (entry.latencyMs !== null) agent.latencies.push(entry.latencyMs);
        }
        perAgent.set(message.creator, agent);
      }
    }
    this.tokens = tokens;
    this.rateLimitWaitMs = rateLimitWaitMs;
    this.cost = sumCosts(costs);
    this.agents = [...perAgent].map(([agent, summary]) => ({
      agent,
      replies: summary.replies,
      retries: summary.retries,
      toolCalls: summary.toolCalls,
      tokens: summary.tokens,
      cost: sumCosts(summary.costs),
      latencyMs: summary.latencies.reduce((sum, value) => sum + value, 0),
      meanLatencyMs: summary.latencies.length
        ? Math.round(summary.latencies.reduce((sum, value) => sum + value, 0) / summary.latencies.length)
        : 0,
      maxLatencyMs: Math.max(0, ...summary.latencies),
      rateLimitWaits: summary.rateLimitWaits,
      rateLimitWaitMs: summary.rateLimitWaitMs,
    }));
  }

  /** Read a session from a store. An unknown session is a `NotFoundError` listing recent ones. */
  static async load(store: LogStore, session: string): Promise<ReplaySession> {
    await store.flush();
    const [dialogEntries, messageEntries, frontendEntries] = await Promise.all([
      store.read('dialogs', session),
      store.read('messages', session),
      store.read('frontend', session),
    ]);
    if (dialogEntries.length + messageEntries.length + frontendEntries.length === 0) {
      const recent = (await store.sessions({ limit: 5 })).map((info) => info.session);
      throw new NotFoundError(
        `No logged session "${session}" in the ${store.type} store.${recent.length ? ` Recent sessions: ${recent.map((name) => `"${name}"`).join(', ')}.` : ' The store is empty.'}`,
        { what: 'session', key: session, suggestions: recent },
      );
    }
    const byId = new Map<
      string,
      { record: Omit<ReplayDialog, 'messages' | 'children'>; messages: ReplayMessage[]; children: ReplayDialog[] }
    >();
    const activities: ReplayActivity[] = [];
    for (const entry of dialogEntries) {
      const data = entry.data;
      const id = String(data.dialogId);
      byId.set(id, {
        record: {
          id,
          parentId: typeof data.parentDialogId === 'string' ? data.parentDialogId : null,
          forkIndex: Number(data.forkIndex ?? 0),
          branch: (data.branch as DialogBranch) ?? 'root',
          topPrompt: typeof data.topPrompt === 'string' ? data.topPrompt : null,
          createdAt: Number(data.createdAt ?? entry.time),
        },
        messages: [],
        children: [],
      });
    }
    const messageActivities: { time: number; sequence: number; message: ReplayMessage }[] = [];
    const callErrors: ReplayCallError[] = [];
    for (const entry of messageEntries) {
      const data = entry.data;
      // Records without a message (other kinds of entries) are not messages of a dialog.
      if (data.message === undefined) {
        if (data.event === AGENT_CALL_ERROR_EVENT) callErrors.push({ ...(data as unknown as AgentCallErrorRecord), time: entry.time });
        continue;
      }
      if (!isMessageJson(data.message) || typeof data.dialogId !== 'string') {
        throw new LogStoreError(
          `Entry ${entry.sequence} of session "${session}" in ${storeLocation(store)} is not a logged message (it needs a dialogId and a message with a role, content and creator): the log was changed by something other than LLLM. Remove that entry or restore the log from a backup.`,
          { path: storeLocation(store) },
        );
      }
      const dialogId = data.dialogId;
      let message: Message;
      try {
        message = Message.fromJSON(data.message);
      } catch (error) {
        throw new LogStoreError(
          `Entry ${entry.sequence} of session "${session}" in ${storeLocation(store)} holds a message LLLM cannot rebuild (${error instanceof Error ? error.message : String(error)}). Remove that entry or restore the log from a backup.`,
          { path: storeLocation(store), cause: error },
        );
      }
      const replay: ReplayMessage = {
        dialogId,
        index: Number(data.index ?? 0),
        pruned: data.pruned === true,
        copied: data.copied === true,
        time: entry.time,
        message,
        latencyMs: null,
      };
      // A dialog whose record was not logged (logging started mid-way) still appears, as a root.
      if (!byId.has(dialogId)) {
        byId.set(dialogId, {
          record: {
            id: dialogId,
            parentId: null,
            forkIndex: 0,
            branch: replay.pruned ? 'exception' : 'root',
            topPrompt: null,
            createdAt: entry.time,
          },
          messages: [],
          children: [],
        });
      }
      byId.get(dialogId)?.messages.push(replay);
      messageActivities.push({ time: entry.time, sequence: entry.sequence, message: replay });
    }
    const built = new Map<string, ReplayDialog>();
    for (const [id, { record, messages, children }] of byId) built.set(id, { ...record, messages, children });
    const roots: ReplayDialog[] = [];
    for (const dialog of built.values()) {
      const parent = dialog.parentId ? byId.get(dialog.parentId) : undefined;
      if (parent) parent.children.push(dialog);
      else roots.push(dialog);
    }
    measureLatency(built);
    for (const entry of dialogEntries) {
      const dialog = built.get(String(entry.data.dialogId));
      if (dialog) activities.push({ kind: 'dialog', time: entry.time, sequence: entry.sequence, dialog });
    }
    for (const item of messageActivities) activities.push({ kind: 'message', ...item });
    for (const entry of frontendEntries)
      activities.push({ kind: 'frontend', time: entry.time, sequence: entry.sequence, event: entry.data });
    activities.sort((a, b) => a.time - b.time || a.sequence - b.sequence);
    return new ReplaySession(
      session,
      [...built.values()].sort((a, b) => a.createdAt - b.createdAt),
      frontendEntries.map((entry) => entry.data),
      activities,
      callErrors,
    );
  }

  /** Dialogs that were not forked from another logged dialog, oldest first. */
  get roots(): ReplayDialog[] {
    const ids = new Set(this.dialogs.map((dialog) => dialog.id));
    return this.dialogs.filter((dialog) => !dialog.parentId || !ids.has(dialog.parentId));
  }

  /** A dialog by id. */
  dialog(id: string): ReplayDialog | undefined {
    return this.dialogs.find((dialog) => dialog.id === id);
  }

  /** A JSON summary (what the replay viewer serves). */
  toJSON(): Record<string, unknown> {
    const dialog = (item: ReplayDialog): Record<string, unknown> => ({
      id: item.id,
      parentId: item.parentId,
      forkIndex: item.forkIndex,
      branch: item.branch,
      topPrompt: item.topPrompt,
      createdAt: item.createdAt,
      messages: item.messages.map((entry) => ({
        index: entry.index,
        pruned: entry.pruned,
        copied: entry.copied,
        time: entry.time,
        latencyMs: entry.latencyMs,
        cost: costOf(entry.message.model, entry.message.usage),
        message: entry.message.toJSON(),
      })),
      children: item.children.map((child) => child.id),
    });
    return {
      session: this.session,
      dialogs: this.dialogs.map(dialog),
      roots: this.roots.map((root) => root.id),
      frontend: this.frontend,
      tokens: this.tokens,
      cost: this.cost,
      agents: this.agents,
      callErrors: this.callErrors,
      rateLimitWaitMs: this.rateLimitWaitMs,
      end: this.end ?? null,
    };
  }
}

/** Set each model reply's `latencyMs` (see {@link ReplayMessage.latencyMs}). */
function measureLatency(dialogs: ReadonlyMap<string, ReplayDialog>): void {
  const before = (dialog: ReplayDialog | undefined, index: number, depth = 0): number | undefined => {
    if (!dialog || depth > 64) return undefined;
    let found: ReplayMessage | undefined;
    for (const entry of dialog.messages) if (entry.index < index && (!found || entry.index > found.index)) found = entry;
    return found?.time ?? (dialog.parentId ? before(dialogs.get(dialog.parentId), index, depth + 1) : undefined);
  };
  for (const dialog of dialogs.values()) {
    for (const entry of dialog.messages) {
      if (entry.copied || !REPLY_ROLES.has(entry.message.role)) continue;
      const failed = entry.pruned ? entry.message.attempts.find((attempt) => attempt.provider) : undefined;
      const start = failed ? undefined : before(dialog, entry.index);
      const latency = failed?.provider ? failed.provider.durationMs : start === undefined ? null : Math.max(0, entry.time - start);
      (entry as { latencyMs: number | null }).latencyMs = latency;
    }
  }
}

/** A duration for people: `850 ms`, `2.4 s`, `3 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Options of `renderTranscript`. */
export interface TranscriptOptions {
  /** ANSI colours (default false). */
  readonly color?: boolean;
  /** Longest text shown per message before it is cut (default 600 characters). */
  readonly width?: number;
}

function money(cost: Cost): string {
  return `${cost.known ? '' : '≥ '}$${cost.totalUsd.toFixed(6)}`;
}

/**
 * A readable terminal transcript of a session: who said what and through which prompt, tool calls
 * and their results, pruned retries marked, forks, and the cost per agent.
 */
export function renderTranscript(replay: ReplaySession, options: TranscriptOptions = {}): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    options.color ? styleText(style, text, { validateStream: false }) : text;
  // Everything from the log is data: secrets redacted (values before they are serialized, never a
  // regex over JSON text), control characters shown as escapes, never obeyed by the terminal. Only
  // `paint` adds escape sequences.
  const t = (text: string) => escapeControlCharacters(redactString(text));
  const width = options.width ?? 600;
  const lines: string[] = [];
  const tokens = replay.tokens;
  lines.push(paint('bold', `Session ${t(replay.session)}`));
  lines.push(
    `${replay.dialogs.length} dialogs · ${tokens.inputTokens + tokens.cachedInputTokens + tokens.cacheWriteInputTokens} input tokens (${tokens.cachedInputTokens} cached) · ${tokens.outputTokens} output tokens · ${money(replay.cost)}`,
  );
  if (replay.rateLimitWaitMs > 0) lines.push(paint('yellow', `waited ${formatDuration(replay.rateLimitWaitMs)} on rate limits`));
  const renderDialog = (dialog: ReplayDialog, depth: number) => {
    const indent = '  '.repeat(depth);
    const label =
      dialog.branch === 'exception'
        ? paint('yellow', `✂ pruned retry branch ${t(dialog.id.slice(0, 8))} (forked at message ${dialog.forkIndex})`)
        : dialog.branch === 'root'
          ? `dialog ${t(dialog.id.slice(0, 8))}`
          : `${t(dialog.branch)} ${t(dialog.id.slice(0, 8))} of ${t(dialog.parentId?.slice(0, 8) ?? '?')} at message ${dialog.forkIndex}`;
    lines.push('');
    lines.push(`${indent}${paint('dim', '──')} ${label} ${paint('dim', '──')}`);
    for (const entry of dialog.messages) {
      const { message } = entry;
      const time = new Date(entry.time).toISOString().slice(11, 19);
      const prompt = message.promptPath ? paint('dim', ` [${t(message.promptPath)}]`) : '';
      const who = t(message.role === message.creator ? message.role : `${message.role} · ${message.creator}`);
      const mark = entry.pruned ? paint('yellow', ' ✂ pruned') : '';
      const cost =
        REPLY_ROLES.has(message.role) && message.usage
          ? paint(
              'dim',
              ` (${message.usage.inputTokens}+${message.usage.outputTokens} tok, ${money(costOf(message.model, message.usage))}${entry.latencyMs === null ? '' : `, ${formatDuration(entry.latencyMs)}`})`,
            )
          : '';
      lines.push(`${indent}${paint('dim', time)} ${paint('cyan', who)}${prompt}${mark}${cost}`);
      const body =
        message.modality === 'image'
          ? t(`<image ${message.mediaType ?? ''}${message.caption ? `: ${message.caption}` : ''}>`)
          : t(truncate(message.content, width));
      if (body) lines.push(`${indent}  ${body}`);
      for (const call of message.toolCalls)
        lines.push(
          `${indent}  ${paint('magenta', '→')} ${t(call.name)}(${escapeControlCharacters(truncate(JSON.stringify(redactSecrets(call.arguments)), 200))})`,
        );
      for (const attempt of message.attempts) {
        lines.push(`${indent}  ${paint('yellow', `⟲ retry (${t(attempt.kind)})`)}: ${t(truncate(attempt.error, 200))}`);
      }
    }
    for (const child of dialog.children) renderDialog(child, depth + 1);
  };
  for (const root of replay.roots) renderDialog(root, 0);
  for (const failure of replay.callErrors) {
    lines.push('');
    lines.push(
      paint(
        'red',
        `✗ agent ${t(failure.agent)} failed (${t(failure.kind)}) after ${failure.attempts.length} failed attempts: ${t(truncate(failure.error, width))}`,
      ),
    );
  }
  if (replay.agents.length > 0) {
    lines.push('');
    lines.push(paint('bold', 'By agent'));
    for (const agent of replay.agents) {
      lines.push(
        `  ${t(agent.agent)}: ${agent.replies} replies, ${agent.retries} pruned retries, ${agent.toolCalls} tool calls, ${agent.tokens.inputTokens + agent.tokens.cachedInputTokens}+${agent.tokens.outputTokens} tokens, ${money(agent.cost)}, latency ${formatDuration(agent.meanLatencyMs)} mean / ${formatDuration(agent.maxLatencyMs)} max${agent.rateLimitWaits ? `, ${agent.rateLimitWaits} rate-limit waits (${formatDuration(agent.rateLimitWaitMs)})` : ''}`,
      );
    }
  }
  const end = replay.end;
  if (end) {
    lines.push('');
    lines.push(paint(end.status === 'completed' ? 'green' : 'yellow', `Ended: ${end.status}${end.reason ? ` (${t(end.reason)})` : ''}`));
  }
  return lines.join('\n');
}
