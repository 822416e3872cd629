import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { buildAgent, getAgentType } from '../config/agent-system.js';
import { loadSystemConfig } from '../config/system-config.js';
import { getDiscoverySection } from '../discovery-sections.js';
import { AbortError, NotFoundError } from '../errors.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../invoker.js';
import { MemoryLogStore } from '../log-store.js';
import { registerModelCard } from '../model-card.js';
import type { PromptLike } from '../prompt-like.js';
import { answerTagParser, testPrompt, testTool } from '../test-prompt.js';
import { getTactic } from './definition.js';
import { TACTIC_SESSION_EVENT, type TacticSessionSummary } from './session.js';
import { buildTactic, defineTactic, registerTacticDiscovery, Tactic, TacticCallError } from './tactic.js';

registerModelCard({ name: 'tactic-test-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } });

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function systemConfig(agents: readonly string[]) {
  const root = mkdtempSync(join(tmpdir(), 'lllm-tactic-'));
  roots.push(root);
  mkdirSync(join(root, 'config/t'), { recursive: true });
  const agentYaml = agents.map((name) => `  ${name}:\n    model_name: tactic-test-model\n    system_prompt_path: sys/${name}\n`).join('');
  writeFileSync(join(root, 'config/t/default.yaml'), `name: t\nagent_type: t\nlog_type: memory\nagent_configs:\n${agentYaml}`);
  return loadSystemConfig(join(root, 'config/t/default.yaml'), { root });
}

/** An invoker answering by a function of the request (its last message), with usage 1000 in / 500 out. */
function answering(reply: (request: InvokeRequest) => Partial<InvokeResult>, delayMs = 0): Invoker & { requests: InvokeRequest[] } {
  const requests: InvokeRequest[] = [];
  return {
    name: 'answering',
    requests,
    async invoke(request, signal) {
      requests.push(request);
      if (delayMs)
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, delayMs);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new AbortError('aborted'));
          });
        });
      return { content: '', toolCalls: [], finishReason: 'stop', usage: { inputTokens: 1000, outputTokens: 500 }, ...reply(request) };
    },
  };
}

const system = testPrompt({ path: 'sys/x', template: 'You solve.' });
// testPrompt is untyped; a prompt from @lllm/prompts carries its parser's type the same way.
const task = testPrompt({
  path: 'task/add',
  template: 'Add {a} and {b}.',
  parse: (text) => Number(answerTagParser(text)),
}) as PromptLike<number>;

