// MCP client failures against real processes and servers: refused and failing HTTP servers, commands
// that do not exist, servers that die or never answer (their processes are gone afterwards), bad
// options, and connectMcpServers closing every server when one fails.
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbortError, ConfigError } from '@lllm/core';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-api.js';
import { connectMcp } from './connect.js';
import { connectMcpServers } from './servers.js';
import { EVERYTHING, everythingStdio, FILESYSTEM, hangingServer, isAlive, readPid, rejection, TIMEOUT } from './test-mcp-helpers.js';

const temp = mkdtempSync(join(realpathSync(tmpdir()), 'lllm-mcp-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('HTTP failures', TIMEOUT, () => {
  it('a refused connection names the server, the URL and the fix', async () => {
    const url = `http://127.0.0.1:${await freePort()}/mcp`;
    const error = await rejection(connectMcp({ name: 'nowhere', transport: { type: 'http', url } }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp', isRetryable: true });
    expect((error as Error).message).toContain(`MCP server "nowhere" at ${url} could not be reached (ECONNREFUSED)`);
    expect((error as Error).message).toContain('transport.url');
  });

  it('header values from the environment never appear in an error message', async () => {
    const token = 'mcp-test-token-5f1c2a9b7e';
    const seen: string[] = [];
    const server: Server = createServer((request, response) => {
      seen.push(String(request.headers.authorization));
      response.writeHead(401, { 'content-type': 'text/plain' });
      response.end(`invalid credentials: ${request.headers.authorization}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.LLLM_MCP_TEST_CREDENTIAL = token;
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
      const error = await rejection(
        connectMcp({
          name: 'guarded',
          transport: { type: 'http', url, headers: { Authorization: { env: 'LLLM_MCP_TEST_CREDENTIAL', prefix: 'Bearer ' } } },
        }),
      );
      expect(seen[0]).toBe(`Bearer ${token}`);
      expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp', statusCode: 401 });
      expect((error as Error).message).toContain('answered HTTP 401');
      expect((error as Error).message).toContain('transport.headers');
      expect((error as Error).message).not.toContain(token);
      expect((error as Error).message).toContain('[REDACTED]');
    } finally {
      delete process.env.LLLM_MCP_TEST_CREDENTIAL;
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a header variable that is not set is a missing_key error naming it', async () => {
    const error = await rejection(
      connectMcp({
        name: 'guarded',
        transport: { type: 'http', url: 'http://127.0.0.1:1/mcp', headers: { 'X-Api-Key': { env: 'LLLM_MCP_TEST_UNSET_VARIABLE' } } },
      }),
    );
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'missing_key' });
    expect((error as Error).message).toContain('LLLM_MCP_TEST_UNSET_VARIABLE');
  });
});

describe('connection failures', TIMEOUT, () => {
  it('a command that does not exist', async () => {
    const error = await rejection(connectMcp({ name: 'missing', transport: { type: 'stdio', command: 'lllm-no-such-mcp-server' } }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    expect((error as Error).message).toContain(
      'MCP server "missing" could not be started: the command lllm-no-such-mcp-server was not found',
    );
    expect((error as Error).message).toContain('transport.command');
  });

  it('a server that exits: its last stderr lines are in the message', async () => {
    const error = await rejection(
      connectMcp({
        name: 'files',
        transport: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, join(temp, 'does-not-exist')] },
      }),
    );
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    const message = (error as Error).message;
    expect(message).toContain('MCP server "files"');
    expect(message).toContain('closed the connection before the MCP handshake finished');
    expect(message).toContain('| Error: None of the specified directories are accessible');
    expect(message).toContain('Run the command in a terminal');
  });

  it('secret env values a dying server prints are redacted', async () => {
    const secret = 'very-secret-value-8c1d0e';
    const error = await rejection(
      connectMcp({
        name: 'leaky',
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: ['-e', 'console.error("token is " + process.env.SERVICE_TOKEN); process.exit(2)'],
          env: { SERVICE_TOKEN: secret },
        },
      }),
    );
    expect((error as Error).message).toContain('| token is [REDACTED]');
    expect((error as Error).message).not.toContain(secret);
  });

  it('stderr lines are redacted before they are cut, kept or handed to onStderr', async () => {
    const secret = 'long-line-secret+value/0042';
    const seen: string[] = [];
    const script = [
      'const s = process.env.LEAK_API_KEY;',
      'console.error("x".repeat(390) + s);',
      'console.error("calling https://api.test/v1?k=" + encodeURIComponent(s));',
      'process.exit(2);',
    ].join(' ');
    const error = await rejection(
      connectMcp({
        name: 'leaky',
        transport: {
          type: 'stdio',
          command: process.execPath,
          args: ['-e', script],
          env: { LEAK_API_KEY: secret },
          onStderr: (line) => seen.push(line),
        },
      }),
    );
    const message = (error as Error).message;
    expect(message).toContain(`| ${'x'.repeat(390)}[REDACTED]`);
    expect(message).toContain('| calling https://api.test/v1?k=[REDACTED]');
    expect(seen).toContain('calling https://api.test/v1?k=[REDACTED]');
    for (const text of [message, ...seen]) {
      expect(text).not.toContain('long-line-');
      expect(text).not.toContain(encodeURIComponent(secret));
    }
  });

  it('aborting while connecting kills the process and rejects with AbortError', async () => {
    const pidFile = join(temp, 'abort.pid');
    const controller = new AbortController();
    const connecting = rejection(connectMcp({ name: 'hang', transport: hangingServer(pidFile), signal: controller.signal }));
    const pid = await readPid(pidFile);
    expect(isAlive(pid)).toBe(true);
    const started = Date.now();
    controller.abort();
    const error = await connecting;
    expect(AbortError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(isAlive(pid)).toBe(false);
  });

  it('a server that never answers the handshake times out and is killed', async () => {
    const pidFile = join(temp, 'timeout.pid');
    const error = await rejection(connectMcp({ name: 'silent', transport: hangingServer(pidFile), timeoutMs: 400 }));
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'timeout' });
    expect((error as Error).message).toContain('MCP server "silent" did not answer the MCP handshake within 400 ms');
    expect(isAlive(await readPid(pidFile))).toBe(false);
  });

  it('bad options are a ConfigError listing every problem', async () => {
    const error = await rejection(connectMcp({ name: 'Bad Name', transport: { type: 'stdio', command: '' }, timeoutMs: -1 }));
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).problems).toHaveLength(3);
    expect((error as Error).message).toContain('name: "Bad Name" must be lower-case');
    expect((error as Error).message).toContain('transport.command');
    expect((error as Error).message).toContain('timeoutMs');
    const http = await rejection(connectMcp({ name: 'x', transport: { type: 'http', url: 'ftp://example' } }));
    expect((http as Error).message).toContain('transport.url: must be http(s)');
  });
});

describe('connectMcpServers', TIMEOUT, () => {
  it('connects several servers and closes them together', async () => {
    const servers = await connectMcpServers([everythingStdio('alpha'), everythingStdio('beta')]);
    const pids = servers.connections.map((connection) => connection.pid as number);
    expect(pids.every(isAlive)).toBe(true);
    expect(servers.get('beta').name).toBe('beta');
    expect(() => servers.get('alfa')).toThrow('No MCP server named "alfa". Did you mean "alpha"?');
    const names = servers.asTools({ alpha: { include: ['echo'] }, beta: { include: ['echo'] } }).map((tool) => tool.name);
    expect(names).toEqual(['alpha_echo', 'beta_echo']);
    expect(servers.asProxies().map((proxy) => proxy.path)).toEqual(['alpha', 'beta']);
    await servers.close();
    expect(pids.some(isAlive)).toBe(false);
  });

  it('one failure closes the others: no process is left running', async () => {
    // A wrapper records the pid of a real server that would connect fine.
    const wrapper = join(temp, 'pid-wrapper.mjs');
    const pidFile = join(temp, 'group.pid');
    writeFileSync(
      wrapper,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(pidFile)}, String(process.pid));\nawait import(${JSON.stringify(pathToFileURL(EVERYTHING).href)});\n`,
    );
    const error = await rejection(
      connectMcpServers([
        { name: 'good', transport: { type: 'stdio', command: process.execPath, args: [wrapper] }, timeoutMs: 20_000 },
        {
          name: 'bad',
          transport: {
            type: 'stdio',
            command: process.execPath,
            args: ['-e', 'setTimeout(() => { console.error("bad config"); process.exit(1); }, 1500)'],
          },
        },
      ]),
    );
    expect(error).toMatchObject({ name: 'ProxyError', kind: 'mcp' });
    expect((error as Error).message).toContain('MCP server "bad"');
    expect((error as Error).message).toContain('| bad config');
    expect(isAlive(await readPid(pidFile))).toBe(false);
  });

  it('duplicate names are a ConfigError before anything starts', async () => {
    const error = await rejection(connectMcpServers([everythingStdio('same'), everythingStdio('same')]));
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('"same" is used twice');
  });
});
