import type { LogStore } from '@lllm/core';

/** How a logged session ended. */
export type SessionStatus = 'completed' | 'failed' | 'cancelled';

/** The session's end marker: the last `frontend` event of a session that ended on purpose. */
export interface SessionEnd {
  readonly type: 'session-end';
  readonly status: SessionStatus;
  /** Why, in a few words: the signal (`SIGINT`), the error message. */
  readonly reason?: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

const STATUSES: readonly SessionStatus[] = ['completed', 'failed', 'cancelled'];

/**
 * Mark `session` as ended (queued like any write; `flush()` or `close()` the store to make it durable).
 * A session without a marker was still running when it was read, or its process was killed outright.
 */
export function writeSessionEnd(store: LogStore, session: string, status: SessionStatus, reason?: string): SessionEnd {
  const end: SessionEnd = { type: 'session-end', status, ...(reason === undefined ? {} : { reason }), at: Date.now() };
  store.write('frontend', session, { ...end });
  return end;
}

/** The end marker among a session's `frontend` events (the last one wins), if any. */
export function findSessionEnd(events: readonly Readonly<Record<string, unknown>>[]): SessionEnd | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index];
    if (event?.type !== 'session-end' || !STATUSES.includes(event.status as SessionStatus)) continue;
    return {
      type: 'session-end',
      status: event.status as SessionStatus,
      ...(typeof event.reason === 'string' ? { reason: event.reason } : {}),
      at: typeof event.at === 'number' ? event.at : 0,
    };
  }
  return undefined;
}
