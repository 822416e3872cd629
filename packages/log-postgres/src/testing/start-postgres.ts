// A throwaway PostgreSQL server for tests and benchmarks: initdb into a temp folder, start it on
// 127.0.0.1 on a free port (its unix socket in the same folder), stop it and remove the folder.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LllmError } from '@lllm/core';

/** Where Debian (and most Linux packages) put the server binaries: `/usr/lib/postgresql/<major>/bin`. */
const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The folder holding `initdb`, `pg_ctl` and `postgres`, or undefined when PostgreSQL is not installed. */
export function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const has = (folder: string) => ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(folder, name)));
  if (env.LLLM_POSTGRES_BIN) return has(env.LLLM_POSTGRES_BIN) ? env.LLLM_POSTGRES_BIN : undefined;
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const majors = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const folder = join(DEBIAN_ROOT, major, 'bin');
    if (has(folder)) return folder;
  }
  return undefined;
}

/** What to install when the binaries are missing (one line, for a skip notice or a CI failure). */
export const POSTGRES_MISSING =
  'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found in /usr/lib/postgresql/<major>/bin or $LLLM_POSTGRES_BIN: install them with `apt-get install postgresql`.';

/** A PostgreSQL server could not be started or stopped. */
export class PostgresServerError extends LllmError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PostgresServerError';
  }
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** The folder the throwaway cluster folder is made in (default: the system temp folder). */
  readonly dir?: string;
  /** The folder with `initdb`/`pg_ctl`/`postgres` (default: {@link findPostgresBinaries}). */
  readonly bin?: string;
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous commit). Default false: a test cluster
   * is thrown away, so it runs with `fsync=off` and `synchronous_commit=off`. Benchmarks pass true.
   */
  readonly durable?: boolean;
  /** How long to wait for the server to accept connections, in ms (default 30,000). */
  readonly startTimeoutMs?: number;
}

/** A running throwaway server. */
export interface PostgresServer {
  /** `postgres://lllm:<password>@127.0.0.1:<port>/postgres` (the password is random per server). */
  readonly url: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The cluster's folder (data, socket and server log); removed by {@link PostgresServer.stop}. */
  readonly folder: string;
  /** Stop the server (`pg_ctl stop -m fast`) and remove its folder. Safe to call twice. */
  stop(): Promise<void>;
}

interface Runner {
  run(command: string, args: readonly string[], timeoutMs: number): SpawnSyncReturns<string>;
  /** Give `path` to the user the binaries run as (nothing to do unless we are root). */
  own(path: string): void;
}

/**
 * How root runs a program as `postgres`: util-linux's runuser (in /usr/sbin, often not on a CI PATH),
 * else its setpriv.
 */
