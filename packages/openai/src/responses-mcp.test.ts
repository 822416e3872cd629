// Hosted MCP on the Responses API through the real `openai` client and the local wire server:
// approval requests answered by the policy (or a typed error without one), mcp_call items surfaced.
// The response envelope comes from @lllm/test-server's builder; the MCP output items follow the API reference
// (mcp_list_tools, mcp_approval_request, mcp_call; mcp_approval_response as an input item).
import { Agent, AgentCallError, Dialog, type InvokeRequest, type InvokeResult, Message, ProviderError } from '@lllm/core';
import { Prompt, tool } from '@lllm/prompts';
import { responseBody as envelope, type SseEvent, startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenAI } from './provider.js';
import type { McpApprovalRequest, ResponsesInvokerOptions } from './responses-invoker.js';

let server: WireServer;
beforeAll(async () => {
  server = await startWireServer();
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const RESPONSES = '/v1/responses';

type Item = Record<string, unknown>;
const usage = (input: number, output: number) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: input + output,
});
const responseBody = (id: string, output: Item[], tokens = usage(100, 10)) => ({
  ...envelope({ id, model: 'gpt-4.1-2025-04-14', output: output as { type: string }[] }),
  usage: tokens,
});
const reply = (id: string, output: Item[], tokens?: ReturnType<typeof usage>) => ({ json: responseBody(id, output, tokens) });

const listTools: Item = {
  type: 'mcp_list_tools',
  id: 'mcpl_1',
  server_label: 'deepwiki',
  tools: [{ name: 'ask_question', input_schema: { type: 'object', properties: { question: { type: 'string' } } } }],
};
const approvalRequest = (id: string, question = 'Which transports?'): Item => ({
  type: 'mcp_approval_request',
  id,
  server_label: 'deepwiki',
  name: 'ask_question',
  arguments: JSON.stringify({ question }),
});
const mcpCall = (id: string, fields: Item): Item => ({
  type: 'mcp_call',
  id,
  server_label: 'deepwiki',
  name: 'ask_question',
  arguments: '{"question":"Which transports?"}',
  output: null,
  error: null,
  status: 'completed',
  ...fields,
});
const text = (value: string): Item => ({
  type: 'message',
  id: 'msg_1',
  role: 'assistant',
  status: 'completed',
  content: [{ type: 'output_text', text: value, annotations: [] }],
});

const system = new Prompt({ path: 'mcp/system', prompt: 'You answer questions about repositories.' });
const ask = (requireApproval: 'always' | 'never' = 'always', extra: Partial<ConstructorParameters<typeof Prompt>[0]> = {}) =>
  new Prompt({
    path: 'mcp/ask',
    prompt: 'Which transports does the MCP spec support? Answer in <answer></answer>.',
    mcpServers: [{ label: 'deepwiki', url: 'https://mcp.example.com/mcp', requireApproval }],
    requiredXmlTags: ['answer'],
    ...extra,
  });

function setup(options: ResponsesInvokerOptions = {}, prompt = ask()) {
  const provider = createOpenAI({ apiKey: 'sk-test-mcp-key-00000000000000', baseURL: server.openaiBaseURL });
  const agent = new Agent({
    name: 'wiki',
    systemPrompt: system,
    model: 'gpt-4.1',
    invoker: provider.responses(options),
    sleep: async () => {},
    random: () => 0,
  });
  const dialog = agent.initDialog();
  dialog.sendMessage(prompt);
  return { agent, dialog, provider };
}

const bodies = () => server.requestsTo(RESPONSES).map((request) => request.body as { input: Item[]; tools?: Item[]; stream?: boolean });

