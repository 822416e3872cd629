// One of several processes writing the same SQLite log at once (see stores.test.ts).
import { SqliteLogStore } from '../src/sqlite-store.ts';

const [path, writer, count] = process.argv.slice(2);
const store = new SqliteLogStore({ path: path ?? '', batchSize: 50 });
for (let i = 0; i < Number(count); i++) store.write('messages', 'shared', { writer: Number(writer), i });
await store.close();
