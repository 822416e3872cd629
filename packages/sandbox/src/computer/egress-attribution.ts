import type { RefusedEgress } from './egress-proxy.js';

/** Who asked for a refused request: the session's pages, or Chromium itself. */
export type EgressInitiator = 'page' | 'browser';

/** Options for `EgressAttribution`. */
export interface EgressAttributionOptions {
  /** How long a refusal waits for the pages' matching request before it counts as Chromium's own. Default 300 ms. */
  readonly waitMs?: number;
  /** How far back a page request still explains a refusal. Default 10,000 ms. */
  readonly lookbackMs?: number;
  /** Called once per refusal, when its initiator is known. */
  readonly onAttributed: (refused: RefusedEgress, initiator: EgressInitiator) => void;
}

/** The most page endpoints remembered; older ones are dropped first. */
const MAX_ENDPOINTS = 2_000;

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'ws:': '80', 'https:': '443', 'wss:': '443' };

/** `host:port` (lower case, IPv6 in brackets) of a URL the pages asked for; undefined for `data:`, `blob:`, … */
export function endpointOfUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const port = parsed.port || DEFAULT_PORTS[parsed.protocol];
  if (port === undefined || parsed.hostname === '') return undefined;
  return `${parsed.hostname.toLowerCase()}:${port}`;
}

/** `host:port` of what the egress proxy refused: a tunnel's authority, or a plain request's URL. */
export function endpointOfRefusal(refused: RefusedEgress): string | undefined {
  if (refused.method === 'CONNECT') return refused.target.toLowerCase();
  return endpointOfUrl(refused.target);
}

interface PendingRefusal {
  readonly refused: RefusedEgress;
  readonly endpoint: string | undefined;
  readonly timer: NodeJS.Timeout;
  readonly decided: Promise<void>;
  decide(initiator: EgressInitiator): void;
}

/**
 * Tells the pages' refused requests from Chromium's own. Both reach the context's egress proxy:
 * Chromium sends some of its services (autofill lookups, for one) through the proxy of the profile
 * the page lives in. The pages' requests are the ones Playwright reports (`request`, `websocket`): a
 * refusal is the page's when a page asked for the same `host:port` shortly before or just after it
 * (events and proxy connections race), and Chromium's own when no page did within `waitMs`.
 */
export class EgressAttribution {
  private readonly seen = new Map<string, number>();
  private readonly pending = new Set<PendingRefusal>();
  private readonly waitMs: number;
  private readonly lookbackMs: number;
  private closed = false;

  constructor(private readonly options: EgressAttributionOptions) {
    this.waitMs = options.waitMs ?? 300;
    this.lookbackMs = options.lookbackMs ?? 10_000;
  }

  /** A page asked for `url` (Playwright's `request` or `websocket` event). */
  pageRequested(url: string, at: number = Date.now()): void {
    const endpoint = endpointOfUrl(url);
    if (endpoint === undefined || this.closed) return;
    this.seen.delete(endpoint);
    this.seen.set(endpoint, at);
    if (this.seen.size > MAX_ENDPOINTS) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    for (const pending of this.pending) if (pending.endpoint === endpoint) pending.decide('page');
  }

  /** The context's egress proxy refused a request: attribute it now if a page asked for it, else wait for one. */
  refused(refused: RefusedEgress, at: number = Date.now()): void {
    if (this.closed) return;
    const endpoint = endpointOfRefusal(refused);
    const lastSeen = endpoint === undefined ? undefined : this.seen.get(endpoint);
    if (lastSeen !== undefined && lastSeen >= at - this.lookbackMs) {
      this.report(refused, 'page');
      return;
    }
    let decide: (initiator: EgressInitiator) => void = () => undefined;
    const decided = new Promise<void>((resolve) => {
      decide = (initiator) => {
        if (!this.pending.has(pending)) return;
        this.pending.delete(pending);
        clearTimeout(pending.timer);
        this.report(refused, initiator);
        resolve();
      };
    });
    const pending: PendingRefusal = {
      refused,
      endpoint,
      timer: setTimeout(() => pending.decide('browser'), this.waitMs),
      decided,
      decide: (initiator) => decide(initiator),
    };
    this.pending.add(pending);
  }

  /** Resolves once every refusal so far is attributed (each waits at most `waitMs`). */
  async settled(): Promise<void> {
    // Bounded: a refusal that arrives while waiting gets one more round, and each round ends within waitMs.
    for (let round = 0; round < 5 && this.pending.size > 0; round++) {
      await Promise.all([...this.pending].map((pending) => pending.decided));
    }
  }

  /** Attribute what is still waiting to Chromium and stop; later reports are ignored. */
  close(): void {
    for (const pending of [...this.pending]) pending.decide('browser');
    this.closed = true;
    this.seen.clear();
  }

  private report(refused: RefusedEgress, initiator: EgressInitiator): void {
    try {
      this.options.onAttributed(refused, initiator);
    } catch {
      // A throwing listener must not take the process down from a proxy or timer callback.
    }
  }
}