describe('defineTactic / buildTactic', () => {
  it('runs a tactic over configured agents with typed results and a logged session summary', async () => {
    const adder = defineTactic({
      name: 'test-adder',
      agents: ['solver'],
      async run(input: { a: number; b: number }, { agents }) {
        const solver = agents.solver;
        if (!solver) throw new Error('no solver');
        solver.open();
        const result = await solver.ask(task, input);
        return result.parsed;
      },
    });
    const log = new MemoryLogStore();
    let first = true;
    const invoker = answering((request) => {
      if (first) {
        first = false;
        return { content: 'no tags' };
      }
      const [a, b] = (/Add (\d+) and (\d+)/.exec(request.messages[1]?.content ?? '') ?? []).slice(1).map(Number);
      return { content: `<answer>${(a ?? 0) + (b ?? 0)}</answer>` };
    });
    const tactic = await buildTactic(systemConfig(['solver']), {
      tactic: adder,
      promptLookup: () => system,
      invokerFor: () => invoker,
      log,
    });
    const run = await tactic.call({ a: 2, b: 3 }, { session: 'add-1' });
    expectTypeOf(run.result).toEqualTypeOf<number>();
    expect(run.result).toBe(5);
    expect(run.summary).toMatchObject({
      tactic: 'test-adder',
      session: 'add-1',
      state: 'success',
      calls: 1,
      failedCalls: 0,
      requests: 2,
      attempts: { parse: 1 },
      toolCalls: 0,
      tokens: { input: 2000, output: 1000 },
      costKnown: true,
    });
    // 2 requests × (1000 × $1 + 500 × $2) per million = $0.004
    expect(run.summary.costUsd).toBeCloseTo(0.004, 12);
    expect(run.cost.totalPicoUsd).toBe(4_000_000_000);
    expect(run.summary.agents.solver?.requests).toBe(2);
    const logged = (await log.read('messages', 'add-1')).map((entry) => entry.data).filter((data) => data.event === TACTIC_SESSION_EVENT);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ tactic: 'test-adder', calls: 1, requests: 2 });
  });

  it('records tool calls, sub-tactic calls and per-agent totals; the dialog API opens, forks and switches', async () => {
    const lookup = testTool('lookup', () => 'forty-two');
    const withTool = testPrompt({ path: 'task/tool', template: 'Find {q}.', parse: answerTagParser, tools: [lookup] });
    const child = defineTactic({
      name: 'test-child',
      agents: ['checker'],
      async run(input: string, { agents }) {
        const checker = agents.checker;
        if (!checker) throw new Error('no checker');
        checker.receive(`Check ${input}`);
        return (await checker.respond<string>()).parsed;
      },
    });
    const parent = defineTactic({
      name: 'test-parent',
      agents: ['finder'],
      tactics: { check: child },
      async run(input: string, { agents, tactics }) {
        const finder = agents.finder;
        if (!finder) throw new Error('no finder');
        finder.open('main');
        const answer = (await finder.ask(withTool, { q: input })).parsed;
        const fork = finder.fork('second');
        expect(fork.length).toBe(finder.switch('main').length);
        finder.switch('second');
        finder.receive('Say it again.');
        await finder.respond();
        expect(finder.aliases).toEqual(['main', 'second']);
        expect(() => finder.switch('mian')).toThrow(/no dialog "mian".*Did you mean "main"/);
        const checked = await tactics.check?.call(answer);
        return `${answer}/${String(checked)}`;
      },
    });
    let calls = 0;
    const invoker = answering((request) => {
      calls += 1;
      if (request.promptPath === 'task/tool')
        return { toolCalls: [{ id: 'c1', name: 'lookup', arguments: '{}' }], finishReason: 'tool_calls' };
      return { content: '<answer>42</answer>' };
    });
    const tactic = await buildTactic(systemConfig(['finder', 'checker']), {
      tactic: parent,
      promptLookup: (path) => (path === 'sys/checker' ? testPrompt({ path: 'sys/checker', template: 'Check.' }) : system),
      invokerFor: () => invoker,
      log: new MemoryLogStore(),
    });
    const run = await tactic.call('the answer');
    expect(run.result).toBe('42/<answer>42</answer>');
    expect(calls).toBe(4);
    expect(run.summary.calls).toBe(3);
    expect(run.summary.toolCalls).toBe(1);
    expect(run.summary.requests).toBe(4);
    expect(run.summary.agents.finder).toMatchObject({ calls: 2, requests: 3, toolCalls: 1 });
    expect(run.summary.subTactics).toHaveLength(1);
    expect(run.summary.subTactics[0]).toMatchObject({
      tactic: 'test-child',
      state: 'success',
      calls: 1,
      agents: { checker: { calls: 1 } },
    });
    expect(run.cost.totalPicoUsd).toBe(4 * 2_000_000_000);
  });

  it('a failing call is a TacticCallError carrying the summary; an abort is an AbortError', async () => {
    const failing = defineTactic({
      name: 'test-failing',
      agents: ['solver'],
      async run(input: number, { agents }) {
        agents.solver?.receive(task, { a: input, b: 1 });
        return (await agents.solver?.respond<number>())?.parsed;
      },
    });
    const log = new MemoryLogStore();
    const tactic = await buildTactic(systemConfig(['solver']), {
      tactic: failing,
      promptLookup: () => system,
      invokerFor: () => answering(() => ({ content: 'never tagged' })),
      log,
      agentOptions: { maxExceptionRetry: 1 },
    });
    const error = await tactic.call(1, { session: 'fail-1' }).catch((thrown: unknown) => thrown);
    expect(TacticCallError.isInstance(error)).toBe(true);
    const typed = error as TacticCallError;
    expect(typed.kind).toBe('parse');
    expect(typed.message).toMatch(/Tactic "test-failing" failed \(log session "fail-1"\)/);
    expect(typed.summary).toMatchObject({ state: 'failure', failedCalls: 1, requests: 2, attempts: { parse: 2 } });
    const logged = (await log.read('messages', 'fail-1')).filter((entry) => entry.data.event === TACTIC_SESSION_EVENT);
    expect(logged[0]?.data).toMatchObject({ state: 'failure' } satisfies Partial<TacticSessionSummary>);

    const slow = await buildTactic(systemConfig(['solver']), {
      tactic: failing,
      promptLookup: () => system,
      invokerFor: () => answering(() => ({ content: '<answer>1</answer>' }), 5_000),
      log,
    });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    await expect(slow.call(1, { signal: controller.signal })).rejects.toSatisfy(AbortError.isInstance);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("runs as an agent system (agent_type = the tactic name), as lllm run does, with the run's cost", async () => {
    const echo = defineTactic({
      name: 'test-echo-system',
      agents: ['solver'],
      async run(input: string, { agents }) {
        agents.solver?.receive(`Echo ${input}`);
        return (await agents.solver?.respond<string>())?.parsed;
      },
    });
    expect(getAgentType('test-echo-system').agentGroup).toEqual(['solver']);
    const config = { ...systemConfig(['solver']), agent_type: echo.name };
    const log = new MemoryLogStore();
    const built = await buildAgent(config, {
      promptLookup: () => system,
      invokerFor: () => answering((request) => ({ content: `<${request.messages.at(-1)?.content}>` })),
      log,
    });
    const run = await built.run('hi', { session: 'sys-1' });
    expect(run.result).toBe('<Echo hi>');
    expect(run.cost.totalPicoUsd).toBe(2_000_000_000);
    const logged = (await log.read('messages', 'sys-1')).filter((entry) => entry.data.event === TACTIC_SESSION_EVENT);
    expect(logged[0]?.data).toMatchObject({ tactic: 'test-echo-system', calls: 1 });
  });

  it('Tactic.quick runs a one-off agent without a config', async () => {
    const invoker = answering((request) => ({ content: `echo: ${request.messages.at(-1)?.content}` }));
    const quick = Tactic.quick('You echo.', { model: 'tactic-test-model', invoker });
    const run = await quick.call('hello');
    expectTypeOf(run.result).toEqualTypeOf<string>();
    expect(run.result).toBe('echo: hello');
    expect(invoker.requests[0]?.messages.map((message) => message.content)).toEqual(['You echo.', 'hello']);
    expect(run.summary.calls).toBe(1);
  });

  it('registers, finds and discovers tactics by name', async () => {
    expect(getTactic('test-adder').name).toBe('test-adder');
    expect(() => getTactic('test-addr')).toThrow(NotFoundError);
    expect(() => getTactic('test-addr')).toThrow(/Did you mean "test-adder"/);
    expect(() => defineTactic({ name: 'test-adder', agents: [], run: async () => 1 })).toThrow(/already registered/);
    registerTacticDiscovery();
    const section = getDiscoverySection('tactics');
    const found = { name: 'test-discovered', agents: [], run: async () => 'ok' };
    await section?.({ found, other: 3 }, { section: 'tactics', file: '/x.ts', folder: '/', modulePath: 'x' });
    expect(getTactic('test-discovered')).toBe(found);
  });
});
