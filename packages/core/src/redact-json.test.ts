import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonHasSecretKey } from './redact/names.js';
import { isSecretKey, REDACTED, redactJson, redactSecrets, registerSecret } from './redact.js';

const secret = 'registered-redact-json-secret-0123456789';
registerSecret(secret);

/** What redactJson must give: a redacted deep copy, serialized. */
const reference = (text: string) => JSON.stringify(redactSecrets(JSON.parse(text) as unknown));

afterEach(() => {
  vi.restoreAllMocks();
});

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number) {
  // mulberry32: the low bits of a plain LCG repeat in short cycles, which left whole piece orders untried.
  let state = seed >>> 0;
  return (n: number) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

describe('jsonHasSecretKey', () => {
  it.each([
    'apiKey',
    'X-Api-Key',
    'Authorization',
    'cookie',
    'client_secret',
    'userPassword',
    'passphrase',
    'db_pwd',
    'sessionToken',
    'AccountKey',
    'SharedAccessSignature',
    'connectionString',
    'credentials',
    'AWS_SECRET_ACCESS_KEY',
    'SECRETS_FILE',
    'PGPASSWORD',
    'GITLAB_PAT',
    'REDIS_AUTH',
    'SMTP_PASS',
    'SLACK_WEBHOOK_URL',
  ])('finds the key %s, which isSecretKey calls secret', (name) => {
    expect(isSecretKey(name)).toBe(true);
    expect(jsonHasSecretKey(JSON.stringify({ outer: { list: [1, { [name]: 'value' }] } }))).toBe(true);
  });

  it('does not take keys that only contain a word, or values, for secret keys', () => {
    const text = JSON.stringify({
      promptPath: 'bench/task',
      usage: { inputTokens: 1, outputTokens: 2 },
      arguments: { key: 'k0', sort_key: 'x' },
      note: 'apiKey": is only text here',
      nested: '{"apiKey":"inside a string"}',
    });
    expect(jsonHasSecretKey(text)).toBe(false);
  });

  it('never misses a key isSecretKey calls secret (generated names)', () => {
    const parts = [
      'api',
      'Api',
      '_',
      '-',
      '.',
      'key',
      'KEY',
      'secret',
      'SECRET',
      'token',
      'Token',
      'pass',
      'word',
      'PASSWD',
      'pwd',
      'auth',
      'AUTH',
      'orization',
      'cookie',
      'credential',
      's',
      'S',
      'connection',
      'string',
      'PAT',
      'webhook',
      'WEBHOOK',
      'shared',
      'access',
      'signature',
      'x',
      'A',
      '1',
      ' ',
      'é',
    ];
    const random = generator(7);
    let secretNames = 0;
    for (let i = 0; i < 20_000; i++) {
      const name = Array.from({ length: 1 + random(5) }, () => parts[random(parts.length)]).join('');
      if (!isSecretKey(name)) continue;
      secretNames += 1;
      expect(jsonHasSecretKey(JSON.stringify({ [name]: 'v' })), name).toBe(true);
    }
    expect(secretNames).toBeGreaterThan(1000);
  });
});

describe('redactJson', () => {
  it('returns an ordinary entry as it is, without parsing it', () => {
    const text = JSON.stringify({
      dialogId: 'f7b5d404-b172-48a2-b417-2e4d81157034',
      index: 2,
      message: {
        role: 'tool_call',
        content: 'Line one.\nLine "two".',
        promptPath: 'bench/task',
        toolCalls: [{ id: 'call_0', name: 'lookup', arguments: { key: 'k0' }, rawArguments: '{"key":"k0"}' }],
        usage: { inputTokens: 120, outputTokens: 30 },
      },
    });
    const parse = vi.spyOn(JSON, 'parse');
    expect(redactJson(text)).toBe(text);
    // The strings with an escape were decoded to be checked; the text itself never was parsed.
    expect(parse.mock.calls.some(([argument]) => argument === text)).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a registered secret', { content: `the key is ${secret}` }],
    ['a key pattern', { raw: { body: 'sk-proj-abcdefghijklmnopqrstuvwx' } }],
    ['Bearer after an escaped newline', { header: 'x\nBearer abcdefghijklmnop' }],
    ['Bearer after a tab, which the text writes as \\t', { header: 'Authorization:\tBearer abcdefghijklmnop' }],
    ['a named value after a tab', { text: 'api_key:\tsk12345678abcdef' }],
    ['a JSON pair inside a string, whose quotes the text escapes', { text: 'token":"x" secret_key":"SECRETVALUE"' }],
    ['a pattern right after an escaped quote', { text: '"sk-abcdefghijklmnopqrstuvwx"' }],
    ['token= with a backslash in the value', { url: 'https://x.test/?token=abc\\defghijk' }],
    ['a password in a URL', { url: 'postgres://app:hunter2hunter2@db.test/x' }],
    ['a secret-named key', { request: { headers: { Authorization: 'anything at all' } } }],
    ['a secret-named key holding a number', { password: 1234 }],
    ['a secret-named key in an escaped string', { body: '{"client_secret": "abcd1234efgh"}' }],
    ['a private key block', { pem: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----' }],
  ])('redacts %s as redactSecrets does', (_, data) => {
    const text = JSON.stringify(data);
    expect(redactJson(text)).toBe(reference(text));
    expect(redactJson(text)).not.toBe(text);
    expect(redactJson(text)).not.toMatch(
      /sk-proj-abc|abcdefghijklmnop|anything at all|1234|registered-redact|SECRETVALUE|hunter2|MIIEvQ|sk12345678/,
    );
  });

  it('checks each string with an escape on its own: one cannot hide a secret in the next', () => {
    // Together, "tokens":" in the first string reads on into the second and takes in its name.
    const text = JSON.stringify({ entry: ['note: "tokens":"', 'password":"hunter2hunter2"'] });
    expect(redactJson(text)).toBe(reference(text));
    expect(redactJson(text)).not.toContain('hunter2');
    // The generated entry (seed 65535) that found it.
    const found = JSON.stringify({ entry: ['xx"\n', 'api_key\n\tsecret_keyx":"\n', '=x\\api_key":"\\"":"'] });
    expect(redactJson(found)).toBe(reference(found));
  });

  it('handles strings of megabytes, with escapes all through them', () => {
    const long = 'a line with "quotes"\n'.repeat(250_000);
    const clean = JSON.stringify({ content: long, raw: { choices: [{ message: { content: long } }] } });
    expect(redactJson(clean)).toBe(clean);
    const leaky = JSON.stringify({ content: `${long}Authorization:\tBearer abcdefghijklmnop` });
    expect(redactJson(leaky)).toBe(reference(leaky));
    expect(redactJson(leaky)).not.toContain('abcdefghijklmnop');
  });

  // Pieces that make or break the patterns, every kind of character JSON escapes, and JSON syntax.
  const everything = [
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
    ':',
    '":"',
    '": "',
    '{',
    '}',
    ',',
    '://',
    'user:',
    '@',
    'token',
    'api_key',
    'secret_key',
    'password',
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
    REDACTED,
  ];
  // Fewer pieces, around what escaping changes: a secret the text only shows escaped.
  const escapes = ['Bearer', ' ', '\t', '\n', '"', '\\', ':', '=', '":"', 'api_key', 'secret_key', 'abcdefghijklmnop', 'x'];

  it.each([
    ['near-secrets, JSON in strings and escapes', everything, 12345],
    ['secrets that escaping hides', escapes, 777],
  ])('agrees with redactSecrets on generated entries: %s', (_, pieces, seed) => {
    const keys = [
      'content',
      'apiKey',
      'x-api-key',
      'my_secret',
      'token',
      'authorization',
      'note',
      'Password',
      'tokens',
      'promptPath',
      '0',
      'a"b',
      'api\\key',
    ];
    const random = generator(Number(process.env.LLLM_FUZZ_SEED ?? seed));
    const text = () => Array.from({ length: 1 + random(8) }, () => pieces[random(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = random(depth > 2 ? 3 : 6);
      if (kind === 0) return text();
      if (kind === 1) return random(2) ? random(1000) : null;
      if (kind === 2) return random(2) ? '' : text();
      if (kind === 3) return Array.from({ length: random(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: 1 + random(4) }, () => [keys[random(keys.length)], value(depth + 1)]));
    };
    let unchanged = 0;
    let redacted = 0;
    for (let i = 0; i < 10_000; i++) {
      const json = JSON.stringify({ entry: value(0) });
      const expected = reference(json);
      if (expected === json) unchanged += 1;
      else redacted += 1;
      expect(redactJson(json), json).toBe(expected);
    }
    // Plenty of both.
    expect(unchanged).toBeGreaterThan(1000);
    expect(redacted).toBeGreaterThan(1000);
  });
});
