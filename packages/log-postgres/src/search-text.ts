// What the full-text index holds for a logged message, and how a query becomes a tsquery. The words are
// found here (not by PostgreSQL's parser, which reads `<answer>` as an XML tag and `a@b.c` as one
// e-mail): the store sends the finished tsvector, which also spares the one server process that
// inserts a batch the parsing.

interface LoggedMessage {
  readonly content?: unknown;
  readonly caption?: unknown;
  readonly toolCalls?: unknown;
  readonly attempts?: unknown;
}

/**
 * The searchable text of a `messages` entry: content, caption, tool names, arguments and results,
 * failed attempts' errors — the same parts `@lllm/log`'s search reads (a test keeps the two in step).
 * Undefined when the entry holds no message.
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
  return parts.join('\n');
}

const ASCII = /^[\x20-\x7e\t\n\r]*$/;

/**
 * The words the index keeps, lower case: runs of letters and digits, accents dropped — as SQLite's
 * `unicode61 remove_diacritics 2` tokenizer sees them; `<answer>` is the word `answer`, `a@b.c` three words.
 */
export function searchWords(text: string): string[] {
  // Most logged text is ASCII: no accents to drop, and an ASCII class is much faster than \p{…}.
  if (ASCII.test(text)) return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * A query for `websearch_to_tsquery`, its words split the way {@link searchWords} splits the text:
 * lower case (as the index keeps them); quotes (phrases), `or` and a leading `-` (not) are kept, any
 * other punctuation becomes a space.
 */
export function searchQuery(query: string): string {
  return query
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/(^|\s)-(?=[\p{L}\p{N}])|[^\p{L}\p{N}\s"]+/gu, (_match: string, lead: string | undefined) =>
      lead === undefined ? ' ' : `${lead}-`,
    )
    .trim();
}

/** Words indexed per entry at most (PostgreSQL keeps positions up to 16,383). */
const MAX_WORDS = 16_383;
/** Positions kept per word (PostgreSQL's limit). */
const MAX_POSITIONS = 256;
/** Longer words are not indexed (PostgreSQL refuses lexemes over 2 KB). */
const MAX_WORD_LENGTH = 256;
/** Characters of a tsvector literal at most (PostgreSQL's limit for a tsvector is 1 MB). */
const MAX_VECTOR_LENGTH = 512 * 1024;

/**
 * The tsvector of a `messages` entry, in PostgreSQL's input syntax (`'bring':1 'jacket':3,9`): the
 * words of {@link messageSearchText}, lower case, with their positions (so phrases match). Null when
 * the entry holds no message or no word.
 */
export function messageSearchVector(data: Readonly<Record<string, unknown>>): string | null {
  const text = messageSearchText(data);
  if (!text) return null;
  const positions = new Map<string, number[]>();
  let position = 0;
  for (const word of searchWords(text)) {
    position += 1;
    if (position > MAX_WORDS) break;
    if (word.length > MAX_WORD_LENGTH) continue;
    const list = positions.get(word);
    if (!list) positions.set(word, [position]);
    else if (list.length < MAX_POSITIONS) list.push(position);
  }
  let vector = '';
  for (const [word, list] of positions) {
    const lexeme = `'${word}':${list.join(',')}`;
    if (vector.length + lexeme.length + 1 > MAX_VECTOR_LENGTH) break;
    vector += vector === '' ? lexeme : ` ${lexeme}`;
  }
  return vector === '' ? null : vector;
}

/** The text search configuration: `simple` (no stemming, no stop words: works for every language and for code). */
export const SEARCH_CONFIG = 'simple';

/**
 * A tsquery from what a person typed, in PostgreSQL's web-search syntax (`"a phrase"`, `or`, `-word`)
 * through `websearch_to_tsquery`, with every word matched as a prefix (`weath` finds `weather`), as
 * the SQLite store's FTS5 search does. `$1` is the query text.
 */
export const TSQUERY_SQL = `regexp_replace(websearch_to_tsquery('${SEARCH_CONFIG}', $1)::text, '''((?:[^'']|'''')+)''', '''\\1'':*', 'g')::tsquery`;
