import { describe, expect, it } from 'vitest';
import { MemoryLogStore } from './log-store.js';
import { ConsoleStream } from './stream.js';

function capture() {
  let text = '';
  return {
    output: {
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
    },
    get text() {
      return text;
    },
  };
}

describe('ConsoleStream', () => {
  it('shows every kind of event and logs each to the frontend collection', async () => {
    const out = capture();
    const store = new MemoryLogStore();
    const stream = new ConsoleStream({ output: out.output, log: { store, session: 's' }, color: false });
    stream.write('hello');
    stream.markdown('# Title');
    stream.code('print(1)', 'python');
    const spinner = stream.spinner('thinking');
    spinner.stop('success', 'thought');
    const progress = stream.progress('steps', 2);
    progress.advance();
    progress.done();
    stream.divider('next');
    stream.expander('details', 'line 1\nline 2');
    stream.error(new Error('bad thing'));
    stream.textDelta('str');
    stream.textDelta('eamed');
    stream.write('after');
    expect(out.text).toContain('hello\n# Title\n```python\nprint(1)\n```\n… thinking\n✓ thought\n');
    expect(out.text).toContain('steps [##########..........] 1/2');
    expect(out.text).toContain('▸ details: line 1 (+1 lines)');
    expect(out.text).toContain('✗ bad thing');
    expect(out.text).toContain('streamed\nafter\n');
    const logged = await store.read('frontend', 's');
    expect(logged.map((entry) => entry.data.type)).toEqual([
      'write',
      'markdown',
      'code',
      'spinner-start',
      'spinner-stop',
      'progress',
      'progress',
      'progress',
      'divider',
      'expander',
      'error',
      'text-delta',
      'text-delta',
      'write',
    ]);
  });

  it('in silent mode shows nothing but still records and logs', async () => {
    const out = capture();
    const store = new MemoryLogStore();
    const stream = new ConsoleStream({ output: out.output, silent: true, log: { store, session: 's' } });
    stream.write('quiet');
    stream.spinner('x').stop();
    expect(out.text).toBe('');
    expect(stream.events).toHaveLength(3);
    expect(await store.read('frontend', 's')).toHaveLength(3);
  });
});

describe('ConsoleStream and terminal control characters', () => {
  it('prints escape sequences from model text visibly instead of obeying them, and logs the text as it was', async () => {
    const out = capture();
    const store = new MemoryLogStore();
    const stream = new ConsoleStream({ output: out.output, log: { store, session: 's' }, color: true });
    const hostile = 'ok\u001b[2J\u001b]0;pwned\u0007\rfake line\u009b31m\u202eevil';
    stream.textDelta(hostile);
    stream.write(hostile);
    stream.markdown(`# ${hostile}`);
    stream.code(hostile, 'js');
    stream.expander(hostile, hostile);
    stream.error(new Error(hostile));
    stream.spinner(hostile).stop('success');
    // The only ESC bytes left are the stream's own colours.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point.
    expect(out.text.replace(/\u001b\[\d+m/g, '')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(out.text).toContain('ok\\e[2J\\e]0;pwned\\x07\\rfake line\\x9b31m\\u202eevil');
    const logged = await store.read('frontend', 's');
    expect(logged[0]?.data).toEqual({ type: 'text-delta', text: hostile });
  });
});
