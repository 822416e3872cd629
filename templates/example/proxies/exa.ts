// Exa web search (https://docs.exa.ai/reference/search), the Python LLLM example's `exa` proxy: its
// three endpoints, `search`, `findSimilar` and `contents`, as Exa's REST API takes them (POST, JSON
// body, the key in the `x-api-key` header). Upstream went through the exa_py SDK; here the body is
// the API's own, with text, highlights and summary asked for under `contents`. `export EXA_API_KEY=…`.
import { defineProxy, type ProxyDefinition } from '@lllm/proxy';
import { z } from 'zod';

/** Where to reach Exa; tests point `baseUrl` at a local server. */
export interface ExaProxyOptions {
  /** Default `https://api.exa.ai`. */
  readonly baseUrl?: string;
}

const isoTime = (what: string) => z.string().datetime({ offset: true }).describe(`${what}, ISO 8601, e.g. "2023-01-01T00:00:00.000Z"`);
const filters = {
  numResults: z.number().int().min(1).max(100).optional().describe('How many results (default 10)'),
  includeDomains: z.array(z.string()).optional().describe('Only these domains, e.g. ["arxiv.org"]'),
  excludeDomains: z.array(z.string()).optional().describe('Never these domains'),
  startCrawlDate: isoTime('Crawled at or after').optional(),
  endCrawlDate: isoTime('Crawled at or before').optional(),
  startPublishedDate: isoTime('Published at or after').optional(),
  endPublishedDate: isoTime('Published at or before').optional(),
  includeText: z.array(z.string()).optional().describe('Phrases every page must contain (one phrase of up to 5 words)'),
  excludeText: z.array(z.string()).optional().describe('Phrases no page may contain'),
};
const contents = z
  .object({
    text: z.boolean().optional().describe('Include the page text'),
    highlights: z.object({ query: z.string().optional() }).optional().describe('Key sentences, optionally for a query'),
    summary: z.object({ query: z.string().optional() }).optional().describe('A summary, optionally guided by a query'),
  })
  .optional()
  .describe('What to return for each result: text, highlights, summary');
const contentsExample = { text: true, highlights: { query: 'Key advancements' }, summary: { query: 'Main developments' } };

const RESULT = {
  title: 'A Comprehensive Overview of Large Language Models',
  url: 'https://arxiv.org/pdf/2307.06435.pdf',
  publishedDate: '2023-11-16T01:36:32.547Z',
  author: 'Humza Naveed',
  id: 'https://arxiv.org/abs/2307.06435',
  text: 'Abstract Large Language Models (LLMs) have recently demonstrated remarkable capabilities…',
  highlights: ['Such requirements have limited their adoption…'],
  highlightScores: [0.46],
  summary: 'The paper surveys recent developments in large language models…',
};

/** `{ "error": "…" }` on failures. */
function exaError(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'string' && error ? error : undefined;
}

/** The Exa proxy, optionally at another base URL. */
export function exaProxy(options: ExaProxyOptions = {}): ProxyDefinition {
  return defineProxy({
    path: 'exa',
    name: 'Exa Search API',
    description:
      'Exa web search: find pages by meaning or keywords (with date and domain filters), pages similar to a URL, and the text, highlights or summaries of given URLs.',
    baseUrl: options.baseUrl ?? 'https://api.exa.ai',
    apiKey: { env: 'EXA_API_KEY', in: 'header', name: 'x-api-key' },
    detectError: exaError,
    endpoints: [
      {
        category: 'search',
        endpoint: '/search',
        method: 'POST',
        key: 'search',
        name: 'Search',
        description: 'Search the web; "auto" picks between keyword and embeddings search. Optionally returns contents.',
        parameters: z.object({
          query: z.string().min(1).describe('What to find, e.g. "latest research on LLM reasoning"'),
          type: z.enum(['auto', 'neural', 'keyword', 'fast']).optional().describe('Search type (default auto)'),
          category: z
            .enum(['company', 'research paper', 'news', 'pdf', 'github', 'tweet', 'personal site', 'linkedin profile', 'financial report'])
            .optional()
            .describe('Focus on one kind of page'),
          ...filters,
          contents,
        }),
        examples: {
          query: 'AAPL',
          type: 'auto',
          category: 'company',
          numResults: 10,
          includeDomains: ['arxiv.org'],
          excludeDomains: ['example.com'],
          startCrawlDate: '2023-01-01T00:00:00.000Z',
          endCrawlDate: '2023-12-31T00:00:00.000Z',
          startPublishedDate: '2023-01-01T00:00:00.000Z',
          endPublishedDate: '2023-12-31T00:00:00.000Z',
          includeText: ['large language model'],
          excludeText: ['course'],
          contents: contentsExample,
        },
        exampleResponse: { requestId: 'b5947044c4b78efa9552a7c89b306d95', resolvedSearchType: 'neural', results: [RESULT] },
        removeKeys: ['requestId', 'costDollars'],
        dtCutoff: { key: 'results/publishedDate', format: 'iso' },
      },
      {
        category: 'search',
        endpoint: '/findSimilar',
        method: 'POST',
        key: 'findSimilar',
        name: 'Find similar',
        description: 'Pages similar to a URL, with the same filters and contents as search.',
        parameters: z.object({
          url: z.string().url().describe('The page to match, e.g. "https://arxiv.org/abs/2307.06435"'),
          ...filters,
          contents,
        }),
        examples: {
          url: 'https://arxiv.org/abs/2307.06435',
          numResults: 10,
          includeDomains: ['arxiv.org'],
          excludeDomains: ['example.com'],
          startCrawlDate: '2023-01-01T00:00:00.000Z',
          endCrawlDate: '2023-12-31T00:00:00.000Z',
          startPublishedDate: '2023-01-01T00:00:00.000Z',
          endPublishedDate: '2023-12-31T00:00:00.000Z',
          includeText: ['large language model'],
          excludeText: ['course'],
          contents: contentsExample,
        },
        exampleResponse: { requestId: 'c6958155d5c89ffa0663b7c90c407396', results: [RESULT] },
        removeKeys: ['requestId', 'costDollars'],
        dtCutoff: { key: 'results/publishedDate', format: 'iso' },
      },
      {
        category: 'search',
        endpoint: '/contents',
        method: 'POST',
        key: 'contents',
        name: 'Contents',
        description: 'The text, highlights or summary of given URLs.',
        parameters: z.object({
          urls: z.array(z.string().url()).min(1).describe('Pages to read, e.g. ["https://arxiv.org/abs/2307.06435"]'),
          text: z.boolean().optional().describe('Include the page text'),
          highlights: z.object({ query: z.string().optional() }).optional().describe('Key sentences, optionally for a query'),
          summary: z.object({ query: z.string().optional() }).optional().describe('A summary, optionally guided by a query'),
        }),
        examples: {
          urls: ['https://arxiv.org/abs/2307.06435'],
          text: true,
          highlights: { query: 'Key advancements' },
          summary: { query: 'Main developments' },
        },
        exampleResponse: { requestId: 'e492118ccdedcba5088bfc4357a8a125', results: [RESULT] },
        removeKeys: ['requestId', 'costDollars'],
        dtCutoff: { key: 'results/publishedDate', format: 'iso' },
      },
    ],
  });
}

/** Exa at its public address: discovery registers it as `exa`. */
export const exa = exaProxy();
