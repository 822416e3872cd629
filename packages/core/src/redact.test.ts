import { afterEach, describe, expect, it } from 'vitest';
import { encodedForms } from './redact/encodings.js';
import { isSecretKey, knownSecrets, REDACTED, redactSecrets, redactString, registerSecret } from './redact.js';

const planted = new Map<string, string | undefined>();
function setEnv(name: string, value: string): void {
  if (!planted.has(name)) planted.set(name, process.env[name]);
  process.env[name] = value;
}
afterEach(() => {
  for (const [name, value] of planted) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  planted.clear();
});

/** Every known secret set is re-read from the environment (the list is otherwise kept for a second). */
const fresh = () => {
  registerSecret(`refresh-${Math.random()}`);
  return knownSecrets();
};

describe('redactSecrets', () => {
  it('redacts secret-named keys, env key values and key-shaped strings, keeping token counts and logprob tokens', () => {
    setEnv('OPENAI_API_KEY', 'plain-looking-secret-value-123');
    const input = {
      headers: { Authorization: 'Bearer abc', 'x-api-key': 'k-123456789', accept: 'json' },
      apiKey: 'whatever',
      text: 'key is plain-looking-secret-value-123 and sk-proj-ABCDEFGHIJKLMNOPQRSTUV',
      url: 'https://x.test/data?api_key=abcdef123456&series=GDP',
      usage: { inputTokens: 5, max_tokens: 10 },
      logprobs: [{ token: 'Hello', logprob: -0.1 }],
    };
    const output = redactSecrets(input, fresh());
    expect(output.headers).toEqual({ Authorization: REDACTED, 'x-api-key': REDACTED, accept: 'json' });
    expect(output.apiKey).toBe(REDACTED);
    expect(output.text).toBe(`key is ${REDACTED} and ${REDACTED}`);
    expect(output.url).toBe(`https://x.test/data?api_key=${REDACTED}&series=GDP`);
    expect(output.usage).toEqual({ inputTokens: 5, max_tokens: 10 });
    expect(output.logprobs).toEqual([{ token: 'Hello', logprob: -0.1 }]);
    expect(input.apiKey).toBe('whatever');
  });

  it('redacts registered secrets and Bearer headers in free text', () => {
    registerSecret('my-registered-proxy-key');
    expect(redactString('calling with my-registered-proxy-key now')).toBe(`calling with ${REDACTED} now`);
    expect(redactString('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload')).toBe(`Authorization: Bearer ${REDACTED}`);
  });

  it('redacts values under environment-style and camel-case secret keys', () => {
    const output = redactSecrets(
      {
        env: { AWS_SECRET_ACCESS_KEY: 'a', PGPASSWORD: 'b', GITHUB_PAT: 'c', GOOGLE_CREDENTIALS: 'd', SERVICE_KEY: 'e', HOME: '/root' },
        clientSecret: 'f',
        db_password: 'g',
        refreshToken: 'h',
        private_key: 'i',
        sort_key: 'created',
        nextPageToken: 'page-2',
      },
      [],
    );
    expect(output).toEqual({
      env: {
        AWS_SECRET_ACCESS_KEY: REDACTED,
        PGPASSWORD: REDACTED,
        GITHUB_PAT: REDACTED,
        GOOGLE_CREDENTIALS: REDACTED,
        SERVICE_KEY: REDACTED,
        HOME: '/root',
      },
      clientSecret: REDACTED,
      db_password: REDACTED,
      refreshToken: REDACTED,
      private_key: REDACTED,
      sort_key: 'created',
      nextPageToken: 'page-2',
    });
  });
});

