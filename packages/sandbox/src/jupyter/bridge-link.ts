import { registerSecret } from '@lllm/core';
import type { SessionMetadata } from './session-metadata.js';

/** A token bound to one session on the bridge's side (what `ProxyBridge.createSession()` returns fits). */
export interface SandboxBridgeSession {
  readonly url: string;
  readonly token: string;
  /** End the token (called when the session shuts down or its proxies, cutoff or bridge change). */
  revoke?(): void;
}

/**
 * The proxy HTTP bridge a session's `CALL_API` talks to. Pass what `serveProxy` returns: the session
 * then asks it (`createSession`) for a token bound to the session's proxies and cutoff date, and only
 * that token reaches the kernel. A plain `{ url, token }` is handed to the kernel as is, so give it a
 * session token (`bridge.createSession(...)`), never the bridge's master token.
 */
export interface SandboxBridge {
  /** Base URL, e.g. `http://127.0.0.1:43121`. `CALL_API` posts to `<url>/call`. */
  readonly url: string;
  /**
   * Bearer token. Handed to the kernel (through a silent execution, never written to the notebook,
   * registered as a secret) only when the bridge has no `createSession`.
   */
  readonly token: string;
  /** Make a token whose proxies and cutoff the bridge enforces; the kernel gets this one instead of `token`. */
  createSession?(options: {
    readonly label: string;
    readonly proxies: readonly string[];
    readonly cutoffDate: string | null;
  }): SandboxBridgeSession;
}

/** Ask the bridge for a token bound to the session's proxies and cutoff date (undefined: it makes none). */
function openBridgeSession(bridge: SandboxBridge | undefined, meta: SessionMetadata): SandboxBridgeSession | undefined {
  const session = bridge?.createSession?.({ label: meta.id, proxies: meta.proxies, cutoffDate: meta.cutoffDate });
  registerSecret(session?.token);
  return session;
}

/**
 * A session's link to its bridge: the bridge, and the session-bound token made from it (lazily, and
 * again whenever the session's proxies, cutoff or bridge change; the old token is revoked). Every
 * token it sees is registered as a secret.
 */
export class BridgeLink {
  #bridge: SandboxBridge | undefined;
  #session: SandboxBridgeSession | undefined;

  constructor(bridge: SandboxBridge | undefined) {
    this.#bridge = bridge;
    registerSecret(bridge?.token);
  }

  /** The bridge, if the session has one. */
  get bridge(): SandboxBridge | undefined {
    return this.#bridge;
  }

  /** The URL the init cell's `CALL_API` posts to (the session token's when one was made). */
  get url(): string | undefined {
    return this.#bridge ? (this.#session ?? this.#bridge).url : undefined;
  }

  /** The `{ url, token }` the kernel gets: a session-bound token when the bridge makes them, else the bridge's own. */
  forKernel(meta: SessionMetadata): SandboxBridgeSession | undefined {
    const bridge = this.#bridge;
    if (!bridge) return undefined;
    this.#session ??= openBridgeSession(bridge, meta);
    return this.#session ?? bridge;
  }

  /**
   * Switch to `bridge` with the settings of `meta`. The new token is made first: a bridge refusing it
   * (it throws) changes nothing.
   */
  replace(bridge: SandboxBridge | undefined, meta: SessionMetadata): void {
    registerSecret(bridge?.token);
    const session = openBridgeSession(bridge, meta);
    this.revoke();
    this.#bridge = bridge;
    this.#session = session;
  }

  /** End the session-bound token, if one was made. */
  revoke(): void {
    this.#session?.revoke?.();
    this.#session = undefined;
  }
}
