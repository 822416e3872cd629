// Secrets recognised by their shape, for text that holds secrets nobody registered: provider keys,
// cloud keys, tokens, private key blocks, passwords in URLs, webhook URLs, and values after a secret
// name (`api_key=…`, `PGPASSWORD=…`, `"client_secret": "…"`). Every pattern is JSON-safe: a match
// never swallows a `"` or the `\` of an escape, so redacting a serialized JSON text leaves valid JSON.
// Speed matters (every log entry passes here): each regular expression is built once, starts with
// literal text where it can, the key blocks run only on text that holds "-----BEGIN ", the URL
// patterns only on text that holds "://", and the named values only on text that holds ":" or "=".
import { isSecretKey, isSecretQueryName } from './names.js';

/** What replaces a secret. */
export const REDACTED = '[REDACTED]';

const KEY_BLOCK = String.raw`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`;
const KEY_BLOCK_END = String.raw`-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`;

/**
 * A private key block up to its END line, or to the end of the (JSON, or JSON in JSON) string when it
 * was cut off. Its own expression, run only on text that holds its first line: as one more branch of
 * `TOKENS` it doubled the time that expression takes on every text.
 */
const KEY_BLOCKS = new RegExp(String.raw`${KEY_BLOCK}(?:[^"\\]|\\[^"])*?(?:${KEY_BLOCK_END}|(?=\\?")|$)`, 'g');

/** Secrets recognisable on their own; a named group marks a prefix that stays. */
const TOKENS = new RegExp(
  String.raw`\b(?:${[
    // JSON Web Tokens.
    String.raw`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`,
    // AWS access key ids, Google API keys.
    String.raw`(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b`,
    String.raw`AIza[0-9A-Za-z_-]{30,}`,
    // Slack, GitHub, GitLab, npm, Stripe, Hugging Face, OpenAI and Anthropic keys.
    String.raw`xox[abposer]-[A-Za-z0-9-]{10,}`,
    String.raw`xapp-[0-9]-[A-Za-z0-9-]{10,}`,
    String.raw`gh[pousr]_[A-Za-z0-9]{30,}`,
    String.raw`github_pat_[A-Za-z0-9_]{30,}`,
    String.raw`glpat-[A-Za-z0-9_-]{20,}`,
    String.raw`npm_[A-Za-z0-9]{30,}`,
    String.raw`(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}`,
    String.raw`whsec_[A-Za-z0-9+/=]{16,}`,
    String.raw`hf_[A-Za-z0-9]{30,}`,
    String.raw`sk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}`,
    // Credentials after an auth scheme. After Basic and Token they hold a digit, +, / or = or mix
    // cases, so prose ("Basic understanding") stays.
    String.raw`(?<bearer>Bearer[ \t]+)[A-Za-z0-9._~+/=-]{12,}`,
    String.raw`(?<scheme>(?:Basic|Token)[ \t]+)(?=[A-Za-z0-9._~+/=-]*(?:[0-9+/=]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]{12,}`,
  ].join('|')})`,
  'g',
);

/** Secrets inside URLs; a named group marks the part that stays. */
const URLS = new RegExp(
  [
    // The password of any scheme://user:password@host.
    String.raw`(?<userinfo>\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@"'\\<>]*:)[^\s@/"'\\<>]+(?=@)`,
    // Webhook URLs: the token is the path after the hook segment.
    String.raw`(?<hook>\bhttps?://(?:hooks\.slack\.com/(?:services|workflows|triggers)/|[^\s/"'\\<>]+/(?:[^\s"'\\<>?#]*/)?(?:webhooks?|hooks|webhookb2)/))[^\s"'\\<>?#]+`,
  ].join('|'),
  'g',
);

/**
 * An unquoted value: up to a space, separator, quote, bracket or escape. In raw text a backslash and
 * the character after it count as one (`C:\Users`), unless that pair could be a JSON escape (`\"`,
 * `\\`, `\n`, `\u…`), so in JSON text, at any depth of nesting, a match ends before an escape.
 */
const VALUE = String.raw`(?:[^\s&"'\\<>;,()[\]{}]|\\[^"\\/bfnrtu\s]){4,}`;

/** A name that contains a secret word: the word, then the rest of the name (the start is looked for in code). */
const NAME = String.raw`(?<word>(?:key|appid|sig|signature|token|secret|pass(?:w(?:or)?d|phrase)?|pwd|pat|credentials?|auth(?:orization)?|cookie|string|webhook)[\w.-]{0,64}?)`;

/** api_key=…, PGPASSWORD=…, password: …, 'token': '…': the one form without a quote or a backslash. */
const PAIR = String.raw`(?<pair>'?[ \t]*[:=][ \t]*'?)(?!(?:Bearer|Basic|Token|Digest)\b)${VALUE}`;

/**
 * A value after a name that contains a secret word: the name, then the separator in one of the forms
 * text writes it (the named group), then the value. Whether the whole name is secret (`isSecretKey`,
 * or a key-carrying query parameter before `=`) is decided per match.
 */
const NAMED_VALUES = new RegExp(
  `${NAME}(?:${[
    // "client_secret": "…" (JSON) and \"client_secret\": \"…\" (JSON inside JSON strings, at any depth).
    String.raw`(?<json>"[ \t]*:[ \t]*")(?:[^"\\]|\\.)+(?=")`,
    String.raw`(?<nested>(?:\\\\)*\\"[ \t]*:[ \t]*(?:\\\\)*\\")[^"\\]+`,
    // PASSWORD="…" and PASSWORD=\"…\" (shell and .env files, and those inside JSON).
    String.raw`(?<quoted>[ \t]*[:=][ \t]*")[^"\\\s]{4,}(?=")`,
    String.raw`(?<escaped>[ \t]*[:=][ \t]*\\")[^"\\\s]{4,}(?=\\")`,
    PAIR,
  ].join('|')})`,
  'gi',
);

/** Only the `name=value` forms: all that can match in a string holding no `"` and no `\`. */
const NAMED_PAIRS = new RegExp(`${NAME}${PAIR}`, 'gi');

const MAX_NAME_PREFIX = 64;

/** Whether a character code is one of `[\w.-]`, the characters of a name. */
function isNameCharacter(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 46 || code === 45
  );
}

