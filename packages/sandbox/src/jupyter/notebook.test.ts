import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDACTED, registerSecret } from '@lllm/core';
import { describe, expect, test } from 'vitest';
import { SandboxError } from '../errors.js';
import { pythonJsonLiteral, renderInitCell } from './init-cell.js';
import { type NotebookDocument, parseNotebook, serializeNotebook } from './notebook.js';
import { formatOutputs, OutputCollector, redactOutput, redactOutputs } from './outputs.js';
import { directoryTree } from './tree.js';

const notebook: NotebookDocument = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  cells: [
    {
      cell_type: 'code',
      id: 'c1',
      source: 'print(1)\nx = 2\n',
      metadata: {},
      execution_count: 3,
      outputs: [
        { output_type: 'stream', name: 'stdout', text: '1\n' },
        { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': 'a\nb', 'image/png': 'iVBORw0KGgo=' }, metadata: {} },
        { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['\u001b[31mE\u001b[0m: v'] },
      ],
    },
    { cell_type: 'markdown', id: 'm1', source: '# Title', metadata: {} },
  ],
};

describe('nbformat files', () => {
  test('serialise like Jupyter (lines split) and parse back to the same document', () => {
    const text = serializeNotebook(notebook);
    const raw = JSON.parse(text);
    expect(raw.cells[0].source).toEqual(['print(1)\n', 'x = 2\n']);
    expect(raw.cells[0].outputs[1].data['text/plain']).toEqual(['a\n', 'b']);
    expect(raw.cells[0].outputs[1].data['image/png']).toBe('iVBORw0KGgo=');
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseNotebook(text)).toEqual(notebook);
  });

  test('nbformat itself validates what we write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lllm-nb-'));
    const file = join(dir, 'n.ipynb');
    await writeFile(file, serializeNotebook(notebook));
    const out = execFileSync(
      '/usr/bin/python3',
      ['-c', 'import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print("valid")', file],
      {
        encoding: 'utf8',
      },
    );
    expect(out.trim()).toBe('valid');
    await rm(dir, { recursive: true, force: true });
  });

  test('cells without ids or with duplicate ids get fresh ones; corrupt files are typed errors', () => {
    const parsed = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 4,
        metadata: {},
        cells: [
          { cell_type: 'code', source: 'a' },
          { cell_type: 'code', id: 'x', source: 'b' },
          { cell_type: 'code', id: 'x', source: 'c' },
        ],
      }),
    );
    const ids = parsed.cells.map((cell) => cell.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids[1]).toBe('x');
    expect(() => parseNotebook('{nope', 'bad.ipynb')).toThrow(SandboxError);
    expect(() => parseNotebook('{"nbformat": 3, "cells": []}', 'old.ipynb')).toThrow(/nbformat 3; only nbformat 4/);
    expect(() => parseNotebook('{"nbformat": 4, "cells": [{"cell_type": "weird"}]}')).toThrow(/unknown cell_type "weird"/);
  });
});

