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
  return SECRET_NAME.test(name) || SECRET_ENV_NAME.test(name);
}

/** Whether a query parameter with this name carries a key (`key=`, `appid=`, `sig=`, `token=`). */
export function isSecretQueryName(name: string): boolean {
  return SECRET_QUERY_NAME.test(name);
}
