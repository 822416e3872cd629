// A process that writes entries to the PostgreSQL log and ends without close(): the event loop runs
// dry (or process.exitCode is set), and the queued entries must still be saved, promptly.
import { PostgresLogStore } from '../src/index.ts';

const [url, schema, count] = process.argv.slice(2);
const store = await PostgresLogStore.open({ url, schema, flushIntervalMs: 60_000, batchSize: 50_000 });
for (let i = 0; i < Number(count); i++) store.write('messages', 'exit', { i });
