import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from './agent.js';
import { AGENT_CALL_ERROR_EVENT, type AgentCallErrorRecord } from './attempt-log.js';
import { buildAgent, defineAgent } from './config/agent-system.js';
import { loadSystemConfig, modelArguments } from './config/system-config.js';
import { AgentCallError, ConfigError, ProviderError, TemplateError } from './errors.js';
import { MemoryLogStore } from './log-store.js';
import { Message, type MessageJSON } from './message.js';
import { costOf, priceUsage, registerModelCard, usageProblems } from './model-card.js';
import { RequestDeadline } from './request-deadline.js';
import { createScriptedInvoker, type ScriptStep, scriptedHttpError } from './scripted-invoker.js';
import { createSilentStream } from './stream.js';
import { answerTagParser, testPrompt } from './test-prompt.js';

function setup(steps: ScriptStep[], options: Partial<AgentOptions> = {}) {
  const invoker = createScriptedInvoker(steps);
  const log = new MemoryLogStore();
  const waits: number[] = [];
  const agent = new Agent({
    name: 'solver',
    systemPrompt: testPrompt({ path: 'test/system', template: 'You are a tester.' }),
    model: 'test-model',
    invoker,
    log,
    session: 's',
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...options,
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(testPrompt({ parse: answerTagParser }), { task: 'add 2 and 2' });
  return { agent, dialog, invoker, log, waits };
}

async function replies(log: MemoryLogStore) {
  const entries = await log.read('messages', 's');
  return entries
    .filter((entry) => entry.data.message !== undefined)
    .map((entry) => ({ pruned: entry.data.pruned === true, message: Message.fromJSON(entry.data.message as unknown as MessageJSON) }))
    .filter((entry) => entry.message.role === 'assistant' || entry.message.role === 'tool_call');
}

describe('every attempt of an agent call is logged', () => {
  it('a failed call logs each provider attempt and its final error', async () => {
    const { agent, dialog, invoker, log, waits } = setup(
      [
        { error: scriptedHttpError(429, { retryAfterMs: 1_500 }) },
        { error: scriptedHttpError(503) },
        { error: scriptedHttpError(500) },
        { error: scriptedHttpError(502) },
        { error: scriptedHttpError(500) },
      ],
      { maxLlmRecall: 3, backoff: { initialDelayMs: 100 } },
    );
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(AgentCallError.isInstance(error)).toBe(true);
    expect(error.kind).toBe('provider');
    expect(invoker.requests).toHaveLength(5);
    expect(waits).toEqual([1_500, 100, 200, 400]);

    const logged = await replies(log);
    expect(logged).toHaveLength(5);
    expect(logged.every((entry) => entry.pruned && entry.message.finishReason === 'error')).toBe(true);
    const details = logged.map((entry) => entry.message.attempts[0]?.provider);
    expect(details.map((detail) => detail?.errorKind)).toEqual(['rate_limit', 'server', 'server', 'server', 'server']);
    expect(logged.map((entry) => entry.message.attempts[0]?.statusCode)).toEqual([429, 503, 500, 502, 500]);
    expect(details.map((detail) => detail?.waitMs)).toEqual([1_500, 100, 200, 400, undefined]);
    expect(details[0]?.retryAfterMs).toBe(1_500);
    expect(details.every((detail) => typeof detail?.durationMs === 'number' && detail.invoker === 'scripted')).toBe(true);

    const records = (await log.read('messages', 's')).filter((entry) => entry.data.event === AGENT_CALL_ERROR_EVENT);
    expect(records).toHaveLength(1);
    const record = records[0]?.data as unknown as AgentCallErrorRecord;
    expect(record).toMatchObject({
      kind: 'provider',
      agent: 'solver',
      dialogId: dialog.id,
      promptPath: 'test/task',
      name: 'AgentCallError',
    });
    expect(record.error).toBe(error.message);
    expect(record.attempts).toHaveLength(5);
    expect(record.providerError).toMatchObject({ kind: 'server', statusCode: 500 });
  });

  it('a successful call logs the transient failures it retried, and they travel on the reply', async () => {
    const { agent, dialog, log } = setup([{ error: scriptedHttpError(500) }, { content: 'four' }, { content: '<answer>4</answer>' }]);
    const result = await agent.call(dialog);
    expect(result.parsed).toBe('4');
    const logged = await replies(log);
    // One logged reply per request: the fault, the unparsable reply, the accepted reply.
    expect(logged.map((entry) => [entry.pruned, entry.message.content])).toEqual([
      [true, ''],
      [true, 'four'],
      [false, '<answer>4</answer>'],
    ]);
    expect(result.message.attempts.map((attempt) => attempt.kind)).toEqual(['provider', 'parse']);
    expect((await log.read('messages', 's')).some((entry) => entry.data.event === AGENT_CALL_ERROR_EVENT)).toBe(false);
  });

  it('a parse failure that ends the call is logged with its kind', async () => {
    const { agent, dialog, log } = setup([{ content: 'a' }, { content: 'b' }], { maxExceptionRetry: 1 });
    await expect(agent.call(dialog)).rejects.toMatchObject({ kind: 'parse' });
    const record = (await log.read('messages', 's')).find((entry) => entry.data.event === AGENT_CALL_ERROR_EVENT);
    expect(record?.data).toMatchObject({ kind: 'parse', attempts: [{ kind: 'parse' }, { kind: 'parse' }] });
  });

  it('an aborted call is logged as aborted', async () => {
    const controller = new AbortController();
    const { agent, dialog, log } = setup([{ content: '<answer>4</answer>', delayMs: 5_000 }]);
    const call = agent.call(dialog, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    const record = (await log.read('messages', 's')).find((entry) => entry.data.event === AGENT_CALL_ERROR_EVENT);
    expect(record?.data).toMatchObject({ kind: 'aborted', name: 'AbortError' });
  });
});

describe('request time limits', () => {
  it('times out a stalled request with its timeoutMs, typed and retried on the recall budget', async () => {
    const { agent, dialog, invoker, log } = setup([{ content: 'late', delayMs: 10_000 }, { content: '<answer>4</answer>' }], {
      timeoutMs: 40,
    });
    const started = Date.now();
    const result = await agent.call(dialog);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.parsed).toBe('4');
    expect(invoker.requests).toHaveLength(2);
    const attempt = result.attempts[0];
    expect(attempt?.provider).toMatchObject({ errorKind: 'timeout', retryable: true });
    expect(attempt?.error).toContain('timed out after 40 ms');
    expect((await replies(log))[0]?.message.attempts[0]?.provider?.errorKind).toBe('timeout');
  });

  it('defaults to 120 s per request and 60 s of stream silence; 0 turns a limit off; bad values are typed errors', () => {
    const base = { name: 'a', systemPrompt: testPrompt(), model: 'm', invoker: createScriptedInvoker([]) };
    expect(new Agent(base).limits).toEqual({ timeoutMs: 120_000, streamIdleTimeoutMs: 60_000 });
    expect(new Agent({ ...base, timeoutMs: 0, streamIdleTimeoutMs: 5 }).limits).toEqual({ timeoutMs: 0, streamIdleTimeoutMs: 5 });
    expect(() => new Agent({ ...base, timeoutMs: -1 })).toThrow(/timeoutMs must be a whole number >= 0, got -1/);
  });

  it('a stream that starts and then goes silent ends on the idle limit, not the request limit', async () => {
    const stalled: ScriptStep = async (request) => {
      request.onActivity?.();
      request.onEvent?.({ type: 'text-delta', text: '<ans' });
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      return { content: 'never' };
    };
    // The idle check must not fire while events keep coming: 6 events 20 ms apart outlast a 50 ms idle limit.
    const lively: ScriptStep = async (request) => {
      for (let index = 0; index < 6; index++) {
        request.onActivity?.();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { content: '<answer>4</answer>' };
    };
    const { agent, dialog } = setup([stalled, lively], {
      timeoutMs: 5_000,
      streamIdleTimeoutMs: 50,
      streamReplies: true,
      stream: createSilentStream(),
    });
    const started = Date.now();
    const result = await agent.call(dialog);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.parsed).toBe('4');
    expect(result.attempts).toHaveLength(1);
    expect(result.attempts[0]?.error).toContain('50 ms of silence in the streamed reply');
  });

  it('RequestDeadline fires once with its reason and never after clear()', async () => {
    const deadline = new RequestDeadline({ timeoutMs: 20, streamIdleTimeoutMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.reason).toBe('request');
    const cleared = new RequestDeadline({ timeoutMs: 20, streamIdleTimeoutMs: 20 });
    cleared.clear();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cleared.signal.aborted).toBe(false);
  });
});

describe('usage is validated before it is priced', () => {
  registerModelCard({ name: 'priced-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } });

  it('missing, NaN and negative counts are never priced as known', () => {
    const card = { name: 'priced-model', provider: 'test', features: {}, pricing: { input: 1, output: 2 } };
    const missing = priceUsage(card, { inputTokens: 10 } as never);
    expect(missing).toMatchObject({ known: false, totalUsd: 0 });
    expect(priceUsage(card, { inputTokens: 10, outputTokens: Number.NaN })).toMatchObject({ known: false, totalUsd: 0 });
    expect(priceUsage(card, { inputTokens: -5, outputTokens: 1 }).known).toBe(false);
    expect(costOf('priced-model', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toMatchObject({ known: true, totalUsd: 3 });
    expect(usageProblems({ inputTokens: 1, outputTokens: Number.POSITIVE_INFINITY, cachedInputTokens: -1 })).toEqual([
      'outputTokens must be a finite number >= 0, got Infinity',
      'cachedInputTokens must be a finite number >= 0, got -1',
    ]);
  });
});

describe('template placeholders are own arguments only', () => {
  it('{constructor} and {toString} are missing arguments, not Object.prototype members', () => {
    const prompt = testPrompt({ template: 'A {constructor} and {toString}' });
    expect(() => prompt.render({})).toThrow(TemplateError);
    expect(prompt.render({ constructor: 'c', toString: 't' })).toBe('A c and t');
  });
});

describe('agent config keys: timeouts, extra_body, misspellings', () => {
  const root = mkdtempSync(join(tmpdir(), 'lllm-call-faults-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (name: string, agent: string) => {
    const file = join(root, 'config', name, 'default.yaml');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      `name: ${name}\nagent_type: faults-test\nlog_type: memory\nagent_configs:\n  solver:\n    model_name: test-model\n    system_prompt_path: test/system\n${agent}`,
    );
    return file;
  };

  it('a misspelt key is reported with a suggestion and the extra_body escape hatch', () => {
    const file = write('typo', '    temprature: 0.2\n');
    let error: unknown;
    try {
      loadSystemConfig(file, { root });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      'agent_configs.solver: unknown key "temprature" (did you mean "temperature"?); a provider-specific body field goes under extra_body: { <key>: <value> }',
    ]);
  });

  it('timeouts are validated, and reach the agent; extra_body fields are model arguments', async () => {
    expect(() => loadSystemConfig(write('negative', '    timeout_ms: -5\n'), { root })).toThrow(/agent_configs\.solver\.timeout_ms/);
    const config = loadSystemConfig(
      write(
        'good',
        '    timeout_ms: 1500\n    stream_idle_timeout_ms: 700\n    temperature: 0.1\n    extra_body:\n      repetition_penalty: 1.1\n',
      ),
      { root },
    );
    const agentConfig = config.agent_configs.solver;
    expect(agentConfig && modelArguments(agentConfig)).toEqual({ temperature: 0.1, repetition_penalty: 1.1 });
    defineAgent({ agentType: 'faults-test', agentGroup: ['solver'], run: async () => 'done' });
    const system = await buildAgent(config, {
      promptLookup: () => testPrompt(),
      invokerFor: () => createScriptedInvoker([]),
      log: new MemoryLogStore(),
    });
    expect(system.agents.solver?.limits).toEqual({ timeoutMs: 1500, streamIdleTimeoutMs: 700 });
    const overridden = await buildAgent(config, {
      promptLookup: () => testPrompt(),
      invokerFor: () => createScriptedInvoker([]),
      log: new MemoryLogStore(),
      agentOptions: { timeoutMs: 90 },
    });
    expect(overridden.agents.solver?.limits.timeoutMs).toBe(90);
  });
});

describe('invalid_response is transient by default', () => {
  it('is retried on the recall budget', async () => {
    const malformed = new ProviderError('bad reply', { kind: 'invalid_response', provider: 'scripted' });
    expect(malformed.isRetryable).toBe(true);
    const { agent, dialog, invoker } = setup([{ error: malformed }, { content: '<answer>4</answer>' }]);
    expect((await agent.call(dialog)).parsed).toBe('4');
    expect(invoker.requests).toHaveLength(2);
  });
});
