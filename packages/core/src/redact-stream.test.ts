import { describe, expect, it } from 'vitest';
import { REDACTED, redactString, registerSecret } from './redact.js';
import { StreamRedactor } from './redact-stream.js';

const SECRET = 'sk-live-4f9c2a7e1b8d3c6f0a5e9b2d';
const SPACED = 'correct horse battery staple 42';

/** Feed `pieces` one by one; what was released after each, and everything joined with the flush. */
function feed(pieces: readonly string[], secrets: readonly string[] = [SECRET]) {
  const redactor = new StreamRedactor(secrets);
  const released = pieces.map((piece) => redactor.push(piece));
  const rest = redactor.flush();
  return { released, joined: released.join('') + rest, rest };
}

/** A deterministic generator, so a failing chunking can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function chunkings(text: string, seed: number, count: number): string[][] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const pieces: string[] = [];
    for (let at = 0; at < text.length; ) {
      const size = 1 + Math.floor(next() * 12);
      pieces.push(text.slice(at, at + size));
      at += size;
    }
    return pieces;
  });
}

describe('StreamRedactor', () => {
  it('a known secret split at every boundary is still redacted, and the whole reads as redactString reads it', () => {
    const text = `Your key is ${SECRET} — keep it safe.`;
    const start = text.indexOf(SECRET);
    for (let split = start + 1; split < start + SECRET.length; split++) {
      const { joined, released } = feed([text.slice(0, split), text.slice(split)]);
      expect(joined).toBe(`Your key is ${REDACTED} — keep it safe.`);
      for (const piece of released) expect(piece).not.toContain(SECRET.slice(0, 8));
    }
    // One character at a time: every boundary at once.
    expect(feed([...text]).joined).toBe(`Your key is ${REDACTED} — keep it safe.`);
  });

  it('encoded forms and secrets with spaces in them hold across pieces too', () => {
    const json = `{"key":"${JSON.stringify(SPACED).slice(1, -1)}"} and ${encodeURIComponent(SPACED)} end`;
    for (const pieces of chunkings(json, 7, 60)) {
      const { joined } = feed(pieces, [SPACED]);
      expect(joined).toBe(redactString(json, [SPACED]));
      expect(joined).not.toContain('battery');
    }
  });

  it('secrets recognised by shape or name, split anywhere, come out as redactString gives them', () => {
    const texts = [
      'Use ghp_0123456789abcdefghijABCDEFGHIJ0123 to push.',
      'Header: Authorization: Bearer abcdefghijklmnopqrstuvwx0123 then more words follow here',
      'config api_key = s3cr3tValue99 and password: hunter2hunter2 and "client_secret": "xyzzy-plugh-1234" ok',
      'postgres://admin:pa55w0rd-long@db.internal:5432/app is the database',
      `a block -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234567890abcdef\nqwertyuiop==\n-----END RSA PRIVATE KEY----- done`,
      'the token AKIAIOSFODNN7EXAMPLE and eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
    ];
    for (const [index, text] of texts.entries()) {
      const expected = redactString(text, []);
      expect(expected).toContain(REDACTED);
      for (const pieces of chunkings(text, index + 1, 80)) expect(feed(pieces, []).joined, JSON.stringify(pieces)).toBe(expected);
      expect(feed([...text], []).joined).toBe(expected);
    }
  });

  it('ordinary prose is released word by word, not held for the length of a secret', () => {
    const redactor = new StreamRedactor([SECRET]);
    expect(redactor.push('The quick brown fo')).toBe('The quick brown ');
    expect(redactor.push('x jumps ')).toBe('fox jumps ');
    expect(redactor.held).toBe(0);
    // A tail that could begin the secret is held; once it cannot, it is released.
    expect(redactor.push('over sk-li')).toBe('over ');
    expect(redactor.push('ghtly ')).toBe('sk-lightly ');
    // After a secret name, a few words wait for the value.
    expect(redactor.push('password ')).toBe('');
    expect(redactor.push('is: ')).toBe('');
    expect(redactor.push('swordfish1 ')).toBe('');
    // Three words on, nothing can join them any more.
    expect(redactor.push('and ')).toBe('password ');
    expect(redactor.push('so ')).toBe('is: swordfish1 and so ');
    expect(redactor.push('on')).toBe('');
    expect(redactor.flush()).toBe('on');
    expect(redactor.held).toBe(0);
  });

  it('an open private key block is held until its END line; a huge unbroken text is released past 8 KiB', () => {
    const redactor = new StreamRedactor([]);
    // A name's value never follows a line break: "key:" at the end of a line goes at once.
    expect(redactor.push('key:\n')).toBe('key:\n');
    expect(redactor.push('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n')).toBe('');
    expect(redactor.push('-----END PRIVATE KEY-----\nnext line ')).toBe(`${REDACTED}\nnext line `);
    const blob = 'x'.repeat(9_000);
    const released = new StreamRedactor([SECRET]).push(blob);
    expect(released.length).toBeGreaterThan(8_000);
  });

  it('reads the known secrets at every piece when given none: a secret registered mid-stream counts', () => {
    const redactor = new StreamRedactor();
    expect(redactor.push('the regis')).toBe('the ');
    registerSecret('registered-value-7d1e0c4b');
    expect(redactor.push('tered-value-7d1e')).toBe('');
    expect(redactor.push('0c4b is here')).toBe(`${REDACTED} is `);
    expect(redactor.flush()).toBe('here');
  });
});
