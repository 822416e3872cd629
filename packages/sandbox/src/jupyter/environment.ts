import { knownSecrets } from '@lllm/core';

/** Words that make a variable name secret when they are one of its `_`-separated parts (`HF_TOKEN`, `AWS_SECRET_ACCESS_KEY`). */
const SECRET_WORDS = new Set([
  'KEY',
  'KEYS',
  'APIKEY',
  'APIKEYS',
  'TOKEN',
  'TOKENS',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWORDS',
  'PASSWD',
  'PASSPHRASE',
  'CREDENTIAL',
  'CREDENTIALS',
  'CREDS',
  'AUTHORIZATION',
  'COOKIE',
  'COOKIES',
  'DSN',
]);

/** Words that are secret only as the last part of a longer name (`MYSQL_PWD`, `SMTP_PASS`, `NPM_CONFIG__AUTH`; not `PWD`). */
const SECRET_LAST_WORDS = new Set(['PWD', 'PASS', 'AUTH']);

/** Secret spellings glued to other words (`PGPASSWORD`, `OPENAIAPIKEY`, `AZURE_STORAGE_CONNECTION_STRING`). */
const SECRET_GLUED = /APIKEY|API_KEY|ACCESSKEY|SECRETKEY|PRIVATEKEY|(?:PASSWORD|PASSWD|SECRET|TOKEN)$|CONNECTION_?STRING$/;

/** A URL carrying a password (`postgres://user:pass@host/db`, `http://user:pass@proxy:3128`). */
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i;

/**
 * Whether an environment variable's name says it holds a secret: `*_API_KEY`, `*_KEY`, `*_TOKEN`,
 * `*_SECRET`, `*_PASSWORD`, `*APIKEY*`, AWS credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`), `LLLM_BRIDGE_TOKEN`, `JUPYTER_TOKEN`, … Names such as `PATH`, `HOME`, `LANG`,
 * `PYTHONPATH`, `AWS_REGION`, `TOKENIZERS_PARALLELISM` or `SSL_CERT_FILE` are not.
 */
export function isSecretEnvName(name: string): boolean {
  // camelCase parts count as words too (`openaiApiKey`).
  const upper = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
  if (SECRET_GLUED.test(upper)) return true;
  const words = upper.split(/[^A-Z0-9]+/).filter((word) => word.length > 0);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  const last = words[words.length - 1];
  return words.length > 1 && last !== undefined && SECRET_LAST_WORDS.has(last);
}

/** How the environment of a Jupyter server (and so of its kernels) is built. */
export interface ServerEnvironmentOptions {
  /**
   * Variables set on top of the inherited ones, passed as given: secret-looking names included, so
   * naming a variable here is how a key reaches the kernels on purpose. `undefined` removes an
   * inherited variable.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from this process's environment (default `true`); `false`: the server gets only `env`. */
  readonly inheritEnv?: boolean;
  /**
   * Also inherit variables that look secret (see `isSecretEnvName`) and variables whose value holds a
   * registered secret or a URL password. Default `false`: kernels run code a model wrote, and that
   * code can read every variable it is given.
   */
  readonly inheritSecrets?: boolean;
}

/** The environment for a Jupyter server, and the names of the inherited variables that were withheld. */
export function serverEnvironment(
  options: ServerEnvironmentOptions,
  inherited: NodeJS.ProcessEnv = process.env,
): { env: Record<string, string>; withheld: string[] } {
  const env: Record<string, string> = {};
  const withheld: string[] = [];
  if (options.inheritEnv !== false) {
    const secrets = options.inheritSecrets ? [] : knownSecrets();
    for (const [name, value] of Object.entries(inherited)) {
      // The server's token lives in a private config file; an inherited JUPYTER_TOKEN would fight it.
      if (value === undefined || name === 'JUPYTER_TOKEN') continue;
      if (!options.inheritSecrets && looksSecret(name, value, secrets)) {
        withheld.push(name);
        continue;
      }
      env[name] = value;
    }
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return { env, withheld: withheld.filter((name) => !(name in env)).sort() };
}

function looksSecret(name: string, value: string, secrets: readonly string[]): boolean {
  if (isSecretEnvName(name)) return true;
  // Key-shaped patterns are not applied to values: a PATH entry like `~/sk-learn-experiments` would match.
  return URL_WITH_PASSWORD.test(value) || secrets.some((secret) => value.includes(secret));
}
