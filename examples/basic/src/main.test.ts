import { describe, expect, it } from 'vitest';
import { runExample } from './main.js';

describe('the basic example', () => {
  it('shows the state machine at work: pruned retries, a kept tool call, a parsed result and its cost', async () => {
    let printed = '';
    const { result, dialog, invoker, pruned } = await runExample({
      write: (chunk: string) => {
        printed += chunk;
        return true;
      },
    });
    expect(result.parsed).toEqual({ city: 'Oslo', celsius: -3, advice: 'A warm coat, a hat and gloves.' });
    expect(invoker.requests).toHaveLength(4);
    expect(result.attempts.map((attempt) => attempt.kind)).toEqual(['tool_call', 'parse']);
    expect(dialog.messages.map((message) => message.role)).toEqual(['system', 'user', 'tool_call', 'tool', 'assistant']);
    expect(pruned).toBeGreaterThan(0);
    // 4 replies × (420 × 2.5 + 128 × 1.25 + 36 × 10) / 1e6 = 4 × 0.00157 = 0.00628
    expect(result.cost.totalUsd).toBe(0.00628);
    expect(printed).toContain('SCRIPTED model');
    expect(printed).toContain('get_weather({"city":"Oslo"}) → {"city":"Oslo","celsius":-3}');
    expect(printed).toContain('Cost: $0.006280 for 4 model requests');
  });
});
