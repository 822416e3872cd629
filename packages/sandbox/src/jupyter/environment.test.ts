import { registerSecret } from '@lllm/core';
import { describe, expect, test } from 'vitest';
import { isSecretEnvName, serverEnvironment } from './environment.js';

describe('kernel environment', () => {
  test('secret-looking names are recognised, the variables Jupyter and Python need are not', () => {
    const secret = [
      'OPENAI_API_KEY',
      'ANTHROPIC_API_KEY',
      'SANDBOX_WEATHER_KEY',
      'GOOGLE_APIKEY',
      'MYAPIKEYVALUE',
      'HF_TOKEN',
      'GITHUB_TOKEN',
      'LLLM_BRIDGE_TOKEN',
      'JUPYTER_TOKEN',
      'AZURE_CLIENT_SECRET',
      'DB_PASSWORD',
      'PGPASSWORD',
      'MYSQL_PWD',
      'SMTP_PASS',
      'NPM_CONFIG__AUTH',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'AZURE_STORAGE_CONNECTION_STRING',
      'SENTRY_DSN',
      'openaiApiKey',
    ];
    const kept = [
      'PATH',
      'HOME',
      'LANG',
      'LC_ALL',
      'PWD',
      'OLDPWD',
      'PYTHONPATH',
      'PYTHONUNBUFFERED',
      'JUPYTER_PATH',
      'JUPYTER_CONFIG_DIR',
      'VIRTUAL_ENV',
      'LD_LIBRARY_PATH',
      'SSL_CERT_FILE',
      'AWS_REGION',
      'AWS_CA_BUNDLE',
      'SSH_AUTH_SOCK',
      'TOKENIZERS_PARALLELISM',
      'KEYBOARD_LAYOUT',
    ];
    expect(secret.filter((name) => !isSecretEnvName(name))).toEqual([]);
    expect(kept.filter((name) => isSecretEnvName(name))).toEqual([]);
  });

  test('the inherited environment loses secrets by name and by value; env adds on purpose; options opt out', () => {
    const registered = 'registered-value-5f4e3d2c1b';
    registerSecret(registered);
    const inherited = {
      PATH: '/usr/local/bin:/usr/bin:/home/me/sk-learn-experiments-project/bin',
      HOME: '/home/me',
      LANG: 'C.UTF-8',
      PYTHONPATH: '/srv/lib',
      JUPYTER_PATH: '/srv/jupyter',
      JUPYTER_TOKEN: 'never-inherited-token',
      OPENAI_API_KEY: 'sk-test-openai-key-000000000000',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-1234567890',
      DATABASE_URL: 'postgres://me:hunter22@db.internal/app',
      PUBLIC_URL: 'https://me@example.com/path',
      INNOCENT_NAME: `prefix-${registered}`,
      UNSET: undefined,
    };
    const filtered = serverEnvironment({}, inherited);
    expect(filtered.env).toEqual({
      PATH: inherited.PATH,
      HOME: '/home/me',
      LANG: 'C.UTF-8',
      PYTHONPATH: '/srv/lib',
      JUPYTER_PATH: '/srv/jupyter',
      PUBLIC_URL: 'https://me@example.com/path',
    });
    expect(filtered.withheld).toEqual(['AWS_SECRET_ACCESS_KEY', 'DATABASE_URL', 'INNOCENT_NAME', 'OPENAI_API_KEY']);

    const given = serverEnvironment({ env: { HF_TOKEN: 'given-on-purpose', OPENAI_API_KEY: 'chosen', HOME: undefined } }, inherited);
    expect(given.env.HF_TOKEN).toBe('given-on-purpose');
    expect(given.env.OPENAI_API_KEY).toBe('chosen');
    expect('HOME' in given.env).toBe(false);
    expect(given.withheld).not.toContain('OPENAI_API_KEY');

    const everything = serverEnvironment({ inheritSecrets: true }, inherited);
    expect(everything.env.OPENAI_API_KEY).toBe(inherited.OPENAI_API_KEY);
    expect(everything.env.DATABASE_URL).toBe(inherited.DATABASE_URL);
    expect('JUPYTER_TOKEN' in everything.env).toBe(false);
    expect(everything.withheld).toEqual([]);

    const explicit = serverEnvironment({ inheritEnv: false, env: { PATH: '/usr/bin', HOME: '/tmp' } }, inherited);
    expect(explicit.env).toEqual({ PATH: '/usr/bin', HOME: '/tmp' });
  });
});
