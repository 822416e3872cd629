import { InvalidArgumentError } from '@lllm/core';

/**
 * The Chromium flags every launch uses, besides `--proxy-server` (the egress proxy; with
 * `--proxy-bypass-list=<-loopback>` so that loopback goes through it too). Chromium resolves no host
 * names itself (the proxy does, for allowed destinations only) and WebRTC sends no UDP outside the proxy.
 * No `--disable-features=…` here (e.g. `AutofillServerCommunication`): Chromium keeps only the last
 * `--disable-features` switch, so one of ours would drop Playwright's own list (checked on Chromium 156
 * through chrome://version). Chromium's remaining background traffic is refused by the egress proxy and
 * told apart from the pages' by `EgressAttribution`.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-sync',
  '--metrics-recording-only',
  '--no-default-browser-check',
  '--no-pings',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
] as const;

/** Flags a caller may not pass: they would let traffic around the egress proxy. */
const EGRESS_FLAGS =
  /^--(?:proxy-server|proxy-bypass-list|proxy-pac-url|proxy-auto-detect|no-proxy-server|host-resolver-rules|host-rules|webrtc-ip-handling-policy|force-webrtc-ip-handling-policy)(?:=|$)/i;

/** The Chromium binary to use: `$LLLM_CHROMIUM_PATH`, else `/usr/bin/chromium`. */
export function defaultChromiumPath(): string {
  return process.env.LLLM_CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Refuse caller flags that would let traffic around the egress proxy, naming each. */
export function assertNoEgressFlags(args: readonly string[]): void {
  const refused = args.filter((arg) => EGRESS_FLAGS.test(arg));
  if (refused.length > 0) {
    throw new InvalidArgumentError(
      `Chromium flag${refused.length === 1 ? '' : 's'} ${refused.map((arg) => `"${arg}"`).join(', ')} would route traffic around the browser's egress proxy; use allowedOrigins (and upstreamProxy for a proxy of your own) instead.`,
      { argument: 'args' },
    );
  }
}
