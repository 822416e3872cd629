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
    expect(storedJson(serializeEntry(data))).toBe(JSON.stringify(data));
  });

  it('refuses a cycle as JSON.stringify does', () => {
    const data: Record<string, unknown> = { name: 'loop' };
    data.self = data;
    expect(() => serializeEntry(data as JsonObject)).toThrow(TypeError);
  });

  it('keeps an ordinary entry as serialized', () => {
    const data = { dialogId: 'd1', index: 3, message: { role: 'assistant', content: 'The answer is 42.\n', usage: { inputTokens: 1 } } };
    expect(storedJson(serializeEntry(data))).toBe(JSON.stringify(data));
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
  ])('redacts %s as redactSecrets does', (_, data) => {
    const entry = serializeEntry(data);
    expect(storedJson(entry)).toBe(reference(data));
    expect(storedJson(entry)).not.toMatch(/sk-proj-abc|sk-aaaa|abcdefghijklmnop|anything at all|1234|registered-entry/);
  });
});
