import { describe, expect, it } from 'vitest';
import { base64ByteLength, formatMcpResult, mcpResultText } from './format.js';

describe('formatMcpResult', () => {
  it('turns every block kind into text', () => {
    const png = Buffer.from([1, 2, 3, 4, 5]).toString('base64');
    const text = formatMcpResult({
      content: [
        { type: 'text', text: 'Here you go:' },
        { type: 'image', data: png, mimeType: 'image/png' },
        { type: 'audio', data: Buffer.alloc(7).toString('base64'), mimeType: 'audio/wav' },
        { type: 'resource', resource: { uri: 'file:///a.txt', mimeType: 'text/plain', text: 'alpha' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', blob: Buffer.alloc(10).toString('base64') } },
        { type: 'resource_link', uri: 'file:///c.md', name: 'c.md', description: 'Notes' },
      ],
    });
    expect(text).toBe(
      [
        'Here you go:',
        '[image image/png, 5 bytes]',
        '[audio audio/wav, 7 bytes]',
        '[resource file:///a.txt, text/plain]\nalpha',
        '[resource file:///b.bin, 10 bytes]',
        '[resource link file:///c.md: c.md — Notes]',
      ].join('\n'),
    );
  });

  it('shows structured content as JSON only when there is no text', () => {
    expect(formatMcpResult({ content: [], structuredContent: { n: 1 } })).toBe('{"n":1}');
    expect(formatMcpResult({ content: [{ type: 'text', text: 'one' }], structuredContent: { n: 1 } })).toBe('one');
    expect(formatMcpResult({ content: [] })).toBe('(the tool returned no content)');
  });

  it('mcpResultText prefers the text blocks', () => {
    expect(
      mcpResultText({
        content: [
          { type: 'image', data: '', mimeType: 'image/png' },
          { type: 'text', text: 'bad input' },
        ],
      }),
    ).toBe('bad input');
  });

  it('base64ByteLength counts padding', () => {
    for (const size of [0, 1, 2, 3, 4, 100]) expect(base64ByteLength(Buffer.alloc(size).toString('base64'))).toBe(size);
  });
});
