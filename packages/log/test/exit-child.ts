// A process that writes log entries and ends without closing its store (see stores.test.ts): the
// entries still queued, or still with the SQLite writer thread, must be on disk afterwards.
// `signal`: the entries stay queued (a long flush window) until the parent sends SIGINT or SIGTERM.
import { JsonlLogStore } from '../src/jsonl-store.ts';
import { SqliteLogStore } from '../src/sqlite-store.ts';

const [kind, directory, how, count] = process.argv.slice(2);
const options = how === 'signal' ? { flushIntervalMs: 600_000, batchSize: 1_000_000 } : {};
const store =
  kind === 'sqlite'
    ? new SqliteLogStore({ directory: directory ?? '', ...options })
    : new JsonlLogStore({ directory: directory ?? '', ...options });
const total = Number(count);
const half = Math.floor(total / 2);
for (let i = 0; i < half; i++) store.write('messages', 'exit', { i });
// Let the first half go to the writer (thread) before the rest is queued.
await new Promise((resolve) => setTimeout(resolve, 60));
for (let i = half; i < total; i++) store.write('messages', 'exit', { i });
if (how === 'exit') process.exit(0);
if (how === 'throw') throw new Error('planned crash after writing');
if (how === 'signal') {
  process.stdout.write('ready\n');
  // Stay alive until the signal comes (bounded, in case it never does).
  setTimeout(() => process.exit(3), 20_000);
}
// 'end': the event loop simply runs dry.
