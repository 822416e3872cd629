import type { Page } from 'playwright-core';

/** How long a page gets to run one animation frame before it counts as unable to paint. */
const RENDER_PROBE_MS = 1_000;

/** Whether the page still paints: a `requestAnimationFrame` callback runs within `ms`. */
async function paints(page: Page, ms: number): Promise<boolean> {
  const probe = page
    .evaluate(
      (timeout) =>
        new Promise<boolean>((resolve) => {
          requestAnimationFrame(() => resolve(true));
          setTimeout(() => resolve(false), timeout);
        }),
      ms,
    )
    .catch(() => false);
  // The page may be closed or navigating: never wait on it longer than the probe.
  const late = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms + 500).unref());
  return Promise.race([probe, late]);
}

/** What `recover()` did about a page whose loading a blocked navigation stopped. */
export interface StoppedLoadOutcome {
  /** A sentence for the model, when the page was stopped mid-load. */
  readonly notice: string | undefined;
  /** False when the page still cannot paint: a new screenshot would only time out. */
  readonly paints: boolean;
}

/**
 * Chromium stops the loading of a page when it starts a navigation; when the allowlist then answers
 * that navigation with "204 No Content", the page stays, but if it was still parsing its `load` event
 * never comes, and a page stopped before its body never paints again (no animation frame, every
 * screenshot times out). This tracks such stops during one action, cuts the wait for `load` short
 * when one happens, and takes the browser back to the page before when the stopped page cannot paint.
 */
export class StoppedLoads {
  #stop: { from: string; to: string } | undefined;
  #wake: (() => void) | undefined;
  #stopped!: Promise<void>;

  constructor() {
    this.reset();
  }

  /** A new action begins. */
  reset(): void {
    this.#stop = undefined;
    this.#stopped = new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** The allowlist answered a top-level navigation of the active page (at `from`) to `to` with 204. */
  stopped(from: string, to: string): void {
    this.#stop ??= { from, to: to.length > 300 ? `${to.slice(0, 300)}…` : to };
    this.#wake?.();
  }

  /** Wait up to `timeoutMs` for the page's `load`, or less when a blocked navigation stopped its loading. */
  async waitForLoad(page: Page, timeoutMs: number): Promise<void> {
    if (this.#stop) return;
    await Promise.race([page.waitForLoadState('load', { timeout: timeoutMs }).catch(() => undefined), this.#stopped]);
  }

  /** After a stop: a page that cannot paint is left for the one before it. */
  async recover(page: Page): Promise<StoppedLoadOutcome> {
    const stop = this.#stop;
    if (!stop || (await paints(page, RENDER_PROBE_MS))) return { notice: undefined, paints: true };
    const what = `${stop.from} tried to go to ${stop.to} while it was still loading; that navigation was blocked, which stopped the page before it could be shown`;
    const back = await page.goBack({ timeout: 5_000 }).catch(() => null);
    if (back && (await paints(page, RENDER_PROBE_MS))) {
      return { notice: `${what}, so the browser went back to ${page.url()}.`, paints: true };
    }
    return { notice: `${what}, and there is no earlier page to go back to. The screenshot is the last one taken.`, paints: false };
  }
}
