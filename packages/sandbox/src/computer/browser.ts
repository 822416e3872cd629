import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '@lllm/core';
import { sleep } from '@lllm/core/utils';
import type { Browser, BrowserContext, Frame, Page, Request, Route } from 'playwright-core';
import { SandboxError } from '../errors.js';
import { type ComputerAction, describeAction, type Point, parseComputerAction } from './actions.js';
import { OriginAllowlist, originOf } from './allowlist.js';
import { assertNoEgressFlags, CHROMIUM_FLAGS, defaultChromiumPath } from './chromium-flags.js';
import { EgressAttribution, type EgressInitiator } from './egress-attribution.js';
import { EgressProxy, type RefusedEgress } from './egress-proxy.js';
import { type KeyCombo, normaliseKeyCombo } from './keys.js';
import { PageTargets } from './page-targets.js';
import { StoppedLoads } from './stopped-loads.js';

/** What a key combination can mean besides typing: browser controls the page cannot see. */
export type ControlSignal = 'end_session' | 'back' | 'forward' | 'reload';

/** A request or navigation the origin allowlist stopped. */
export interface BlockedRequest {
  /** The URL; `host:port` for a tunnel the proxy refused (HTTPS, WSS and WS travel through `CONNECT`). */
  readonly url: string;
  /**
   * Playwright's resource type (`document`, `image`, `script`, …) when request interception stopped it;
   * for the proxy, the browser's `Sec-Fetch-Dest` when it sent one, `tunnel` for a `CONNECT`, else `other`.
   */
  readonly resourceType: string;
  /** True for a top-level navigation (the page was kept where it was). */
  readonly navigation: boolean;
  /**
   * `route`: Playwright's request interception (the first request of a navigation, subresources, popups).
   * `proxy`: the egress proxy every byte of the browser goes through (redirect hops, WebSockets, anything else).
   */
  readonly stoppedBy: 'route' | 'proxy';
  /**
   * `page`: the session's pages asked for it (only these reach an action's result and the model).
   * `browser`: Chromium's own background traffic (update checks, account and autofill lookups), logged only.
   */
  readonly initiator: 'page' | 'browser';
  readonly at: string;
}

/** A PNG screenshot. */
export interface Screenshot {
  readonly png: Buffer;
  /** True when capturing failed and the last good screenshot was reused. */
  readonly stale: boolean;
  /** Why the capture failed, when it did. */
  readonly error: string | undefined;
}

/** What one action did. */
export interface ActionResult {
  readonly action: ComputerAction;
  readonly description: string;
  /** The screen after the action. */
  readonly screenshot: Screenshot;
  /** The page URL after the action. */
  readonly url: string;
  /** A control signal the keys meant (e.g. Ctrl+W ends the session). */
  readonly signal: ControlSignal | undefined;
  /** Requests blocked during the action. */
  readonly blocked: readonly BlockedRequest[];
  /** The session ended (a control signal, or the last page closed). */
  readonly ended: boolean;
  /** Something the model should know that the screenshot does not show (e.g. the page was left). */
  readonly notice?: string;
}

/** A screen an agent can drive; `BrowserComputer` implements it, other environments can too. */
export interface Computer {
  readonly environment: 'browser' | 'mac' | 'windows' | 'linux' | 'ubuntu';
  readonly display: { readonly width: number; readonly height: number };
  /** True once the session ended (Ctrl+W, closed). */
  readonly ended: boolean;
  /** The current URL (browsers), for checkpoints and safety checks. */
  currentUrl(): string;
  /** Navigate (used when resuming a checkpoint). */
  goto?(url: string): Promise<void>;
  /** Run one action and capture the screen. Invalid coordinates or keys throw an `InvalidArgumentError`. */
  execute(action: ComputerAction): Promise<ActionResult>;
  /** Capture the screen. */
  screenshot(): Promise<Screenshot>;
}

