// What the full-text index holds for a logged message, and how a query becomes a tsquery.

interface LoggedMessage {
  readonly content?: unknown;
  readonly caption?: unknown;
  readonly toolCalls?: unknown;
  readonly attempts?: unknown;
}

/**
 * The searchable text of a `messages` entry: content, caption, tool names, arguments and results,
 * failed attempts' errors — the same parts `@lllm/log`'s search reads (a test keeps the two in step).
 * Undefined when the entry holds no message. Returned as {@link searchWords} (no NUL, which PostgreSQL text cannot hold).
 */
export function messageSearchText(data: Readonly<Record<string, unknown>>): string | undefined {
  const message = data.message as LoggedMessage | undefined;
  if (typeof message !== 'object' || message === null) return undefined;
  const parts: string[] = [];
  if (typeof message.content === 'string') parts.push(message.content);
  if (typeof message.caption === 'string') parts.push(message.caption);
  for (const call of Array.isArray(message.toolCalls) ? (message.toolCalls as Record<string, unknown>[]) : []) {
    parts.push(String(call?.name ?? ''), JSON.stringify(call?.arguments ?? {}));
    if (typeof call?.result === 'string') parts.push(call.result);
    if (typeof call?.error === 'string') parts.push(call.error);
  }
  for (const attempt of Array.isArray(message.attempts) ? (message.attempts as Record<string, unknown>[]) : []) {
    if (typeof attempt?.error === 'string') parts.push(attempt.error);
  }
  return searchWords(parts.join('\n'));
}

/**
 * Text as the words the index keeps: accents dropped, everything but letters and digits a space. As
 * SQLite's `unicode61 remove_diacritics 2` tokenizer sees it, and what keeps PostgreSQL's parser from
 * swallowing `<answer>` as an XML tag or `a@b.c` as one e-mail token.
 */
export function searchWords(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * A query for `websearch_to_tsquery`, its words split the way {@link searchWords} splits the text:
 * quotes (phrases), `or` and a leading `-` (not) are kept, any other punctuation becomes a space.
 */
export function searchQuery(query: string): string {
  return query
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/(^|\s)-(?=[\p{L}\p{N}])|[^\p{L}\p{N}\s"]+/gu, (_match: string, lead: string | undefined) =>
      lead === undefined ? ' ' : `${lead}-`,
    )
    .trim();
}

/** The text search configuration: `simple` (no stemming, no stop words: works for every language and for code). */
export const SEARCH_CONFIG = 'simple';

/**
 * A tsquery from what a person typed, in PostgreSQL's web-search syntax (`"a phrase"`, `or`, `-word`)
 * through `websearch_to_tsquery`, with every word matched as a prefix (`weath` finds `weather`), as
 * the SQLite store's FTS5 search does. `$1` is the query text.
 */
export const TSQUERY_SQL = `regexp_replace(websearch_to_tsquery('${SEARCH_CONFIG}', $1)::text, '''((?:[^'']|'''')+)''', '''\\1'':*', 'g')::tsquery`;
