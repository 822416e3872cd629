// A proxy MCP server over stdio for serve.test.ts: a `calc` proxy whose endpoints are handlers (no
// network). Run from the TypeScript sources: node --conditions=lllm-source --import <tsx> test-serve-stdio.ts
import { defineProxy } from '../define.js';
import { ProxyRuntime } from '../runtime.js';
import { serveProxyMcpStdio } from './serve.js';

const calc = defineProxy({
  path: 'calc',
  name: 'Calculator',
  description: 'Arithmetic in code.',
  endpoints: [
    {
      category: 'math',
      endpoint: '/add',
      key: 'add',
      name: 'Add',
      description: 'The sum of two numbers.',
      parameters: {
        type: 'object',
        properties: { a: { type: 'number', description: 'First addend' }, b: { type: 'number', description: 'Second addend' } },
        required: ['a', 'b'],
        additionalProperties: false,
      },
      examples: { a: 2, b: 3 },
      handler: (params) => ({ sum: Number(params.a) + Number(params.b), pid: process.pid }),
    },
  ],
});

process.on('exit', (code) => process.stderr.write(`stdio server exit ${code}\n`));
const server = await serveProxyMcpStdio(new ProxyRuntime({ activate: [calc] }), { name: 'calc-server', version: '1.2.3' });
process.stderr.write('stdio server ready\n');
await server.closed;
process.stderr.write('stdio server closed\n');