/** Options for `BrowserComputer.launch`. */
export interface BrowserComputerOptions {
  /** Display (viewport) width. Default 1024. */
  readonly width?: number;
  /** Display (viewport) height. Default 768. */
  readonly height?: number;
  /** Chromium binary. Default `$LLLM_CHROMIUM_PATH`, else `/usr/bin/chromium`. */
  readonly executablePath?: string;
  /**
   * Origins the browser may load, e.g. `http://127.0.0.1:8080` or `https://*.example.com`
   * (`*` matches within a host name or port). Everything else is blocked and reported. Default: the
   * origin of `startUrl` only. `about:blank` is always allowed.
   */
  readonly allowedOrigins?: readonly string[];
  /** The first page. Default `about:blank`. */
  readonly startUrl?: string;
  /** Default true. */
  readonly headless?: boolean;
  /** How long a `wait` action without `ms` waits. Default 1,000 ms. */
  readonly waitMs?: number;
  /** Pause after an action before the screenshot, for the page to react. Default 150 ms. */
  readonly settleMs?: number;
  /** Screenshot timeout; past it the last good screenshot is reused. Default 5,000 ms. */
  readonly screenshotTimeoutMs?: number;
  /** Key combinations that are browser controls (canonical form, e.g. `Control+w`). Default: Ctrl+W ends the session, Alt+Left/Right go back/forward, F5 and Ctrl+R reload. */
  readonly controlKeys?: Readonly<Record<string, ControlSignal>>;
  /** Extra Chromium flags. Flags that would change where traffic goes (proxy, host resolution, WebRTC) are refused. */
  readonly args?: readonly string[];
  /**
   * Send the allowed traffic through this HTTP proxy (`http://host:port`) instead of connecting directly,
   * e.g. a corporate proxy. The browser's own egress proxy still decides what is allowed.
   */
  readonly upstreamProxy?: string;
  /** Called for each blocked request, Chromium's own background traffic included (`initiator: 'browser'`). */
  readonly onBlocked?: (blocked: BlockedRequest) => void;
}

/** The default control keys. */
export const DEFAULT_CONTROL_KEYS: Readonly<Record<string, ControlSignal>> = {
  'Control+w': 'end_session',
  'Meta+w': 'end_session',
  'Alt+ArrowLeft': 'back',
  'Alt+ArrowRight': 'forward',
  F5: 'reload',
  'Control+r': 'reload',
};

/**
 * A headless Chromium page driven by computer-use actions, through `playwright-core` (no browser
 * download: it runs the system's Chromium). Coordinates are checked against the display, key
 * combinations are normalised, browser controls (Ctrl+W, Alt+Left, …) are signals, every request
 * outside the origin allowlist is blocked and reported, and a failed screenshot reuses the last good one.
 */
export class BrowserComputer implements Computer, AsyncDisposable {
  readonly environment = 'browser' as const;
  readonly display: { readonly width: number; readonly height: number };
  private page: Page;
  private lastGood: Buffer | undefined;
  private lastAllowedUrl = 'about:blank';
  private blockedLog: BlockedRequest[] = [];
  private pendingBlocked: BlockedRequest[] = [];
  private endedFlag = false;
  /** Pages opened during the current action (popups), being adopted. */
  private pendingPages: Promise<void>[] = [];
  private closed = false;
  private readonly allowlist: OriginAllowlist;
  private readonly controlKeys: Readonly<Record<string, ControlSignal>>;
  /** The page targets Chromium creates, so that an action waits for the popups it opened. */
  private readonly targets: PageTargets;
  /** Loads stopped by a blocked navigation during the current action. */
  private readonly stoppedLoads = new StoppedLoads();

