import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';

/** How long an action waits, at most, for the pages it opened to be adopted (or closed). */
const ADOPTION_TIMEOUT_MS = 5_000;

/** The fields of a CDP `Target.TargetInfo` used here. */
interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly subtype?: string;
  readonly browserContextId?: string;
}

/** A page target the browser created and that is not yet adopted or gone. */
interface PendingTarget {
  readonly settled: Promise<void>;
  readonly settle: () => void;
}

/**
 * Popups are adopted from the context's 'page' event, but Playwright emits it only once the new
 * page's first navigation has committed: under load, or when the popup's server is slow, that is
 * long after the action. So the computer asks Chromium itself which pages an action opened: a
 * browser-level CDP session with `Target.setDiscoverTargets` gets `Target.targetCreated` as soon as
 * the browser creates a window, and `awaitNew` (after each action) waits, bounded, until each page
 * target created so far has been adopted or destroyed.
 *
 * Why CDP and not an in-page counter of popup requests (an init script wrapping `window.open` and
 * watching clicks): the browser reports what it actually created, whatever asked for it —
 * window.open with or without noopener, target=_blank links, areas and forms (also `form.submit()`,
 * `<base target>`, `formtarget`), Ctrl/Shift/middle clicks, iframes, timers that fire during the
 * action — whereas a counter has to re-implement the page's semantics (named targets that already
 * exist, stopPropagation, popups the allowlist closes before they are ever reported) and loses its
 * count when the page navigates or closes during the action.
 *
 * Ordering: Chromium emits `targetCreated` on its UI thread when it creates the window, and answers
 * commands in order on the same connection, so once `Target.getTargets` has returned every window
 * created before it has been announced — also for a middle click, whose window the browser creates
 * after acknowledging the input event (the action may return before `targetCreated` arrives).
 */
export class PageTargets {
  /** Browser-level CDP session that reports every target Chromium creates. */
  private session: CDPSession | undefined;
  /** This context's CDP id: targets of other contexts are not ours to wait for. */
  private browserContextId: string | undefined;
  /** Every page target seen so far, by CDP target id. */
  private readonly known = new Set<string>();
  /** Page targets created but not yet adopted (Playwright's 'page' event) nor destroyed. */
  private readonly pending = new Map<string, PendingTarget>();

  constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
  ) {}

  /** Start following page targets; the ones existing now (the first page) need no adoption. */
  async watch(page: Page): Promise<void> {
    this.browserContextId = (await this.targetInfoOf(page))?.browserContextId;
    const session = await this.browser.newBrowserCDPSession();
    session.on('Target.targetCreated', ({ targetInfo }) => this.note(targetInfo));
    session.on('Target.targetDestroyed', ({ targetId }) => this.settle(targetId));
    await session.send('Target.setDiscoverTargets', { discover: true });
    const { targetInfos } = await session.send('Target.getTargets');
    for (const info of targetInfos) this.note(info);
    for (const targetId of [...this.pending.keys()]) this.settle(targetId);
    this.session = session;
  }

  /** Record a page target of this context the first time it is seen. */
  private note(info: TargetInfo): void {
    // `subtype` marks pages that are not tabs (e.g. "prerender"): Playwright never reports them.
    if (info.type !== 'page' || info.subtype) return;
    if (this.browserContextId !== undefined && info.browserContextId !== this.browserContextId) return;
    if (this.known.has(info.targetId)) return;
    this.known.add(info.targetId);
    let settle = () => {};
    const settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.pending.set(info.targetId, { settled, settle });
  }

  /** A page target was adopted or destroyed: nothing to wait for any more. */
  private settle(targetId: string): void {
    this.known.add(targetId);
    const pending = this.pending.get(targetId);
    if (!pending) return;
    this.pending.delete(targetId);
    pending.settle();
  }

  /** The CDP target of a Playwright page; undefined when it is already gone. */
  private async targetInfoOf(page: Page): Promise<TargetInfo | undefined> {
    let session: CDPSession | undefined;
    try {
      session = await this.context.newCDPSession(page);
      return (await session.send('Target.getTargetInfo')).targetInfo;
    } catch {
      return undefined;
    } finally {
      await session?.detach().catch(() => undefined);
    }
  }

  /**
   * Wait, at most `ADOPTION_TIMEOUT_MS`, until every page target created so far (by this
   * action, or since the last one) has been adopted or destroyed. Pages still pending at the deadline
   * are given up on (a late 'page' event still adopts them); if the browser cannot be asked, the
   * pages already reported (`pendingPages`) are all there is to wait for.
   */
  async awaitNew(): Promise<void> {
    const session = this.session;
    if (!session) return;
    try {
      const { targetInfos } = await session.send('Target.getTargets');
      for (const info of targetInfos) this.note(info);
    } catch {
      return;
    }
    const waiting = [...this.pending.entries()];
    if (waiting.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ADOPTION_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.all(waiting.map(([, pending]) => pending.settled)), deadline]);
    } finally {
      clearTimeout(timer);
    }
    for (const [targetId] of waiting) this.settle(targetId);
  }

  /** The context reported `page` and the computer is adopting it: once done, its target is settled. */
  adopted(page: Page, adoption: Promise<void>): void {
    void Promise.all([this.targetInfoOf(page), adoption]).then(([info]) => {
      // Without a target id (the page closed meanwhile), `targetDestroyed` settles it.
      if (info) this.settle(info.targetId);
    });
  }
}
