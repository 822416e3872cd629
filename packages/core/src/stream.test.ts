import { describe, expect, it } from 'vitest';
import { MemoryLogStore } from './log-store.js';
import { REDACTED, registerSecret } from './redact.js';
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
      // "str" + "eamed" is one word: held until the next event, then shown and logged as one piece.
      'text-delta',
      'write',
    ]);
    expect(logged.at(-2)?.data).toEqual({ type: 'text-delta', text: 'streamed' });
    // The events keep the pieces as they were given.
    expect(stream.events.filter((event) => event.type === 'text-delta')).toHaveLength(2);
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
    const deltas = logged.filter((entry) => entry.data.type === 'text-delta').map((entry) => entry.data.text);
    expect(deltas.join('')).toBe(hostile);
    expect(logged[deltas.length]?.data).toEqual({ type: 'write', text: hostile });
  });
});

describe('ConsoleStream and secrets split across streamed pieces', () => {
  const SECRET = 'sk-stream-9c41d2e07b5a4f36a8d1';

  it('neither shows nor logs a secret split at any boundary; textEnd releases the held tail', async () => {
    registerSecret(SECRET);
    const text = `The value is ${SECRET}. Done`;
    const start = text.indexOf(SECRET);
    for (let split = start + 1; split < start + SECRET.length; split++) {
      const out = capture();
      const store = new MemoryLogStore();
      const stream = new ConsoleStream({ output: out.output, log: { store, session: 's' }, color: false });
      stream.textDelta(text.slice(0, split));
      stream.textDelta(text.slice(split));
      // Shown so far: the words before the secret, then at most its redaction, never a piece of it.
      expect(out.text.startsWith('The value is ')).toBe(true);
      expect(`The value is ${REDACTED}. Done`.startsWith(out.text)).toBe(true);
      stream.textEnd();
      expect(out.text).toBe(`The value is ${REDACTED}. Done`);
      const logged = (await store.read('frontend', 's')).map((entry) => entry.data.text).join('');
      expect(logged).toBe(`The value is ${REDACTED}. Done`);
      expect(JSON.stringify(await store.read('frontend', 's'))).not.toContain(SECRET.slice(3, 12));
      // A second textEnd has nothing left to show.
      stream.textEnd();
      expect(out.text).toBe(`The value is ${REDACTED}. Done`);
    }
  });

  it('a spinner or any other event releases the held text first, in order', async () => {
    const out = capture();
    const stream = new ConsoleStream({ output: out.output, color: false });
    stream.textDelta('partial answ');
    expect(out.text).toBe('partial ');
    stream.spinner('next').stop();
    expect(out.text).toBe('partial answ\n… next\n✓ next\n');
  });
});