describe('hosted MCP approvals', () => {
  it('approved: the follow-up re-sends the input with the reply items and approve: true, and the final text comes back', async () => {
    server.enqueue(
      RESPONSES,
      reply('resp_1', [listTools, approvalRequest('mcpr_1')], usage(100, 20)),
      reply(
        'resp_2',
        [
          mcpCall('mcp_1', { approval_request_id: 'mcpr_1', output: 'stdio and Streamable HTTP' }),
          text('<answer>stdio, Streamable HTTP</answer>'),
        ],
        usage(300, 15),
      ),
    );
    const asked: McpApprovalRequest[] = [];
    const { agent, dialog } = setup({
      onMcpApproval: (request) => {
        asked.push(request);
        return true;
      },
    });
    const result = await agent.call(dialog);

    expect(asked).toEqual([{ id: 'mcpr_1', serverLabel: 'deepwiki', name: 'ask_question', arguments: '{"question":"Which transports?"}' }]);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['stdio, Streamable HTTP'] } });
    const [first, second] = bodies();
    expect(bodies()).toHaveLength(2);
    expect(first?.tools).toEqual([
      { type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.example.com/mcp', require_approval: 'always' },
    ]);
    expect(second?.tools).toEqual(first?.tools);
    // Stateless continuation: the same input, then the reply's items, then the answer.
    expect(second?.input.slice(0, first?.input.length)).toEqual(first?.input);
    expect(second?.input.slice(first?.input.length)).toEqual([
      listTools,
      approvalRequest('mcpr_1'),
      { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true },
    ]);

    const message = result.message;
    expect(message.extra.mcpCalls).toEqual([
      {
        id: 'mcp_1',
        serverLabel: 'deepwiki',
        name: 'ask_question',
        arguments: '{"question":"Which transports?"}',
        output: 'stdio and Streamable HTTP',
        approvalRequestId: 'mcpr_1',
      },
    ]);
    expect(message.extra.mcpApprovals).toEqual([{ ...asked[0], approved: true }]);
    expect(message.extra.responseIds).toEqual(['resp_1', 'resp_2']);
    expect(message.extra.responseId).toBe('resp_2');
    // Both requests are billed.
    expect(message.usage).toEqual({ inputTokens: 400, outputTokens: 35 });
    // The raw payload keeps the whole exchange, in wire order.
    expect((message.raw as { output: Item[] }).output.map((item) => item.type)).toEqual([
      'mcp_list_tools',
      'mcp_approval_request',
      'mcp_approval_response',
      'mcp_call',
      'message',
    ]);
    // It survives the log round trip.
    expect(Message.fromJSON(JSON.parse(JSON.stringify(message.toJSON()))).extra).toEqual(message.extra);

    // The next turn keeps the hosted items in context (the model remembers what the tool returned).
    server.enqueue(RESPONSES, reply('resp_3', [text('<answer>both</answer>')]));
    dialog.sendMessage(new Prompt({ path: 'mcp/again', prompt: 'Again, briefly.', requiredXmlTags: ['answer'] }));
    await agent.call(dialog);
    const third = bodies()[2]?.input ?? [];
    expect(third.map((item) => item.type ?? item.role)).toEqual([
      'system',
      'user',
      'mcp_list_tools',
      'mcp_approval_request',
      'mcp_approval_response',
      'mcp_call',
      'message',
      'user',
    ]);
  });

  it('denied: approve: false goes back and the model answers without the tool', async () => {
    server.enqueue(
      RESPONSES,
      reply('resp_1', [listTools, approvalRequest('mcpr_9')]),
      reply('resp_2', [text('<answer>I could not look it up.</answer>')]),
    );
    const { agent, dialog } = setup({ onMcpApproval: async (request) => request.serverLabel !== 'deepwiki' });
    const result = await agent.call(dialog);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['I could not look it up.'] } });
    expect(bodies()[1]?.input.at(-1)).toEqual({ type: 'mcp_approval_response', approval_request_id: 'mcpr_9', approve: false });
    expect(result.message.extra.mcpApprovals).toEqual([
      { id: 'mcpr_9', serverLabel: 'deepwiki', name: 'ask_question', arguments: '{"question":"Which transports?"}', approved: false },
    ]);
    expect(result.message.extra.mcpCalls).toBeUndefined();
  });

  it('without a policy: a non-retryable invalid_response ProviderError naming the server, the tool and the fix', async () => {
    server.enqueue(RESPONSES, reply('resp_1', [listTools, approvalRequest('mcpr_1')]));
    const { provider } = setup();
    const request: InvokeRequest = {
      model: 'gpt-4.1',
      messages: Dialog.create({ system: 'Be brief.' }).messages,
      tools: [],
      modelArgs: {},
      hostedTools: {
        mcpServers: [{ label: 'deepwiki', url: 'https://mcp.example.com/mcp', requireApproval: 'always' }],
        webSearch: false,
      },
    };
    const error = await provider
      .responses()
      .invoke(request, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect(ProviderError.isInstance(error)).toBe(true);
    const providerError = error as ProviderError;
    expect(providerError.kind).toBe('invalid_response');
    expect(providerError.isRetryable).toBe(false);
    expect(providerError.message).toContain('"ask_question" on the hosted MCP server "deepwiki"');
    expect(providerError.message).toContain('onMcpApproval');
    expect(providerError.message).toContain("requireApproval: 'never'");

    // Through an agent call: one request, no retry, a provider AgentCallError (never an empty answer).
    server.enqueue(RESPONSES, reply('resp_1', [listTools, approvalRequest('mcpr_1')]), reply('resp_x', [text('<answer>?</answer>')]));
    const { agent, dialog } = setup();
    const failed = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(AgentCallError.isInstance(failed)).toBe(true);
    expect(failed.kind).toBe('provider');
    expect(failed.message).toContain('hosted MCP server "deepwiki"');
    expect(server.requestsTo(RESPONSES)).toHaveLength(2);
  });

  it('a policy that keeps approving is bounded by maxMcpApprovalRounds', async () => {
    let round = 0;
    server.respondAlways(RESPONSES, () => {
      round += 1;
      return reply(`resp_${round}`, [approvalRequest(`mcpr_${round}`)]);
    });
    const { agent, dialog } = setup({ onMcpApproval: () => true, maxMcpApprovalRounds: 2 });
    const error = (await agent.call(dialog).catch((caught: unknown) => caught)) as AgentCallError;
    expect(error.kind).toBe('provider');
    expect(error.message).toContain('did not settle after 2 follow-up requests');
    expect(server.requestsTo(RESPONSES)).toHaveLength(3);
    expect(
      bodies()[2]
        ?.input.filter((item) => item.type === 'mcp_approval_response')
        .map((item) => item.approval_request_id),
    ).toEqual(['mcpr_1', 'mcpr_2']);
  });

  it("the policy's own error reaches the caller as thrown, with no follow-up request", async () => {
    server.enqueue(RESPONSES, reply('resp_1', [approvalRequest('mcpr_1')]));
    const provider = createOpenAI({ apiKey: 'sk-test-mcp-key-00000000000000', baseURL: server.openaiBaseURL });
    const invoker = provider.responses({
      onMcpApproval: () => {
        throw new Error('approval service is down');
      },
    });
    const error = await invoker
      .invoke({ model: 'gpt-4.1', messages: [], tools: [], modelArgs: {} }, new AbortController().signal)
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('approval service is down');
    expect(ProviderError.isInstance(error)).toBe(false);
    expect(server.requestsTo(RESPONSES)).toHaveLength(1);
  });

  it('streaming: approvals work over SSE, text deltas of the follow-up reach onEvent', async () => {
    const completed = (body: ReturnType<typeof responseBody>): SseEvent => ({
      event: 'response.completed',
      data: { type: 'response.completed', sequence_number: 9, response: body },
    });
    const delta = (value: string, sequence: number): SseEvent => ({
      event: 'response.output_text.delta',
      data: {
        type: 'response.output_text.delta',
        item_id: 'msg_1',
        output_index: 1,
        content_index: 0,
        delta: value,
        logprobs: [],
        sequence_number: sequence,
      },
    });
    server.enqueue(
      RESPONSES,
      { events: [completed(responseBody('resp_1', [listTools, approvalRequest('mcpr_1')]))] },
      {
        events: [
          delta('<answer>', 1),
          delta('stdio</answer>', 2),
          completed(
            responseBody('resp_2', [mcpCall('mcp_1', { approval_request_id: 'mcpr_1', output: 'stdio' }), text('<answer>stdio</answer>')]),
          ),
        ],
      },
    );
    const provider = createOpenAI({ apiKey: 'sk-test-mcp-key-00000000000000', baseURL: server.openaiBaseURL });
    const deltas: string[] = [];
    const result = (await provider.responses({ onMcpApproval: () => true }).invoke(
      {
        model: 'gpt-4.1',
        messages: [],
        tools: [],
        modelArgs: {},
        stream: true,
        onEvent: (event) => event.type === 'text-delta' && deltas.push(event.text),
      },
      new AbortController().signal,
    )) as InvokeResult;
    expect(deltas.join('')).toBe('<answer>stdio</answer>');
    expect(result.content).toBe('<answer>stdio</answer>');
    expect(bodies().map((body) => body.stream)).toEqual([true, true]);
    expect(bodies()[1]?.input.at(-1)).toEqual({ type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true });
  });

  it('approval requests beside function calls: decided now, answered with the next turn after the tool results', async () => {
    const lookup = tool({
      name: 'lookup_repo',
      description: 'Find a repository',
      parameters: z.object({ name: z.string() }),
      execute: ({ name }) => `github.com/${name}`,
    });
    server.enqueue(
      RESPONSES,
      reply('resp_1', [
        approvalRequest('mcpr_1'),
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup_repo', arguments: '{"name":"mcp"}', status: 'completed' },
      ]),
      reply('resp_2', [mcpCall('mcp_1', { approval_request_id: 'mcpr_1', output: 'stdio' }), text('<answer>stdio</answer>')]),
    );
    const decided: string[] = [];
    const { agent, dialog } = setup(
      {
        onMcpApproval: (request) => {
          decided.push(request.id);
          return true;
        },
      },
      ask('always', { functions: [lookup] }),
    );
    const result = await agent.call(dialog);
    expect(decided).toEqual(['mcpr_1']);
    expect(result.calls.map((call) => call.name)).toEqual(['lookup_repo']);
    const second = bodies()[1]?.input ?? [];
    expect(second.slice(-4)).toEqual([
      approvalRequest('mcpr_1'),
      { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'lookup_repo', arguments: '{"name":"mcp"}', status: 'completed' },
      { type: 'mcp_approval_response', approval_request_id: 'mcpr_1', approve: true },
      { type: 'function_call_output', call_id: 'call_1', output: 'github.com/mcp' },
    ]);
    expect(result.parsed).toMatchObject({ xmlTags: { answer: ['stdio'] } });
  });
});