describe('isSecretKey', () => {
  it.each([
    'apiKey',
    'api_key',
    'X-Api-Key',
    'x-goog-api-key',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'client_secret',
    'password',
    'userPassword',
    'passwd',
    'access_token',
    'sessionToken',
    'AccountKey',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'PGPASSWORD',
    'MYSQL_PWD',
    'STRIPE_KEY',
    'GITLAB_PAT',
    'SLACK_WEBHOOK_URL',
    'GOOGLE_APPLICATION_CREDENTIALS',
  ])('%s is secret', (name) => expect(isSecretKey(name)).toBe(true));

  it.each([
    'token',
    'key',
    'max_tokens',
    'inputTokens',
    'sort_key',
    'keywords',
    'PWD',
    'OLDPWD',
    'HOME',
    'PATH',
    'pageToken',
    'monkey',
    'secretary_name',
  ])('%s is not secret', (name) => expect(isSecretKey(name)).toBe(false));
});

describe('redactString: secrets recognised by shape', () => {
  const cases: [string, string, string][] = [
    ['AWS access key id', 'key id AKIAIOSFODNN7EXAMPLE in use', `key id ${REDACTED} in use`],
    [
      'AWS secret in a config file',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${REDACTED}`,
    ],
    [
      'Google API key',
      'https://maps.test/api?center=x&key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY',
      `https://maps.test/api?center=x&key=${REDACTED}`,
    ],
    [
      'Azure connection string',
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFy+c2VjcmV0/a2V5==;EndpointSuffix=core.windows.net',
      `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${REDACTED};EndpointSuffix=core.windows.net`,
    ],
    [
      'database URL',
      'connect postgres://app:s3cr3t-Pa55@db.internal:5432/prod failed',
      `connect postgres://app:${REDACTED}@db.internal:5432/prod failed`,
    ],
    ['Redis URL without user', 'redis://:hunter2hunter2@cache:6379/0', `redis://:${REDACTED}@cache:6379/0`],
    ['JWT', 'id_token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk', `id_token ${REDACTED}`],
    ['Basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', `Authorization: Basic ${REDACTED}`],
    ['Slack token', 'SLACK xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', `SLACK ${REDACTED}`],
    ['GitHub token', 'token ghp_16C7e42F292c6912E7710c838347Ae178B4a ok', `token ${REDACTED} ok`],
    ['GitHub fine-grained PAT', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', REDACTED],
    ['GitLab PAT', 'glpat-xxxxXXXXxxxxXXXX1234 ', `${REDACTED} `],
    [
      'npm token',
      '//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789',
      `//registry.npmjs.org/:_authToken=${REDACTED}`,
    ],
    ['Stripe keys', 'sk_live_51HxYzAbCdEfGhIjKl and rk_live_51HxYzAbCdEfGhIjKl', `${REDACTED} and ${REDACTED}`],
    ['Anthropic key', 'x sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789 y', `x ${REDACTED} y`],
    [
      'Slack webhook',
      'POST https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX done',
      `POST https://hooks.slack.com/services/${REDACTED} done`,
    ],
    [
      'Discord webhook',
      'https://discord.com/api/webhooks/123456789/abcDEF-token_value?wait=true',
      `https://discord.com/api/webhooks/${REDACTED}?wait=true`,
    ],
    ['generic webhook', 'https://ci.example.com/project/hooks/0a1b2c3d4e5f', `https://ci.example.com/project/hooks/${REDACTED}`],
    ['env assignment', 'export PGPASSWORD=correct-horse && psql', `export PGPASSWORD=${REDACTED} && psql`],
    ['quoted env assignment', 'MY_SERVICE_TOKEN="abc123def456"', `MY_SERVICE_TOKEN="${REDACTED}"`],
    ['query key parameter', 'GET /weather?q=Paris&appid=0123456789abcdef', `GET /weather?q=Paris&appid=${REDACTED}`],
    ['YAML password', 'password: hunter2hunter2\nuser: bob', `password: ${REDACTED}\nuser: bob`],
    ['JSON pair in text', '{"client_secret": "s3cr3t value with spaces"}', `{"client_secret": "${REDACTED}"}`],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    expect(redactString(text, [])).toBe(expected);
    // Redaction is idempotent: redacting twice changes nothing more.
    expect(redactString(expected, [])).toBe(expected);
  });

  it('redacts a private key block, whole or cut off, raw or inside JSON', () => {
    const block =
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yGm\n-----END RSA PRIVATE KEY-----';
    expect(redactString(`key:\n${block}\nend`, [])).toBe(`key:\n${REDACTED}\nend`);
    expect(redactString('-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn', [])).toBe(REDACTED);
    const json = JSON.stringify({ type: 'service_account', private_key_pem: block, next: 'kept' });
    const redacted = redactString(json, []);
    expect(JSON.parse(redacted)).toEqual({ type: 'service_account', private_key_pem: REDACTED, next: 'kept' });
    // A key-shaped word right before the block (no space) does not hide the block's first line.
    expect(redactString(`sk-abcdefghijklmnop1234${block}`, [])).toBe(`${REDACTED}${REDACTED}`);
  });

  it('leaves ordinary text alone', () => {
    const texts = [
      'A Basic understanding of Token authentication helps.',
      'Token limits: max_tokens=1024, the token: Hello',
      'the key: value pairs; monkey=banana; sort_key=created_at',
      'https://api.example.com/v1/items?page=2&token_type=bearer',
      'Email me at someone@example.com or visit http://example.com:8080/path',
      'The password must be at least twelve characters long.',
      'skill-based routing sk-short',
    ];
    for (const text of texts) expect(redactString(text, [])).toBe(text);
  });
});

