// Which names hold secrets: object keys and header names (any case: `apiKey`, `X-Api-Key`,
// `client_secret`), environment variable names (`AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, `*_TOKEN`),
// and query parameters that carry keys (`key`, `appid`, `sig`). The same rules serve object keys
// (`isSecretKey`), the environment scan and the `name=value` patterns in text, so they never disagree.

/** `api` → `[aA][pP][iI]`: case-insensitive parts inside a case-sensitive pattern. */
function caseless(source: string): string {
  return source.replace(/[a-z]/g, (letter) => `[${letter}${letter.toUpperCase()}]`);
}

const SEP = '[-_.]?';

/** Words that make a name secret in any case, at the end of the name (`openaiApiKey`, `db_password`). */
const SECRET_WORDS = [
  `api${SEP}key`,
  `app${SEP}key`,
  `secret`,
  `secret${SEP}key`,
  `access${SEP}key`,
  `private${SEP}key`,
  `account${SEP}key`,
  `signing${SEP}key`,
  `encryption${SEP}key`,
  `master${SEP}key`,
  `shared${SEP}access${SEP}(?:key|signature)`,
  `password`,
  `passwd`,
  `passphrase`,
  `[-_]pwd`,
  `(?:access|refresh|auth|session|bearer|api|id|oauth|csrf|xsrf|security|bot|personal${SEP}access)${SEP}token`,
  `authorization`,
  `cookie`,
  `credentials?`,
  `connection${SEP}string`,
  `client${SEP}secret`,
];

/** The name part of `name=value` or `"name": "value"` that marks a secret in any case. */
export const SECRET_NAME_SOURCE = `[\\w.-]*?${caseless(`(?:${SECRET_WORDS.join('|')})`)}`;

/**
 * Environment-style names (upper case with underscores): `*_KEY`, `*_SECRET*`, `*_TOKEN`,
 * `*PASSWORD*`, `*PASSWD*`, `*_PAT`, `*_CREDENTIALS`, `*_PWD`, `*_PASS`, `*_AUTH`, `*_WEBHOOK*`.
 */
export const SECRET_ENV_NAME_SOURCE =
  '[A-Z0-9_]*(?:_KEY|SECRET[A-Z0-9_]*|_TOKEN|PASSWORD[A-Z0-9_]*|PASSWD[A-Z0-9_]*|_PAT|_CREDENTIALS?|_PWD|_PASS|_AUTH|WEBHOOK[A-Z0-9_]*)';

const SECRET_NAME = new RegExp(`^(?:${SECRET_NAME_SOURCE})$`);
const SECRET_ENV_NAME = new RegExp(`^(?:${SECRET_ENV_NAME_SOURCE})$`);
/** Query parameters that carry keys: secret as `name=value`, though as object keys they are often not. */
const SECRET_QUERY_NAME = /^(?:key|appid|sig|signature|token|x-amz-signature|x-amz-security-token)$/i;

/**
 * Whether values under this object key, header or variable name are secret: `apiKey`, `x-api-key`,
 * `Authorization`, `client_secret`, `db_password`, `accessToken`, `AWS_SECRET_ACCESS_KEY`,
 * `PGPASSWORD`, `GITHUB_PAT`, … (`token`, `key` and `max_tokens` alone are not).
 */
export function isSecretKey(name: string): boolean {
  let secret = decided.get(name);
  if (secret === undefined) {
    secret = SECRET_NAME.test(name) || SECRET_ENV_NAME.test(name);
    if (decided.size >= 10_000) decided.clear();
    decided.set(name, secret);
  }
  return secret;
}

/** Names already decided: the same few keys come again in every object a log or cache writes. */
const decided = new Map<string, boolean>();

/**
 * Every secret name ends with one of these words, in any case, or holds SECRET, PASSWORD, PASSWD or
 * WEBHOOK followed by more of an environment name (see `SECRET_WORDS` and `SECRET_ENV_NAME_SOURCE`);
 * in JSON text a key ends with `":`. Finds the end of each key that could be secret, so that
 * `jsonHasSecretKey` decides only those keys (`inputTokens` and `promptPath` are not even looked at).
 */
const SECRET_KEY_END =
  /(?:key|secret|pass(?:w(?:or)?d|phrase)?|pwd|token|auth(?:orization)?|cookie|credentials?|string|signature|pat|(?:secret|passw(?:or)?d|webhook)\w*)":/gi;

/**
 * Whether a JSON text (as `JSON.stringify` writes it: no space before a colon) has an object key that
 * `isSecretKey` calls secret. It may say yes for a key that only looks like one (a key holding an
 * escaped quote); it never says no for a secret one. A `"` followed by `:` closes a key, never a
 * string value, so only keys are looked at.
 */
export function jsonHasSecretKey(text: string): boolean {
  SECRET_KEY_END.lastIndex = 0;
  for (let match = SECRET_KEY_END.exec(text); match !== null; match = SECRET_KEY_END.exec(text)) {
    const end = match.index + match[0].length - 2;
    const start = text.lastIndexOf('"', match.index) + 1;
    if (isSecretKey(text.slice(start, end))) {
      SECRET_KEY_END.lastIndex = 0;
      return true;
    }
  }
  return false;
}

/** Whether a query parameter with this name carries a key (`key=`, `appid=`, `sig=`, `token=`). */
export function isSecretQueryName(name: string): boolean {
  return SECRET_QUERY_NAME.test(name);
}
