import { InvalidArgumentError } from '@lllm/core';

type OriginRule = { readonly exact: string } | { readonly pattern: RegExp; readonly text: string };

/** The origin of a URL, or `'null'` when it has none (about:, data:, unparsable). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'null';
  }
}

function compileOrigin(origin: string): OriginRule {
  if (origin.includes('*')) {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) {
      throw new InvalidArgumentError(`Allowed origin "${origin}" needs a scheme, e.g. "https://*.example.com".`, {
        argument: 'allowedOrigins',
      });
    }
    const escaped = origin.replace(/\/+$/, '').replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    return { pattern: new RegExp(`^${escaped.replace(/\*/g, '[^/]*')}$`, 'i'), text: origin };
  }
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch (error) {
    throw new InvalidArgumentError(`Allowed origin "${origin}" is not a URL; write it like "http://127.0.0.1:8080".`, {
      argument: 'allowedOrigins',
      cause: error,
    });
  }
  if (parsed.origin === 'null') {
    throw new InvalidArgumentError(`"${origin}" has no origin (data:, file: and about: URLs have none); list http(s) origins.`, {
      argument: 'allowedOrigins',
    });
  }
  return { exact: parsed.origin };
}

/**
 * The origins a browser may reach: exact origins (`http://127.0.0.1:8080`) and patterns where `*`
 * matches within a host name or port (`https://*.example.com`). WebSocket URLs are judged by the
 * origin they share a server with (`ws:` as `http:`, `wss:` as `https:`).
 */
export class OriginAllowlist {
  private readonly rules: readonly OriginRule[];

  /** Invalid origins are an `InvalidArgumentError` naming the origin and the fix. */
  constructor(origins: readonly string[]) {
    this.rules = origins.map(compileOrigin);
  }

  /** Whether the allowlist admits a URL; `about:blank` always is. */
  allows(url: string): boolean {
    if (url === 'about:blank') return true;
    return this.allowsOrigin(originOf(url.replace(/^ws(s?):/i, 'http$1:')));
  }

  /**
   * Whether a tunnel (an HTTP `CONNECT`, which carries HTTPS, WSS and proxied WS) to `host:port` may
   * open: it reaches an allowed server when `https://host:port` or `http://host:port` is allowed.
   */
  allowsTunnel(authority: string): boolean {
    return this.allowsOrigin(originOf(`https://${authority}`)) || this.allowsOrigin(originOf(`http://${authority}`));
  }

  /** The allowlist as written, for messages. */
  describe(): string {
    return this.rules.map((rule) => ('exact' in rule ? rule.exact : rule.text)).join(', ') || 'empty';
  }

  private allowsOrigin(origin: string): boolean {
    if (origin === 'null') return false;
    return this.rules.some((rule) => ('exact' in rule ? rule.exact === origin : rule.pattern.test(origin)));
  }
}
