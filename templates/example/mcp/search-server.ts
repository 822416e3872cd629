// The counterpart of the Python LLLM example's `proxy/mcp/search_mcp.py`: an MCP server with the two
// tools a deep-research client expects, `search(query)` and `fetch(id)`, built with
// @modelcontextprotocol/sdk. Search goes to Exa (`EXA_API_KEY`) with a publication cutoff, as
// upstream's Exa path does (its scraping of Google result pages is left out: it breaks Google's terms
// and fails without notice); fetch reads the page itself and returns its text. Run it over stdio:
//   node --import tsx mcp/search-server.ts       (or add it to a client's MCP servers)
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

/** How the server searches and reads pages. */
export interface SearchServerOptions {
  /** Exa's key (default `$EXA_API_KEY`). */
  readonly exaApiKey?: string;
  /** Exa's address (default `https://api.exa.ai`). */
  readonly exaBaseUrl?: string;
  /** Only pages published before this day, `YYYY-MM-DD` (default `$SEARCH_CUTOFF_DATE`, else none). */
  readonly cutoffDate?: string;
  /** Results per search (default 25, as upstream). */
  readonly numResults?: number;
  /** Snippet length in characters (default 200, as upstream). */
  readonly snippetChars?: number;
  /** Longest page text `fetch` returns (default 100,000 characters). */
  readonly maxPageChars?: number;
  /** Default the global `fetch` (tests pass one that reaches local servers). */
  readonly fetch?: typeof fetch;
}

interface ExaResult {
  readonly id?: string;
  readonly url: string;
  readonly title?: string | null;
  readonly text?: string;
}

/** Visible text of an HTML page: scripts, styles and tags removed, entities for the common characters decoded. */
export function pageText(html: string): string {
  return html
    .replace(/<(script|style|noscript)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

function titleOf(html: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return match?.[1] ? pageText(match[1]) : undefined;
}

const json = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });

/** The MCP server (not yet connected): tools `search` and `fetch`. */
export function createSearchServer(options: SearchServerOptions = {}): McpServer {
  const fetchImpl = options.fetch ?? fetch;
  const exaBaseUrl = (options.exaBaseUrl ?? 'https://api.exa.ai').replace(/\/$/, '');
  const cutoff = options.cutoffDate ?? process.env.SEARCH_CUTOFF_DATE;
  if (cutoff !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(cutoff)) {
    throw new Error(`The search server's cutoff date ${JSON.stringify(cutoff)} is not a date: write it YYYY-MM-DD (SEARCH_CUTOFF_DATE).`);
  }
  const snippetChars = options.snippetChars ?? 200;
  const maxPageChars = options.maxPageChars ?? 100_000;
  const server = new McpServer(
    { name: 'Search MCP Server', version: '1.0.0' },
    {
      instructions:
        'Web search and page retrieval: use search to find pages by keywords, then fetch to read a page in full (its id is its URL).',
    },
  );

  server.registerTool(
    'search',
    {
      description:
        'Search the web for pages relevant to a query (keywords work best). Returns results with id (the URL), title, a text snippet and url; use fetch for the full page.',
      inputSchema: { query: z.string().describe('Search query string') },
    },
    async ({ query }, extra) => {
      if (!query.trim()) return json({ results: [] });
      const apiKey = options.exaApiKey ?? process.env.EXA_API_KEY;
      if (!apiKey) return { ...json({ error: 'EXA_API_KEY is not set: the search server needs an Exa key.' }), isError: true };
      const body: Record<string, unknown> = {
        query,
        type: 'keyword',
        numResults: options.numResults ?? 25,
        contents: { text: { maxCharacters: snippetChars * 5 } },
      };
      if (cutoff) body.endPublishedDate = `${cutoff}T00:00:00.000Z`;
      const response = await fetchImpl(`${exaBaseUrl}/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify(body),
        signal: extra.signal,
      });
      const text = await response.text();
      if (!response.ok)
        return {
          ...json({ error: `Exa answered HTTP ${response.status}: ${text.replaceAll(apiKey, '[REDACTED]').slice(0, 300)}` }),
          isError: true,
        };
      const results = ((JSON.parse(text) as { results?: ExaResult[] }).results ?? []).map((result) => {
        const content = result.text ?? result.title ?? '';
        return {
          id: result.url,
          title: result.title ?? result.url,
          text: content.length > snippetChars ? `${content.slice(0, snippetChars)}...` : content,
          url: result.url,
        };
      });
      return json({ results });
    },
  );

  server.registerTool(
    'fetch',
    {
      description: 'Retrieve the full text of a web page by its id (its URL), for analysis and citation.',
      inputSchema: { id: z.string().describe('The page id: its URL, as search returned it') },
    },
    async ({ id }, extra) => {
      let url: URL;
      try {
        url = new URL(id);
      } catch {
        return { ...json({ error: `"${id}" is not a URL: pass the id search returned.` }), isError: true };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return { ...json({ error: `Only http(s) pages can be fetched, not ${url.protocol}` }), isError: true };
      const response = await fetchImpl(url, { signal: extra.signal, headers: { accept: 'text/html,text/plain;q=0.9,*/*;q=0.1' } });
      if (!response.ok) return { ...json({ error: `${id} answered HTTP ${response.status}` }), isError: true };
      const raw = await response.text();
      const html = /html/i.test(response.headers.get('content-type') ?? '');
      const text = html ? pageText(raw) : raw;
      return json({ id, title: (html ? titleOf(raw) : undefined) ?? id, text: text.slice(0, maxPageChars), url: id, metadata: null });
    },
  );
  return server;
}

/** Serve over stdio (the process's stdin/stdout) until the client disconnects. */
export async function serveSearchStdio(options: SearchServerOptions = {}): Promise<McpServer> {
  const server = createSearchServer(options);
  await server.connect(new StdioServerTransport());
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) await serveSearchStdio();