describe('redactString: known secrets in every encoding', () => {
  const secret = 'k+y/with=odd chars&more';

  it('finds a registered secret percent-encoded, form-encoded, base64, base64url and JSON-escaped', () => {
    registerSecret(secret);
    const basic = Buffer.from(`user:${secret}`).toString('base64');
    const texts = [
      `raw ${secret} end`,
      `url https://api.test/x?appid=${encodeURIComponent(secret)}&q=1`,
      `form ${new URLSearchParams({ q: secret }).toString()}`,
      `lower hex ${encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())}`,
      `twice ${encodeURIComponent(encodeURIComponent(secret))}`,
      `base64 ${Buffer.from(secret).toString('base64')}`,
      `basic header: ${basic}`,
      `base64url ${Buffer.from(`xy${secret}`).toString('base64url')}`,
      `json ${JSON.stringify({ quoted: `"${secret}"\\` })}`,
    ];
    for (const text of texts) {
      const redacted = redactString(text);
      expect(redacted, text).toContain(REDACTED);
      for (const form of encodedForms(secret)) expect(redacted, text).not.toContain(form);
    }
  });

  it('takes values of secret-named environment variables and passwords inside URL variables', () => {
    setEnv('LLLM_TEST_SERVICE_KEY', 'svc-value-0001');
    setEnv('LLLM_TEST_PGPASSWORD', 'pg-value-0002');
    setEnv('LLLM_TEST_GITHUB_PAT', 'pat-value-0003');
    setEnv('LLLM_TEST_CREDENTIALS', 'cred-value-0004');
    setEnv('LLLM_TEST_DATABASE_URL', 'mysql://root:db%2Bvalue-0005@db:3306/x');
    setEnv('LLLM_TEST_WEBHOOK', 'https://example.test/in/abcdef-0006');
    setEnv('LLLM_TEST_HOME', '/home/not-a-secret');
    const secrets = fresh();
    const text =
      'svc-value-0001 pg-value-0002 pat-value-0003 cred-value-0004 db+value-0005 db%2Bvalue-0005 https://example.test/in/abcdef-0006 /home/not-a-secret';
    expect(redactString(text, secrets)).toBe(`${Array(7).fill(REDACTED).join(' ')} /home/not-a-secret`);
  });

  it('keeps the same list, and so the same matcher, while the set is unchanged', () => {
    const first = fresh();
    expect(knownSecrets()).toBe(first);
  });
});