type Groups = Record<string, string | undefined>;

function keepPrefix(...args: unknown[]): string {
  const groups = args[args.length - 1] as Groups | undefined;
  if (groups) {
    for (const prefix of Object.values(groups)) if (prefix !== undefined) return prefix + REDACTED;
  }
  return REDACTED;
}

/**
 * Redact the values after secret names. A loop over `exec`, not `replace` with a function: with named
 * groups V8 calls such a function through a slow path, and names that are not secret (`promptPath`,
 * `sort_key`) match in almost every JSON text a log writes.
 */
function redactNamedValues(text: string, pattern = NAMED_VALUES): string {
  let result: string | undefined;
  let copied = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const end = pattern.lastIndex;
    const replacement = namedValueReplacement(match, text, pattern);
    // The value is searched again (the same expression), which moves lastIndex.
    pattern.lastIndex = end;
    if (replacement !== match[0]) {
      result = `${result ?? ''}${text.slice(copied, match.index)}${replacement}`;
      copied = end;
    }
  }
  return result === undefined ? text : result + text.slice(copied);
}

function namedValueReplacement(match: RegExpExecArray, text: string, pattern: RegExp): string {
  const groups = match.groups as Groups;
  const offset = match.index;
  // Names are short: looking back (and ahead, in the pattern) a bounded distance keeps this linear.
  let start = offset;
  while (start > 0 && offset - start < MAX_NAME_PREFIX && isNameCharacter(text.charCodeAt(start - 1))) start -= 1;
  const word = groups.word ?? '';
  const name = text.slice(start, offset) + word;
  const separator = groups.json ?? groups.nested ?? groups.quoted ?? groups.escaped ?? groups.pair ?? '';
  if (isSecretKey(name) || (separator === '=' && isSecretQueryName(name))) return word + separator + REDACTED;
  // Not a secret name: the value may still hold one further on.
  const value = match[0].slice(word.length + separator.length);
  return word + separator + redactNamedValues(value, pattern);
}

/** Replace secrets recognised by their shape or by the name before them. */
export function redactPatterns(text: string): string {
  let result = text.includes('-----BEGIN ') ? text.replace(KEY_BLOCKS, REDACTED) : text;
  result = result.replace(TOKENS, keepPrefix);
  if (result.includes('://')) result = result.replace(URLS, keepPrefix);
  // Every named value has a ":" or "=" after its name.
  return result.includes('=') || result.includes(':') ? redactNamedValues(result) : result;
}

/** Whether a global expression matches somewhere in `text` (its `lastIndex` left at 0). */
export function found(pattern: RegExp, text: string): boolean {
  pattern.lastIndex = 0;
  const matched = pattern.test(text);
  pattern.lastIndex = 0;
  return matched;
}

/**
 * Whether `redactPatterns` could change a string that a JSON text holds without an escape, tested on
 * the whole text at once: such a string stands there exactly as it is, between two `"`, and no
 * pattern reads a `"` as part of a secret. Of the named values only the `name=value` forms are looked
 * for: the others need a `"` or a `\`, so in the text they only match keys with their values, which
 * `jsonHasSecretKey` judges. That saves the most: log entries are full of such matches
 * (`"promptPath":"…"`, `"key":"k0"`), and each would have to be judged. A match anywhere else in the
 * text (a key, a string with an escape) only makes the answer yes.
 */
export function plainJsonStringsMayMatch(text: string): boolean {
  if (text.includes('-----BEGIN ') && found(KEY_BLOCKS, text)) return true;
  if (found(TOKENS, text)) return true;
  if (text.includes('://') && found(URLS, text)) return true;
  return (text.includes('=') || text.includes(':')) && redactNamedValues(text, NAMED_PAIRS) !== text;
}