describe('hosted MCP calls the provider ran', () => {
  it('mcp_call items (output and error) are summarised in extra.mcpCalls and kept verbatim in raw', async () => {
    const failing = mcpCall('mcp_2', {
      arguments: '{"question":""}',
      status: 'failed',
      error: { type: 'mcp_tool_execution_error', message: 'question must not be empty', code: -32602 },
    });
    const output = [listTools, mcpCall('mcp_1', { output: 'stdio and Streamable HTTP' }), failing, text('<answer>stdio</answer>')];
    server.enqueue(RESPONSES, reply('resp_1', output));
    const { agent, dialog } = setup({}, ask('never'));
    const result = await agent.call(dialog);
    expect(bodies()[0]?.tools?.[0]?.require_approval).toBe('never');
    expect(result.message.extra.mcpCalls).toEqual([
      {
        id: 'mcp_1',
        serverLabel: 'deepwiki',
        name: 'ask_question',
        arguments: '{"question":"Which transports?"}',
        output: 'stdio and Streamable HTTP',
      },
      {
        id: 'mcp_2',
        serverLabel: 'deepwiki',
        name: 'ask_question',
        arguments: '{"question":""}',
        error: 'mcp_tool_execution_error -32602: question must not be empty',
      },
    ]);
    expect(result.message.extra.mcpApprovals).toBeUndefined();
    expect(result.message.raw).toMatchObject(responseBody('resp_1', output));
    expect(result.message.finishReason).toBe('stop');
  });

  it('a plain-string error (older payloads) is kept as is', async () => {
    server.enqueue(RESPONSES, reply('resp_1', [mcpCall('mcp_1', { error: 'Server unreachable' }), text('<answer>no</answer>')]));
    const { agent, dialog } = setup({}, ask('never'));
    const result = await agent.call(dialog);
    expect((result.message.extra.mcpCalls as { error?: string }[])[0]?.error).toBe('Server unreachable');
  });
});
