// Test helpers (not built): the world a computer-use test runs in — a local page in real Chromium,
// the local Responses wire server with the real `openai` client (its own retries off), a checkpoint
// folder — and an agent on it whose waits are recorded instead of slept.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWireServer, type WireServer } from '@lllm/test-server';
import OpenAI from 'openai';
import { expect } from 'vitest';
import { ComputerUseAgent, type ComputerUseAgentOptions } from './agent.js';
import { BrowserComputer } from './browser.js';
import { startTestSite, type TestSite } from './test-page.js';

/** The Responses API path on the wire server. */
export const RESPONSES = '/v1/responses';
/** The API key the client sends: key-shaped, so redaction is exercised. */
export const TEST_KEY = 'sk-test-not-a-real-key-000000';

export interface AgentWorld {
  readonly site: TestSite;
  readonly computer: BrowserComputer;
  readonly wire: WireServer;
  readonly client: OpenAI;
  readonly checkpointDir: string;
  /** Waits the loop asked for (the injected sleep returns at once); emptied by `reset()`. */
  readonly sleeps: number[];
  /** An agent on this world (checkpointing on, no jitter), with `options` on top. */
  agent(options?: Partial<ComputerUseAgentOptions>): ComputerUseAgent;
  /** What the test page counted. */
  pageState(): Promise<{ count: number; submitted: string | null }>;
  /** Before each test: no recorded waits, the test page reloaded, nothing left scripted. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startAgentWorld(): Promise<AgentWorld> {
  const site = await startTestSite();
  const computer = await BrowserComputer.launch({ width: 800, height: 600, startUrl: site.url, settleMs: 50 });
  const wire = await startWireServer();
  const client = new OpenAI({ apiKey: TEST_KEY, baseURL: wire.openaiBaseURL, maxRetries: 0 });
  const checkpointDir = await mkdtemp(join(tmpdir(), 'lllm-cua-'));
  const sleeps: number[] = [];
  return {
    site,
    computer,
    wire,
    client,
    checkpointDir,
    sleeps,
    agent: (options = {}) =>
      new ComputerUseAgent({
        client,
        computer,
        checkpointDir,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        random: () => 0,
        ...options,
      }),
    pageState: () =>
      computer.activePage.evaluate(() => (window as unknown as { testState: { count: number; submitted: string | null } }).testState),
    async reset() {
      sleeps.length = 0;
      await computer.goto(site.url);
      expect(wire.pending(RESPONSES)).toBe(0);
    },
    async close() {
      await computer.close();
      await site.close();
      await wire[Symbol.asyncDispose]();
      await rm(checkpointDir, { recursive: true, force: true });
    },
  };
}