describe('redactString on serialized JSON', () => {
  it('gives JSON that still parses, with no secret left', () => {
    registerSecret('quote"and\\backslash-secret');
    const value = {
      url: 'https://x.test/?api_key=abcdefgh\\"more&x=1',
      trailing: 'password=hunter22\\',
      newline: 'token=abc\napi_key=abcdefgh1234\nnext',
      nested: JSON.stringify({ password: 'nested-pass-1234', ok: 'yes' }),
      shell: 'PGPASSWORD="pg\\"pass" psql',
      known: 'see quote"and\\backslash-secret here',
      block: '-----BEGIN PRIVATE KEY-----\nabc"def\\ghi',
      db: 'postgres://u:p"w\\d@host/db',
    };
    const text = JSON.stringify(value);
    const redacted = redactString(text);
    const parsed = JSON.parse(redacted) as Record<string, string>;
    expect(parsed.known).toBe(`see ${REDACTED} here`);
    expect(parsed.nested).toBe(JSON.stringify({ password: REDACTED, ok: 'yes' }));
    expect(redacted).not.toContain('hunter22');
    expect(redacted).not.toContain('nested-pass-1234');
    expect(redacted).not.toContain('abcdefgh1234');
    expect(redacted).not.toContain('backslash-secret');
  });
});

describe('redactString is JSON-safe', () => {
  it('leaves every generated JSON text parseable, nested JSON strings included', () => {
    registerSecret('json"safe\\secret+/= value');
    const pieces = [
      'api_key',
      'PGPASSWORD',
      'password',
      'client_secret',
      'token',
      'appid',
      '=',
      ':',
      ': ',
      '"',
      "'",
      '\\',
      '\\"',
      '\n',
      '\t',
      '&',
      ';',
      ' ',
      'abcdefgh',
      'XYZ0123456789',
      'Bearer ',
      'Basic ',
      'sk-proj-',
      'AKIA',
      'eyJhbGciOiJIUzI1NiJ9',
      '.',
      'postgres://u:',
      '@host/db',
      'https://hooks.slack.com/services/',
      'https://x.test/api/webhooks/',
      '-----BEGIN PRIVATE KEY-----',
      '-----END PRIVATE KEY-----',
      'json"safe\\secret+/= value',
      encodeURIComponent('json"safe\\secret+/= value'),
      '[REDACTED]',
      '\u0000',
      'é',
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = () => Array.from({ length: 1 + random(10) }, () => pieces[random(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = random(depth > 2 ? 2 : 5);
      if (kind === 0) return text();
      if (kind === 1) return JSON.stringify({ [text()]: text(), nested: text() });
      if (kind === 2) return Array.from({ length: random(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: 1 + random(4) }, () => [text(), value(depth + 1)]));
    };
    let changed = 0;
    for (let i = 0; i < 3000; i++) {
      const json = JSON.stringify({ entry: value(0) });
      const redacted = redactString(json);
      if (redacted !== json) changed += 1;
      expect(() => JSON.parse(redacted), redacted).not.toThrow();
      expect(redacted).not.toContain('secret+/= value');
      // Idempotent: a redacted text has nothing left to redact.
      expect(redactString(redacted)).toBe(redacted);
    }
    expect(changed).toBeGreaterThan(1000);
  });
});

describe('redactString on hostile input', () => {
  it('stays linear on long runs of name words, tokens, URLs and key blocks', () => {
    const texts = [
      `${'key'.repeat(20_000)}=`,
      `${'secret_'.repeat(10_000)}:`,
      `${'pat'.repeat(20_000)} x:`,
      '-----BEGIN PRIVATE KEY-----'.repeat(3_000),
      `${'https://a'.repeat(10_000)}:`,
      `https://x/${'a/'.repeat(20_000)}:`,
      `"password":"${'\\\\'.repeat(20_000)}`,
      'sk-'.repeat(20_000),
    ];
    for (const text of texts) {
      const started = performance.now();
      redactString(text, []);
      // Linear: well under a second for ~60 kB even on a loaded machine (quadratic took seconds).
      expect(performance.now() - started, text.slice(0, 20)).toBeLessThan(1_500);
    }
  });
});