function switchUser(): string[] {
  const runuser = ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser'].find((path) => existsSync(path));
  if (runuser) return [runuser, '-u', 'postgres', '--'];
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv'].find((path) => existsSync(path));
  if (setpriv) return [setpriv, '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];
  throw new PostgresServerError(
    "PostgreSQL refuses to run as root, and neither runuser nor setpriv (util-linux) was found to run it as the postgres user: install Debian's `util-linux`, or run the tests as an ordinary user.",
  );
}

/** Postgres refuses to run as root: as root, run its binaries as the `postgres` system user. */
function runnerFor(folder: string): Runner {
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let prefix: string[] = [];
  let owner: [number, number] | undefined;
  if (asRoot) {
    const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    const uid = id('-u');
    const gid = id('-g');
    if (uid.status !== 0 || gid.status !== 0) {
      throw new PostgresServerError(
        'PostgreSQL refuses to run as root and there is no "postgres" system user to run it as: install Debian\'s `postgresql` package (it creates the user) or run the tests as an ordinary user.',
      );
    }
    owner = [Number(uid.stdout.trim()), Number(gid.stdout.trim())];
    chownSync(folder, owner[0], owner[1]);
    prefix = switchUser();
  }
  return {
    run(command, args, timeoutMs) {
      const [program, ...rest] = [...prefix, command, ...args];
      return spawnSync(program as string, rest, { cwd: folder, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    own(path) {
      if (owner) chownSync(path, owner[0], owner[1]);
    },
  };
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function serverLog(folder: string): string {
  try {
    return tail(readFileSync(join(folder, 'server.log'), 'utf8'));
  } catch {
    return '(no server log)';
  }
}

/** Stop a cluster's postmaster: `pg_ctl stop -m fast`, then `-m immediate` if that did not end it. */
function stopCluster(runner: Runner, bin: string, folder: string): void {
  const data = join(folder, 'data');
  if (!existsSync(join(data, 'postmaster.pid'))) return;
  const fast = runner.run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w', '-t', '20'], 30_000);
  if (fast.status === 0 || !existsSync(join(data, 'postmaster.pid'))) return;
  runner.run(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '10'], 15_000);
}

/**
 * Start a throwaway PostgreSQL server: `initdb` into a new temp folder (password authentication with
 * a random password for the user `lllm`), listening on 127.0.0.1 on a free port with its unix socket
 * in that folder; resolves once it accepts connections (bounded by `startTimeoutMs`). As root, the
 * binaries run as the `postgres` system user. `stop()` stops it and removes the folder; a process that
 * exits without calling it still stops the server.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = options.bin ?? findPostgresBinaries();
  if (!bin) throw new PostgresServerError(POSTGRES_MISSING);
  const folder = mkdtempSync(join(options.dir ?? tmpdir(), 'lllm-pg-'));
  chmodSync(folder, 0o700);
  let stopped = false;
  let runner: Runner | undefined;
  const cleanup = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', cleanup);
    try {
      if (runner) stopCluster(runner, bin, folder);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  };
  process.on('exit', cleanup);
  try {
    runner = runnerFor(folder);
    const user = 'lllm';
    const password = randomBytes(18).toString('base64url');
    mkdirSync(join(folder, 'socket'));
    writeFileSync(join(folder, 'password'), `${password}\n`, { mode: 0o600 });
    runner.own(join(folder, 'socket'));
    runner.own(join(folder, 'password'));
    const init = runner.run(
      join(bin, 'initdb'),
      [
        '-D',
        join(folder, 'data'),
        '-U',
        user,
        '--pwfile',
        join(folder, 'password'),
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      60_000,
    );
    rmSync(join(folder, 'password'), { force: true });
    if (init.status !== 0) {
      const output = tail(`${init.stdout}\n${init.stderr}`);
      const hint = /permission denied/i.test(output)
        ? ` The postgres user must be able to enter every folder above ${folder}: give it (or pass a \`dir\` it can reach) o+x.`
        : '';
      const spawnError = init.error ? ` ${init.error.message}.` : '';
      throw new PostgresServerError(`initdb failed (exit ${init.status ?? init.signal}):${spawnError}${hint}\n${output}`);
    }
    const settings = [
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${join(folder, 'socket')}`,
      '-c max_connections=100',
      '-c shared_buffers=64MB',
      ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ];
    const timeoutSeconds = Math.max(1, Math.ceil((options.startTimeoutMs ?? 30_000) / 1000));
    // Another process may take the free port between the check and the start: try a few ports.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const start = runner.run(
        join(bin, 'pg_ctl'),
        [
          'start',
          '-D',
          join(folder, 'data'),
          '-l',
          join(folder, 'server.log'),
          '-w',
          '-t',
          String(timeoutSeconds),
          '-o',
          [`-p ${port}`, ...settings].join(' '),
        ],
        (timeoutSeconds + 10) * 1000,
      );
      if (start.status === 0) {
        const url = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
        return {
          url,
          host: '127.0.0.1',
          port,
          user,
          password,
          folder,
          async stop() {
            cleanup();
          },
        };
      }
      const log = serverLog(folder);
      stopCluster(runner, bin, folder);
      if (attempt >= 3 || !/could not bind|Address already in use/i.test(log)) {
        throw new PostgresServerError(
          `PostgreSQL did not start within ${timeoutSeconds} s (pg_ctl exit ${start.status ?? start.signal}):\n${tail(`${start.stdout}\n${start.stderr}`)}\n${log}`,
        );
      }
    }
  } catch (error) {
    cleanup();
    throw error;
  }
}
