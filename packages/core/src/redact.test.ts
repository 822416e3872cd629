import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets, redactString, registerSecret } from './redact.js';

const saved = process.env.OPENAI_API_KEY;
afterEach(() => {
  if (saved === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = saved;
});

describe('redactSecrets', () => {
  it('redacts secret-named keys, env key values and key-shaped strings, keeping token counts and logprob tokens', () => {
    process.env.OPENAI_API_KEY = 'plain-looking-secret-value-123';
    const input = {
      headers: { Authorization: 'Bearer abc', 'x-api-key': 'k-123456789', accept: 'json' },
      apiKey: 'whatever',
      text: 'key is plain-looking-secret-value-123 and sk-proj-ABCDEFGHIJKLMNOPQRSTUV',
      url: 'https://x.test/data?api_key=abcdef123456&series=GDP',
      usage: { inputTokens: 5, max_tokens: 10 },
      logprobs: [{ token: 'Hello', logprob: -0.1 }],
    };
    const output = redactSecrets(input);
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
});
