import { defineProxy } from '@lllm/proxy';

/** An offline proxy: daily closing prices from a handler (a real one would call an HTTP API). */
export const prices = defineProxy({
  path: 'prices',
  name: 'Prices',
  description: 'Daily closing prices of a ticker.',
  endpoints: [
    {
      category: 'daily',
      endpoint: 'close',
      name: 'Closing prices',
      description: 'Closing price per day.',
      parameters: { type: 'object', properties: { ticker: { type: 'string' } }, required: ['ticker'], additionalProperties: false },
      examples: { ticker: 'ACME' },
      // Entries dated on or after the cutoff are withheld.
      dtCutoff: { key: 'days/date' },
      handler: (params: Record<string, unknown>) => ({
        ticker: params.ticker,
        days: [
          { date: '2024-06-27', close: 10.5 },
          { date: '2024-06-28', close: 11 },
          { date: '2024-07-01', close: 13 },
        ],
      }),
    },
  ],
});
