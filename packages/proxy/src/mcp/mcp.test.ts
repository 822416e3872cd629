// MCP client end to end against real MCP servers installed from npm (server-everything over stdio
// and Streamable HTTP, server-filesystem over stdio), and a full agent call through the real
// `openai` client against the local wire server. No test reaches a host outside this machine.
// Failures (refused, dying, hanging servers) and connectMcpServers are in mcp-failures.test.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, Agent, ConfigError, type ToolLike } from '@lllm/core';
import { createOpenAI } from '@lllm/openai';
import { Prompt } from '@lllm/prompts';
import { startWireServer, type WireServer } from '@lllm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.js';
import { freePort } from '../test-api.js';
import { connectMcp } from './connect.js';
import type { McpConnection } from './connection.js';
import { formatMcpResult } from './format.js';

import { EVERYTHING, everythingStdio, FILESYSTEM, isAlive, rejection, sleep, TIMEOUT } from './test-mcp-helpers.js';

const temp = mkdtempSync(join(realpathSync(tmpdir()), 'lllm-mcp-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('server-everything over stdio', TIMEOUT, () => {
  let everything: McpConnection;
  beforeAll(async () => {
    everything = await connectMcp(everythingStdio());
  }, 30_000);
  afterAll(async () => {
    const pid = everything?.pid;
    await everything?.close();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  }, 30_000);

  it('connects, reports the server and lists its tools', () => {
    expect(everything.serverInfo).toMatchObject({ name: 'mcp-servers/everything', title: 'Everything Reference Server' });
    expect(everything.pid).toEqual(expect.any(Number));
    expect(isAlive(everything.pid as number)).toBe(true);
    const names = everything.tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image', 'trigger-long-running-operation']));
    const sum = everything.tools.find((tool) => tool.name === 'get-sum');
    expect(sum?.inputSchema).toMatchObject({
      type: 'object',
      required: ['a', 'b'],
      properties: { a: { type: 'number' }, b: { type: 'number' } },
    });
  });

  it('listTools() asks the server again', async () => {
    const tools = await everything.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(everything.toolsChanged).toBe(false);
  });

  it('calls echo and get-sum', async () => {
    expect(await everything.callTool('echo', { message: 'hello MCP' })).toEqual({ content: [{ type: 'text', text: 'Echo: hello MCP' }] });
    const sum = await everything.callTool('get-sum', { a: 2, b: 40 });
    expect(formatMcpResult(sum)).toBe('The sum of 2 and 40 is 42.');
  });

  it('many calls with one caller signal leave no abort listeners on it', async () => {
    const signal = new AbortController().signal;
    for (let i = 0; i < 12; i++) await everything.callTool('echo', { message: String(i) }, { signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('bad arguments are a ProxyError carrying the server message', async () => {
    const error = await rejection(everything.callTool('get-sum', { a: 'two', b: 2 }));
    expect(ProxyError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'mcp', path: 'everything/tools/get-sum' });
    expect((error as Error).message).toMatch(/^MCP tool "get-sum" of server "everything" failed: .*Invalid arguments for tool get-sum/);
    expect((error as Error).message).toContain('expected number');
  });

  it('an unknown tool is a not_found ProxyError listing close names', async () => {
    const error = await rejection(everything.callTool('ecoh', { message: 'x' }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'not_found', suggestions: ['echo'] });
    expect((error as Error).message).toContain('MCP server "everything" has no tool "ecoh". Did you mean "echo"?');
    expect((error as Error).message).toContain('get-sum');
  });

  it('aborting a long-running tool rejects at once with AbortError and leaves the connection usable', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const error = await rejection(
      everything.callTool('trigger-long-running-operation', { duration: 30, steps: 30 }, { signal: controller.signal }),
    );
    expect(AbortError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(formatMcpResult(await everything.callTool('echo', { message: 'still here' }))).toBe('Echo: still here');
  });

  it('an already aborted signal rejects before anything is sent', async () => {
    const error = await rejection(everything.callTool('echo', { message: 'x' }, { signal: AbortSignal.abort() }));
    expect(AbortError.isInstance(error)).toBe(true);
  });

  it('a call slower than timeoutMs is a timeout ProxyError', async () => {
    const started = Date.now();
    const error = await rejection(everything.callTool('trigger-long-running-operation', { duration: 20, steps: 20 }, { timeoutMs: 300 }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'timeout', isRetryable: true });
    expect((error as Error).message).toContain('did not answer tools/call "trigger-long-running-operation" within 300 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('formats images, resources, resource links and structured content as text', async () => {
    const image = await everything.callTool('get-tiny-image');
    const data = image.content.find((block) => block.type === 'image');
    const bytes = Buffer.from(data && 'data' in data ? data.data : '', 'base64').length;
    expect(bytes).toBeGreaterThan(100);
    expect(formatMcpResult(image)).toContain(`[image image/png, ${bytes} bytes]`);
    expect(formatMcpResult(image)).toContain("Here's the image you requested:");

    const links = formatMcpResult(await everything.callTool('get-resource-links', { count: 2 }));
    expect(links).toContain(
      '[resource link demo://resource/dynamic/blob/1 (text/plain): Blob Resource 1 — Resource 1: plaintext resource]',
    );
    expect(links).toContain('[resource link demo://resource/dynamic/text/2');

    const reference = formatMcpResult(await everything.callTool('get-resource-reference', { resourceType: 'Text', resourceId: 1 }));
    expect(reference).toMatch(/\[resource demo:\/\/resource\/dynamic\/text\/1, text\/plain\]\nResource 1: This is a plaintext resource/);

    const structured = await everything.callTool('get-structured-content', { location: 'Chicago' });
    expect(structured.structuredContent).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 });
    // Text is present, so the structured content is not repeated.
    expect(formatMcpResult(structured)).toBe('{"temperature":36,"conditions":"Light rain / drizzle","humidity":82}');
    expect(formatMcpResult({ content: [], structuredContent: structured.structuredContent })).toBe(formatMcpResult(structured));
  });

  it('asTools() names, schemas, validation and execution', async () => {
    const tools = everything.asTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['everything_echo', 'everything_get-sum']));
    // A tool that only runs as an MCP task cannot be called with tools/call, so it is not offered.
    expect(everything.tools.find((tool) => tool.name === 'simulate-research-query')?.taskSupport).toBe('required');
    expect(names).not.toContain('everything_simulate-research-query');
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);

    const [sum] = everything.asTools({ include: ['get-sum'], prefix: 'calc' });
    expect(sum?.name).toBe('calc_get-sum');
    expect(sum?.description).toBe('Returns the sum of two numbers');
    expect(sum?.parameters).toEqual({
      type: 'object',
      properties: { a: { type: 'number', description: 'First number' }, b: { type: 'number', description: 'Second number' } },
      required: ['a', 'b'],
    });
    expect(sum?.validate?.({ a: 1, b: 2 })).toEqual({ success: true, data: { a: 1, b: 2 } });
    const invalid = sum?.validate?.({ a: 'one' });
    expect(invalid?.success).toBe(false);
    expect(invalid && !invalid.success && invalid.error).toBe("arguments must have required property 'b', arguments/a must be number");

    const result = await sum?.execute({ a: 5, b: 6 }, { signal: new AbortController().signal, callId: 'call_1', agentName: 'test' });
    expect(sum?.formatResult?.(result)).toBe('The sum of 5 and 6 is 11.');

    expect(everything.asTools({ exclude: ['echo'] }).map((tool) => tool.name)).not.toContain('everything_echo');
    expect(everything.asTools({ prefix: '', include: ['echo'] }).map((tool) => tool.name)).toEqual(['echo']);
    const error = (() => {
      try {
        everything.asTools({ include: ['get-summ'] });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('has no tool "get-summ" (did you mean "get-sum"?)');
  });

  it('asProxy() lists the tools as endpoints whose handler calls the tool', async () => {
    const proxy = everything.asProxy();
    expect(proxy.path).toBe('everything');
    expect(proxy.name).toBe('Everything Reference Server');
    expect(proxy.categories()).toEqual(['tools']);
    const sum = proxy.endpoint('tools/get-sum');
    expect(sum).toMatchObject({
      fullPath: 'everything/tools/get-sum',
      name: 'Get Sum Tool',
      description: 'Returns the sum of two numbers',
      required: ['a', 'b'],
    });
    expect(proxy.endpoint('tools/simulate-research-query')).toBeUndefined();
    if (!sum?.handler) throw new Error('no handler');
    const signal = new AbortController().signal;
    expect(await sum.handler({ a: 1, b: 2 }, { signal, endpoint: sum })).toBe('The sum of 1 and 2 is 3.');
    expect(sum.validate({ a: 1, b: 2 })).toMatchObject({ success: true });
    expect(sum.validate({ a: 'x' })).toMatchObject({ success: false });

    const weather = proxy.endpoint('tools/get-structured-content');
    if (!weather?.handler) throw new Error('no handler');
    expect(await weather.handler({ location: 'New York' }, { signal, endpoint: weather })).toEqual({
      temperature: 33,
      conditions: 'Cloudy',
      humidity: 82,
    });

    const aborted = await rejection(Promise.resolve(sum.handler({ a: 1, b: 2 }, { signal: AbortSignal.abort(), endpoint: sum })));
    expect(AbortError.isInstance(aborted)).toBe(true);

    const only = everything.asProxy({ include: ['echo'], path: 'mcp-echo', description: 'Echo only' });
    expect(only.endpoints.map((endpoint) => endpoint.fullPath)).toEqual(['mcp-echo/tools/echo']);
  });

  it('a full agent call: the model calls the MCP tool and its result reaches the model', async () => {
    const server: WireServer = await startWireServer();
    try {
      const completion = (message: Record<string, unknown>, finish: string) => ({
        json: {
          id: 'chatcmpl-mcp',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-4o-mini',
          choices: [
            { index: 0, message: { role: 'assistant', content: null, refusal: null, ...message }, finish_reason: finish, logprobs: null },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 5 },
        },
      });
      const call = (id: string, args: unknown) =>
        completion(
          { tool_calls: [{ id, type: 'function', function: { name: 'everything_get-sum', arguments: JSON.stringify(args) } }] },
          'tool_calls',
        );
      server.enqueue(
        '/v1/chat/completions',
        // Arguments that break the tool's schema are caught before the server is called, and pruned.
        call('call_bad', { a: '19' }),
        call('call_sum', { a: 19, b: 23 }),
        completion({ content: '<answer>42</answer>' }, 'stop'),
      );
      const tools: ToolLike[] = everything.asTools({ include: ['get-sum', 'echo'] });
      const agent = new Agent({
        name: 'calculator',
        systemPrompt: new Prompt({ path: 'mcp/system', prompt: 'You add numbers with tools.' }),
        model: 'gpt-4o-mini',
        invoker: createOpenAI({ apiKey: 'sk-test-mcp-key-0000000000000000', baseURL: server.openaiBaseURL }).chat(),
      });
      const dialog = agent.initDialog();
      dialog.sendMessage(
        new Prompt({
          path: 'mcp/task',
          prompt: 'What is 19 + 23? Answer in <answer></answer>.',
          functions: tools,
          requiredXmlTags: ['answer'],
        }),
        {},
      );
      const result = await agent.call(dialog);

      expect(result.parsed).toMatchObject({ xmlTags: { answer: ['42'] } });
      expect(result.calls.map((call) => call.name)).toEqual(['everything_get-sum']);
      const [first, retry, second] = server.requestsTo('/v1/chat/completions').map((request) => request.body as Record<string, unknown>);
      expect(JSON.stringify(retry?.messages)).toContain(
        'Invalid arguments for \\"everything_get-sum\\": arguments must have required property',
      );
      expect(dialog.messages.find((message) => message.role === 'tool_call')?.attempts).toHaveLength(1);
      const offered = ((first?.tools ?? []) as { function: { name: string; parameters: unknown } }[]).map((tool) => tool.function);
      expect(offered.map((tool) => tool.name).sort()).toEqual(['everything_echo', 'everything_get-sum']);
      expect(offered.find((tool) => tool.name === 'everything_get-sum')?.parameters).toMatchObject({
        type: 'object',
        required: ['a', 'b'],
      });
      const messages = second?.messages as { role: string; content: string; tool_call_id?: string }[];
      // The failed attempt was pruned: the dialog goes from the task straight to the good call.
      expect(messages).toHaveLength(4);
      expect(messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_sum' }] });
      expect(messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_sum' });
      expect(messages.at(-1)?.content).toContain('The sum of 19 and 23 is 42.');
    } finally {
      await server.close();
    }
  });

  it('close() while a call runs rejects it at once and ends the process', async () => {
    const connection = await connectMcp(everythingStdio('closing'));
    const pid = connection.pid as number;
    expect(isAlive(pid)).toBe(true);
    const running = rejection(connection.callTool('trigger-long-running-operation', { duration: 30, steps: 30 }));
    await sleep(150);
    const started = Date.now();
    const closed = connection.close();
    const error = await running;
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    expect((error as Error).message).toContain('the connection was closed while waiting for tools/call "trigger-long-running-operation"');
    await closed;
    expect(isAlive(pid)).toBe(false);
    expect(connection.closed).toBe(true);
    await connection.close(); // idempotent
    const after = await rejection(connection.callTool('echo', { message: 'x' }));
    expect((after as Error).message).toContain('cannot run tools/call "echo": close() was called');
  });

  it('a server that dies mid-call: the call and later calls fail with a clear ProxyError', async () => {
    const connection = await connectMcp(everythingStdio('fragile'));
    const pid = connection.pid as number;
    const running = rejection(connection.callTool('trigger-long-running-operation', { duration: 30, steps: 30 }));
    await sleep(150);
    process.kill(pid, 'SIGKILL');
    const error = await running;
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    expect((error as Error).message).toContain('closed the connection during tools/call "trigger-long-running-operation"');
    expect(connection.closed).toBe(true);
    const after = await rejection(connection.callTool('echo', { message: 'x' }));
    expect((after as Error).message).toContain('cannot run tools/call "echo": the server closed the connection');
    expect((after as Error).message).toContain('| Starting default (STDIO) server...');
    await connection.close();
    expect(isAlive(pid)).toBe(false);
  });

  it('await using closes the connection', async () => {
    let pid: number | undefined;
    {
      await using connection = await connectMcp(everythingStdio('scoped'));
      pid = connection.pid;
      expect(pid !== undefined && isAlive(pid)).toBe(true);
    }
    expect(isAlive(pid as number)).toBe(false);
  });
});

describe('server-everything over Streamable HTTP', TIMEOUT, () => {
  let child: ChildProcess;
  let url: string;
  let connection: McpConnection;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`server-everything did not start on ${port}: ${output}`)), 20_000);
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('listening on port')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}: ${output}`)));
    });
    connection = await connectMcp({ name: 'everything-http', transport: { type: 'http', url }, timeoutMs: 20_000 });
  }, 30_000);

  afterAll(async () => {
    await connection?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(child.pid !== undefined && isAlive(child.pid)).toBe(false);
  }, 30_000);

  it('lists tools and calls them over HTTP', async () => {
    expect(connection.pid).toBeUndefined();
    expect(connection.serverInfo.name).toBe('mcp-servers/everything');
    expect(connection.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'get-sum']));
    expect(formatMcpResult(await connection.callTool('echo', { message: 'over http' }))).toBe('Echo: over http');
    const [sum] = connection.asTools({ include: ['get-sum'] });
    expect(sum?.name).toBe('everything-http_get-sum');
    const result = await sum?.execute({ a: 3, b: 4 }, { signal: new AbortController().signal, callId: 'c', agentName: 'a' });
    expect(sum?.formatResult?.(result)).toBe('The sum of 3 and 4 is 7.');
  });

  it('errors and aborts over HTTP', async () => {
    const error = await rejection(connection.callTool('get-sum', { a: 'x', b: 1 }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    expect((error as Error).message).toContain('Invalid arguments for tool get-sum');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = Date.now();
    const aborted = await rejection(
      connection.callTool('trigger-long-running-operation', { duration: 20, steps: 20 }, { signal: controller.signal }),
    );
    expect(AbortError.isInstance(aborted)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a second session works alongside and closes on its own', async () => {
    const other = await connectMcp({ name: 'second', transport: { type: 'http', url: new URL(url) } });
    expect(formatMcpResult(await other.callTool('get-sum', { a: 1, b: 1 }))).toBe('The sum of 1 and 1 is 2.');
    await other.close();
    expect(formatMcpResult(await connection.callTool('echo', { message: 'first' }))).toBe('Echo: first');
  });
});

describe('server-filesystem over stdio', TIMEOUT, () => {
  let files: McpConnection;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(join(temp, 'files-'));
    writeFileSync(join(root, 'notes.txt'), 'first line\nsecond line\n');
    writeFileSync(join(temp, 'outside.txt'), 'not for you');
    files = await connectMcp({
      name: 'files',
      transport: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, root] },
      timeoutMs: 20_000,
    });
  }, 30_000);
  afterAll(async () => {
    const pid = files?.pid;
    await files?.close();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  }, 30_000);

  it('lists a directory and reads a file', async () => {
    expect(files.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['list_directory', 'read_text_file']));
    expect(formatMcpResult(await files.callTool('list_directory', { path: root }))).toContain('[FILE] notes.txt');
    const read = await files.callTool('read_text_file', { path: join(root, 'notes.txt') });
    expect(formatMcpResult(read)).toBe('first line\nsecond line\n');
    expect(read.structuredContent).toEqual({ content: 'first line\nsecond line\n' });
  });

  it('reading outside the allowed directory is a ProxyError with the server message', async () => {
    const error = await rejection(files.callTool('read_text_file', { path: join(temp, 'outside.txt') }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp', path: 'files/tools/read-text-file' });
    expect((error as Error).message).toContain('MCP tool "read_text_file" of server "files" failed: ');
    expect((error as Error).message).toContain('Access denied - path outside allowed directories');
  });

  it('the tool names become agent-safe names', () => {
    const names = files.asTools().map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['files_read_text_file', 'files_list_directory']));
    expect(files.asProxy().endpoint('tools/read-text-file')?.name).toBe('Read Text File');
  });
});