describe('init cell values', () => {
  test('pythonJsonLiteral is decoded by Python to the exact value', () => {
    const value = { text: 'q"uote \'apos\' back\\slash\nnew """ \u2028 😀 \u0000 {x}', list: [1, null, true], nested: { k: 'ü' } };
    const literal = pythonJsonLiteral(value);
    expect(literal).toMatch(/^"[\x20-\x7e]*"$/);
    const decoded = execFileSync('/usr/bin/python3', ['-c', `import json, sys\nsys.stdout.write(json.dumps(json.loads(${literal})))`], {
      encoding: 'utf8',
    });
    expect(JSON.parse(decoded)).toEqual(value);
  });

  test('the rendered init cell is valid Python defining CALL_API', () => {
    const source = renderInitCell({
      sessionId: 's',
      bridgeUrl: 'http://127.0.0.1:1',
      proxies: ['p"); import os; os.system("echo pwned'],
      cutoffDate: '2024-01-01',
      projectRoot: undefined,
      callTimeoutSeconds: 5,
    });
    const out = execFileSync('/usr/bin/python3', ['-c', `${source}\nprint(ACTIVATED_PROXIES[0], callable(CALL_API))`], {
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('p"); import os; os.system("echo pwned True');
  });
});

describe('outputs', () => {
  function message(type: string, content: Record<string, unknown>) {
    return { header: { msg_type: type }, content } as never;
  }

  test('stream merging, display updates, clear_output and truncation', () => {
    const collector = new OutputCollector(40);
    collector.handle(message('execute_input', { execution_count: 5 }));
    collector.handle(message('stream', { name: 'stdout', text: 'a' }));
    collector.handle(message('stream', { name: 'stdout', text: 'b\n' }));
    collector.handle(message('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd' } }));
    collector.handle(message('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'd' } }));
    collector.handle(message('stream', { name: 'stdout', text: 'x'.repeat(100) }));
    collector.handle(message('stream', { name: 'stdout', text: 'lost' }));
    expect(collector.executionCount).toBe(5);
    expect(collector.outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: 'ab\n' });
    expect(collector.outputs[1]).toMatchObject({ output_type: 'display_data', data: { 'text/plain': 'v2' } });
    const last = collector.outputs[2];
    expect(last?.output_type === 'stream' && last.text).toMatch(/output truncated after 40 characters/);
    expect(last?.output_type === 'stream' && last.text.includes('lost')).toBe(false);
    collector.handle(message('clear_output', { wait: true }));
    expect(collector.outputs).toHaveLength(3);
    collector.handle(message('stream', { name: 'stderr', text: 'fresh' }));
    expect(collector.outputs).toEqual([{ output_type: 'stream', name: 'stderr', text: 'fresh' }]);
  });

  test('redaction covers stream text, text MIME types, metadata and errors (even split by colour codes), not images', () => {
    const secret = 'unit-registered-secret-77aa88bb';
    registerSecret(secret);
    // Base64 that happens to contain a Google-key shape: binary data must not be rewritten.
    const png = 'iVBORw0KGgo+AIzaSyA1234567890abcdefghijklmnopqrstu';
    const outputs = redactOutputs([
      { output_type: 'stream', name: 'stdout', text: `key ${secret}\n` },
      {
        output_type: 'execute_result',
        execution_count: 1,
        data: {
          'text/plain': `'${secret}'`,
          'text/html': `<td>${secret}</td>`,
          'text/markdown': `*${secret}*`,
          'application/json': { nested: [secret], api_key: 'not-registered-but-named' },
          'application/vnd.custom+json': { value: secret },
          'image/svg+xml': `<svg><text>${secret}</text></svg>`,
          'image/png': png,
        },
        metadata: { note: secret },
      },
      { output_type: 'display_data', data: { 'text/plain': `Bearer abcdefghijklmnopqrstuvwxyz` }, metadata: {} },
      {
        output_type: 'error',
        ename: 'ValueError',
        evalue: `bad ${secret}`,
        // IPython colours tokens: a secret cut by colour codes must still go.
        traceback: [`\u001b[31mValueError\u001b[0m: bad ${secret.slice(0, 12)}\u001b[1m${secret.slice(12)}\u001b[0m`],
      },
    ]);
    const text = JSON.stringify(outputs);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(12));
    expect(outputs[0]).toEqual({ output_type: 'stream', name: 'stdout', text: `key ${REDACTED}\n` });
    const result = outputs[1];
    expect(result?.output_type === 'execute_result' && result.data).toEqual({
      'text/plain': `'${REDACTED}'`,
      'text/html': `<td>${REDACTED}</td>`,
      'text/markdown': `*${REDACTED}*`,
      'application/json': { nested: [REDACTED], api_key: REDACTED },
      'application/vnd.custom+json': { value: REDACTED },
      'image/svg+xml': `<svg><text>${REDACTED}</text></svg>`,
      'image/png': png,
    });
    expect(result?.output_type === 'execute_result' && result.metadata).toEqual({ note: REDACTED });
    expect(outputs[2]).toMatchObject({ data: { 'text/plain': `Bearer ${REDACTED}` } });
    expect(outputs[3]).toMatchObject({ evalue: `bad ${REDACTED}`, traceback: [`ValueError: bad ${REDACTED}`] });
    // Nothing to redact: the very same objects come back.
    const clean = { output_type: 'stream', name: 'stdout', text: 'nothing secret here' } as const;
    expect(redactOutput(clean)).toBe(clean);
    expect(formatOutputs([{ output_type: 'stream', name: 'stdout', text: `raw ${secret}` }])).toBe(`raw ${REDACTED}`);
  });

  test('truncation never leaves the start of a secret behind, where redaction could not recognise it', () => {
    const secret = 'unit-truncated-secret-0123456789';
    registerSecret(secret);
    const collector = new OutputCollector(30);
    collector.handle(message('stream', { name: 'stdout', text: 'twenty characters..\n' }));
    collector.handle(message('stream', { name: 'stdout', text: `${secret}\n` }));
    const text = collector.outputs[0]?.output_type === 'stream' ? collector.outputs[0].text : '';
    expect(text).toBe('twenty characters..\n\n[LLLM: output truncated after 30 characters]\n');
  });

  test('formatOutputs strips colours, collapses progress bars and describes images', () => {
    const text = formatOutputs([
      { output_type: 'stream', name: 'stdout', text: '10%\r50%\r100%\ndone\n' },
      {
        output_type: 'display_data',
        data: { 'text/plain': '<Figure size 640x480 with 1 Axes>', 'image/png': 'A'.repeat(2048) },
        metadata: {},
      },
      { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['\u001b[31mTraceback\u001b[0m', 'E: v'] },
    ]);
    expect(text).toBe('100%\ndone\n\n<Figure size 640x480 with 1 Axes>\n[image/png image, 2.0 KB]\nTraceback\nE: v');
  });
});

describe('directoryTree', () => {
  test('lists folders first, hides dot-files and cuts long listings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lllm-tree-'));
    await writeFile(join(dir, 'b.txt'), '');
    await writeFile(join(dir, 'a.txt'), '');
    await writeFile(join(dir, '.hidden'), '');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'sub', 'deep', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'sub', 'deep', 'deeper', 'x.txt'), '');
    const name = dir.split('/').at(-1);
    expect(await directoryTree(dir, { maxDepth: 2 })).toBe(
      [`${name}/`, '├── sub/', '│   └── deep/', '│       └── … (1 entries)', '├── a.txt', '└── b.txt'].join('\n'),
    );
    expect(await directoryTree(dir, { maxEntries: 2 })).toMatch(/more entries not listed/);
    expect(await directoryTree(dir, { includeHidden: true })).toContain('.hidden');
    await rm(dir, { recursive: true, force: true });
  });
});
