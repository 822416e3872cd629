import { type JsonObject, REDACTED, redactSecrets, registerSecret } from '@lllm/core';
import { describe, expect, it } from 'vitest';
import { serializeEntry, storedJson } from './entry-json.js';

const secret = 'registered-entry-json-secret-0123456789';
registerSecret(secret);

/** What the stores wrote before: a redacted deep copy, serialized. */
const reference = (data: unknown) => JSON.stringify(redactSecrets(JSON.parse(JSON.stringify(data)) as unknown));

function nest(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let level = 0; level < levels; level++) value = { inner: value };
  return value;
}

describe('serializeEntry', () => {
  it('serializes what JSON.stringify does: toJSON (with its key), dates, boxed values, left-out values, deep nesting', () => {
    const data = {
      when: new Date(0),
      keyed: { toJSON: (key: string) => `called for ${key}` },
      list: [undefined, () => 1, Symbol('s'), new Number(3), new Boolean(false), { toJSON: () => undefined }],
      missing: undefined,
      fn: () => 1,
      map: new Map([['a', 1]]),
      // JSON.stringify does not call toJSON on what a toJSON returned: this is "{}", not the string.
      odd: { toJSON: () => ({ toJSON: () => 'never serialized' }) },
      deep: nest(250, 'leaf'),
    } as unknown as JsonObject;
    const entry = serializeEntry(data);
    expect(entry.secrets).toBeUndefined();
    expect(storedJson(entry)).toBe(JSON.stringify(data));
  });

  it('refuses a cycle as JSON.stringify does', () => {
    const data: Record<string, unknown> = { name: 'loop' };
    data.self = data;
    expect(() => serializeEntry(data as JsonObject)).toThrow(TypeError);
  });

  it('keeps an ordinary entry as serialized, marked clean', () => {
    const data = { dialogId: 'd1', index: 3, message: { role: 'assistant', content: 'The answer is 42.', usage: { inputTokens: 1 } } };
    const entry = serializeEntry(data);
    expect(entry.secrets).toBeUndefined();
    expect(storedJson(entry)).toBe(JSON.stringify(data));
  });

  it('is a snapshot: changing the object afterwards changes nothing', () => {
    const data = { nested: { text: 'before' } };
    const entry = serializeEntry(data);
    data.nested.text = `after ${secret}`;
    expect(JSON.parse(storedJson(entry))).toEqual({ nested: { text: 'before' } });
  });

  it.each<[string, JsonObject]>([
    ['a registered secret', { content: `the key is ${secret}` }],
    ['a key pattern', { raw: { body: 'sk-proj-abcdefghijklmnopqrstuvwx' } }],
    ['Bearer after an escaped newline', { header: 'x\nBearer abcdefghijklmnop' }],
    ['Bearer after an escaped tab', { header: 'Authorization:\tBearer abcdefghijklmnop' }],
    ['a pattern right after an escaped quote', { text: '"sk-abcdefghijklmnopqrstuvwx"' }],
    ['token= with a backslash in the value', { url: 'https://x.test/?token=abc\\defghijk' }],
    ['a secret-named key', { request: { headers: { Authorization: 'anything at all' } } }],
    ['a secret-named key holding a number', { password: 1234 }],
    ['a secret-named key that only a toJSON produces', { when: { toJSON: () => ({ apiKey: 'x' }) } }],
    ['a secret only a toJSON reveals', { value: { toJSON: () => `sk-${'a'.repeat(20)}` } }],
    ['text already redacted', { content: `was ${REDACTED}` }],
    ['a secret in a boxed string', { boxed: new String(`sk-${'b'.repeat(20)}`) as unknown as string }],
    ['a secret a toJSON gives inside an array', { list: [1, { toJSON: () => ({ deep: [`sk-${'c'.repeat(20)}`] }) }] }],
    ['a secret-named key whose toJSON sees its key', { apiKey: { toJSON: (key: string) => `${key} value` } }],
    ['a secret 300 levels deep', { deep: nest(300, `sk-${'e'.repeat(20)}`) }],
  ])('sends %s through full redaction', (_, data) => {
    const entry = serializeEntry(data);
    expect(entry.secrets).toBeDefined();
    expect(storedJson(entry)).toBe(reference(data));
    expect(storedJson(entry)).not.toMatch(/sk-proj-abc|sk-aaaa|abcdefghijklmnop|anything at all|1234|registered-entry/);
  });

  it('agrees with redactSecrets on generated entries full of near-secrets and escapes', () => {
    // Pieces that make or break the key patterns, plus every kind of character JSON escapes.
    const pieces = [
      'sk-',
      'proj-',
      'Bearer',
      'Basic',
      ' ',
      '\n',
      '\t',
      '\u000b',
      '"',
      '\\',
      "'",
      '&',
      '=',
      'token',
      'api_key',
      'AIza',
      'ghp_',
      'abcdefgh',
      'abcdefghijklmnop',
      'XYZ0123456789',
      '_-',
      '\u0000',
      '\u2028',
      '\ud800',
      'é',
      secret.slice(0, 20),
      secret.slice(20),
      secret,
      '[REDACTED]',
    ];
    const keys = ['content', 'apiKey', 'x-api-key', 'my_secret', 'token', 'authorization', 'note', 'Password', 'tokens', '0'];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = () => Array.from({ length: 1 + random(8) }, () => pieces[random(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = random(depth > 2 ? 3 : 6);
      if (kind === 0) return text();
      if (kind === 1) return random(2) ? random(1000) : null;
      if (kind === 2) return random(2) ? '' : text();
      if (kind === 3) return Array.from({ length: random(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: 1 + random(4) }, () => [keys[random(keys.length)], value(depth + 1)]));
    };
    let clean = 0;
    let redacted = 0;
    for (let i = 0; i < 5000; i++) {
      const data = { entry: value(0) } as JsonObject;
      const entry = serializeEntry(data);
      if (entry.secrets === undefined) clean += 1;
      if (reference(data) !== JSON.stringify(data)) redacted += 1;
      expect(storedJson(entry)).toBe(reference(data));
    }
    // Both paths are exercised, and plenty of entries really hold something to redact.
    expect(clean).toBeGreaterThan(300);
    expect(redacted).toBeGreaterThan(100);
  });
});