  private constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
    page: Page,
    private readonly options: BrowserComputerOptions,
    allowlist: OriginAllowlist,
    private readonly proxies: readonly EgressProxy[],
    private readonly attribution: EgressAttribution,
  ) {
    this.page = page;
    this.display = { width: options.width ?? 1024, height: options.height ?? 768 };
    this.allowlist = allowlist;
    this.targets = new PageTargets(browser, context);
    this.controlKeys = options.controlKeys ?? DEFAULT_CONTROL_KEYS;
  }

  /** Launch Chromium with a fixed viewport and open `startUrl`. */
  static async launch(options: BrowserComputerOptions = {}): Promise<BrowserComputer> {
    const width = options.width ?? 1024;
    const height = options.height ?? 768;
    for (const [name, value] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(value) || value < 100 || value > 4096) {
        throw new InvalidArgumentError(`Display ${name} must be a whole number of pixels from 100 to 4096, got ${value}.`, {
          argument: name,
        });
      }
    }
    const startUrl = options.startUrl ?? 'about:blank';
    const origins = options.allowedOrigins ?? (startUrl === 'about:blank' ? [] : [originOf(startUrl)]);
    const allowlist = new OriginAllowlist(origins);
    assertNoEgressFlags(options.args ?? []);
    const executablePath = options.executablePath ?? defaultChromiumPath();
    if (!existsSync(executablePath)) {
      throw new SandboxError(
        `Chromium was not found at ${executablePath}; install it (Debian: apt-get install chromium) or set LLLM_CHROMIUM_PATH.`,
        { kind: 'browser' },
      );
    }
    const { chromium } = await import('playwright-core');
    // Refusals that arrive before the computer exists (Chromium's start-up traffic) wait here.
    let computer: BrowserComputer | undefined;
    const early: [RefusedEgress, EgressInitiator][] = [];
    const report = (refused: RefusedEgress, initiator: EgressInitiator) => {
      if (computer) computer.recordRefusal(refused, initiator);
      else early.push([refused, initiator]);
    };
    // Chromium sends some of its own services through the context's proxy too: a refusal there is the
    // page's only when a page asked for that host (Playwright's request and websocket events).
    const attribution = new EgressAttribution({ onAttributed: report });
    const proxies: EgressProxy[] = [];
    let browser: Browser | undefined;
    try {
      // Two listeners: the browser-wide proxy carries only Chromium's own traffic, the context's carries the pages'.
      const upstreamProxy = options.upstreamProxy;
      const browserProxy = await EgressProxy.start({ allowlist, upstreamProxy, onRefused: (refused) => report(refused, 'browser') });
      proxies.push(browserProxy);
      const pageProxy = await EgressProxy.start({ allowlist, upstreamProxy, onRefused: (refused) => attribution.refused(refused) });
      proxies.push(pageProxy);
      try {
        browser = await chromium.launch({
          executablePath,
          headless: options.headless ?? true,
          args: [...CHROMIUM_FLAGS, `--proxy-server=${browserProxy.url}`, '--proxy-bypass-list=<-loopback>', ...(options.args ?? [])],
          timeout: 60_000,
        });
      } catch (error) {
        throw new SandboxError(`Chromium (${executablePath}) failed to start: ${(error as Error).message}`, {
          kind: 'browser',
          cause: error,
        });
      }
      const context = await browser.newContext({
        viewport: { width, height },
        screen: { width, height },
        deviceScaleFactor: 1,
        acceptDownloads: false,
        serviceWorkers: 'block',
        proxy: { server: pageProxy.url, bypass: '<-loopback>' },
      });
      context.on('request', (request) => attribution.pageRequested(request.url()));
      const page = await context.newPage();
      page.on('websocket', (socket) => attribution.pageRequested(socket.url()));
      const created = new BrowserComputer(browser, context, page, { ...options, width, height }, allowlist, proxies, attribution);
      computer = created;
      for (const [refused, initiator] of early.splice(0)) created.recordRefusal(refused, initiator);
      await context.route('**/*', (route, request) => created.routeRequest(route, request));
      created.watchClose(page);
      context.on('page', (newPage) => created.onPage(newPage));
      await created.targets.watch(page);
      if (startUrl !== 'about:blank') await created.goto(startUrl);
      return created;
    } catch (error) {
      attribution.close();
      await browser?.close().catch(() => undefined);
      for (const proxy of proxies) await proxy.close();
      throw error;
    }
  }

  /** True once the session ended (a control signal such as Ctrl+W, or `close()`). */
  get ended(): boolean {
    return this.endedFlag || this.closed;
  }

  /** The active Playwright page: an escape hatch for setup and checks (actions should go through `execute`). */
  get activePage(): Page {
    return this.page;
  }

  /** The active page's URL. */
  currentUrl(): string {
    return this.page.url();
  }

  /** Every request blocked so far. */
  blockedRequests(): readonly BlockedRequest[] {
    return [...this.blockedLog];
  }

  /** Whether the allowlist admits a URL. */
  isAllowed(url: string): boolean {
    return this.allowlist.allows(url);
  }

  /** Open a URL in the active page; a URL outside the allowlist is an `InvalidArgumentError`. */
  async goto(url: string): Promise<void> {
    this.assertOpen();
    if (!this.isAllowed(url)) {
      throw new InvalidArgumentError(
        `Navigation to "${url}" is blocked: its origin is not in the allowlist (${this.allowlist.describe()}).`,
        { argument: 'url' },
      );
    }
    await this.page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    this.lastAllowedUrl = this.page.url();
  }

  /** Run one action (validated), then capture the screen. */
  async execute(input: ComputerAction): Promise<ActionResult> {
    this.assertOpen();
    const action = parseComputerAction(input);
    this.pendingBlocked = [];
    this.stoppedLoads.reset();
    let signal: ControlSignal | undefined;
    switch (action.type) {
      case 'click':
        await this.click(action.x, action.y, action.button ?? 'left', action.keys ?? undefined);
        break;
      case 'double_click':
        this.checkPoint(action.x, action.y);
        await this.withKeys(action.keys ?? undefined, () => this.page.mouse.dblclick(action.x, action.y));
        break;
      case 'scroll':
        this.checkPoint(action.x, action.y);
        await this.page.mouse.move(action.x, action.y);
        await this.withKeys(action.keys ?? undefined, () => this.page.mouse.wheel(action.scroll_x, action.scroll_y));
        break;
      case 'type':
        await this.page.keyboard.type(action.text);
        break;
      case 'keypress':
        signal = await this.keypress(action.keys);
        break;
      case 'move':
        this.checkPoint(action.x, action.y);
        await this.withKeys(action.keys ?? undefined, () => this.page.mouse.move(action.x, action.y));
        break;
      case 'drag':
        await this.drag(action.path, action.keys ?? undefined);
        break;
      case 'wait':
        await sleep(action.ms ?? this.options.waitMs ?? 1_000);
        break;
      case 'screenshot':
        break;
    }
    let screenshot: Screenshot;
    let notice: string | undefined;
    if (signal === 'end_session') {
      this.endedFlag = true;
      screenshot = this.lastGood ? { png: this.lastGood, stale: true, error: undefined } : await this.screenshot();
    } else {
      await this.settle();
      const stopped = await this.stoppedLoads.recover(this.page);
      notice = stopped.notice;
      await this.returnFromBlockedNavigation();
      screenshot =
        stopped.paints || !this.lastGood ? await this.screenshot() : { png: this.lastGood, stale: true, error: 'the page cannot paint' };
    }
    // Refusals during the action wait (briefly) to learn whether a page or Chromium itself asked.
    await this.attribution.settled();
    return {
      action,
      description: describeAction(action),
      screenshot,
      url: this.currentUrl(),
      signal,
      blocked: this.takeBlocked(),
      ended: this.ended,
      ...(notice ? { notice } : {}),
    };
  }

  /** Capture the viewport as PNG; on failure the last good screenshot is returned with `stale: true`. */
  async screenshot(): Promise<Screenshot> {
    try {
      const png = await this.page.screenshot({ type: 'png', timeout: this.options.screenshotTimeoutMs ?? 5_000, animations: 'disabled' });
      this.lastGood = png;
      return { png, stale: false, error: undefined };
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? 'unknown error';
      if (this.lastGood) return { png: this.lastGood, stale: true, error: message };
      throw new SandboxError(`Could not take a screenshot and there is no earlier one to reuse: ${message}`, {
        kind: 'browser',
        cause: error,
      });
    }
  }

  /** Click; `back` and `forward` buttons navigate. */
  async click(
    x: number,
    y: number,
    button: 'left' | 'right' | 'wheel' | 'back' | 'forward' = 'left',
    keys?: readonly string[],
  ): Promise<void> {
    this.checkPoint(x, y);
    if (button === 'back' || button === 'forward') {
      await this.history(button);
      return;
    }
    const playwrightButton = button === 'wheel' ? 'middle' : button;
    await this.withKeys(keys, () => this.page.mouse.click(x, y, { button: playwrightButton }));
  }

  /** Press a key combination; returns the control signal it meant, if any (which is acted on, not typed). */
  async keypress(keys: string | readonly string[]): Promise<ControlSignal | undefined> {
    const combo = normaliseKeyCombo(keys);
    const signal = this.controlKeys[combo.combo];
    switch (signal) {
      case 'end_session':
        return signal;
      case 'back':
      case 'forward':
        await this.history(signal);
        return signal;
      case 'reload':
        await this.page.reload({ timeout: 30_000 }).catch(() => undefined);
        return signal;
      default:
        await this.page.keyboard.press(combo.combo);
        return undefined;
    }
  }

  /** Close the browser. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.context.close().catch(() => undefined);
    await this.browser.close().catch(() => undefined);
    for (const proxy of this.proxies) await proxy.close();
    this.attribution.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ——— internals ———

  private assertOpen(): void {
    if (this.closed) throw new SandboxError('The browser is closed; launch a new BrowserComputer.', { kind: 'closed' });
    if (this.endedFlag)
      throw new SandboxError('The computer-use session has ended (Ctrl+W); launch a new one to go on.', { kind: 'closed' });
  }

  private checkPoint(x: number, y: number): void {
    const { width, height } = this.display;
    if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || y < 0 || x >= width || y >= height) {
      throw new InvalidArgumentError(
        `Point (${x}, ${y}) is outside the ${width}×${height} display; coordinates must satisfy 0 ≤ x < ${width} and 0 ≤ y < ${height}.`,
        { argument: x < 0 || x >= width || !Number.isFinite(x) ? 'x' : 'y' },
      );
    }
  }

  private async withKeys(keys: readonly string[] | undefined, operation: () => Promise<void>): Promise<void> {
    if (!keys || keys.length === 0) {
      await operation();
      return;
    }
    const combo: KeyCombo = normaliseKeyCombo(keys);
    const held = combo.key === undefined ? [...combo.modifiers] : [...combo.modifiers, combo.key];
    for (const key of held) await this.page.keyboard.down(key);
    try {
      await operation();
    } finally {
      for (const key of held.reverse()) await this.page.keyboard.up(key);
    }
  }

  private async drag(path: readonly Point[], keys: readonly string[] | undefined): Promise<void> {
    for (const point of path) this.checkPoint(point.x, point.y);
    const [first, ...rest] = path;
    if (!first) return;
    await this.withKeys(keys, async () => {
      await this.page.mouse.move(first.x, first.y);
      await this.page.mouse.down();
      for (const point of rest) await this.page.mouse.move(point.x, point.y, { steps: 5 });
      await this.page.mouse.up();
    });
  }

  private async history(direction: 'back' | 'forward'): Promise<void> {
    const options = { timeout: 10_000 } as const;
    await (direction === 'back' ? this.page.goBack(options) : this.page.goForward(options)).catch(() => undefined);
  }

  private async settle(): Promise<void> {
    await sleep(this.options.settleMs ?? 150);
    await this.targets.awaitNew();
    while (this.pendingPages.length > 0) {
      const pages = this.pendingPages;
      this.pendingPages = [];
      await Promise.all(pages);
    }
    await this.stoppedLoads.waitForLoad(this.page, 5_000);
  }

  private async routeRequest(route: Route, request: Request): Promise<void> {
    const url = request.url();
    const navigation = request.isNavigationRequest();
    // data: and blob: subresources come from an allowed page; a data: navigation is checked like any URL.
    if (this.isAllowed(url) || (!navigation && (url.startsWith('data:') || url.startsWith('blob:')))) {
      await route.continue().catch(() => undefined);
      return;
    }
    // A popup's first navigation is issued before Playwright has a frame for it: `frame()` throws.
    let frame: Frame | undefined;
    try {
      frame = request.frame();
    } catch {
      frame = undefined;
    }
    const page = frame?.page();
    const topLevel = navigation && (frame === undefined || frame === page?.mainFrame());
    this.record({
      url: url.length > 300 ? `${url.slice(0, 300)}…` : url,
      resourceType: request.resourceType(),
      navigation: topLevel,
      stoppedBy: 'route',
      initiator: 'page',
      at: new Date().toISOString(),
    });
    if (topLevel && page === this.page) {
      this.stoppedLoads.stopped(page.url(), url);
      // "204 No Content" makes the browser stay on the current page instead of showing an error page.
      await route.fulfill({ status: 204, body: '' }).catch(() => undefined);
      return;
    }
    await route.abort('blockedbyclient').catch(() => undefined);
    // A popup without a page yet shows the error page; `adoptPage` closes it when it is reported.
    if (topLevel) await page?.close().catch(() => undefined);
  }

  /** The egress proxy refused a request: the page's go into the current action's result, Chromium's own only into the log. */
  private recordRefusal(refused: RefusedEgress, initiator: 'page' | 'browser'): void {
    const tunnel = refused.method === 'CONNECT';
    this.record({
      url: refused.target,
      resourceType: tunnel ? 'tunnel' : (refused.fetchDest ?? 'other'),
      navigation: refused.fetchMode === 'navigate' && refused.fetchDest === 'document',
      stoppedBy: 'proxy',
      initiator,
      at: new Date().toISOString(),
    });
  }

  private record(blocked: BlockedRequest): void {
    this.blockedLog.push(blocked);
    if (blocked.initiator === 'page') this.pendingBlocked.push(blocked);
    this.options.onBlocked?.(blocked);
  }

  private takeBlocked(): BlockedRequest[] {
    const taken = this.pendingBlocked;
    this.pendingBlocked = [];
    return taken;
  }

  /** A blocked top-level navigation leaves Chromium's error page: go back to the last allowed page. */
  private async returnFromBlockedNavigation(): Promise<void> {
    const url = this.page.url();
    if (this.isAllowed(url) && !url.startsWith('chrome-error:')) {
      this.lastAllowedUrl = url;
      return;
    }
    await this.page.goBack({ timeout: 5_000 }).catch(() => undefined);
    if (!this.isAllowed(this.page.url()) || this.page.url().startsWith('chrome-error:')) {
      await this.page.goto(this.lastAllowedUrl, { timeout: 10_000 }).catch(() => undefined);
    }
  }

  /** The context reported a new page: adopt it, then mark its target settled. */
  private onPage(page: Page): void {
    page.on('websocket', (socket) => this.attribution.pageRequested(socket.url()));
    const adoption = this.adoptPage(page);
    this.pendingPages.push(adoption);
    this.targets.adopted(page, adoption);
  }

  private async adoptPage(page: Page): Promise<void> {
    // A popup or target=_blank link: follow it like a user would, unless the allowlist refuses it.
    await page.waitForLoadState('domcontentloaded', { timeout: 5_000 }).catch(() => undefined);
    if (this.closed || page.isClosed()) return;
    const url = page.url();
    if (url.startsWith('chrome-error:') || (!this.isAllowed(url) && url !== '')) {
      await page.close().catch(() => undefined);
      return;
    }
    this.page = page;
    this.watchClose(page);
    await page.bringToFront().catch(() => undefined);
  }

  /** When the active page closes (window.close()), the newest other page takes over; with none left the session ends. */
  private watchClose(page: Page): void {
    page.once('close', () => {
      if (this.page !== page || this.closed) return;
      const others = this.context.pages().filter((other) => other !== page);
      const next = others[others.length - 1];
      if (next) this.page = next;
      else this.endedFlag = true;
    });
  }
}
