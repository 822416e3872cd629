// One of four processes writing one log at once (log.bench.ts).
import { Message } from '@lllm/core';
import { JsonlLogStore, SqliteLogStore } from '@lllm/log';

const [kind, directory, writer, count] = process.argv.slice(2);
const message = new Message({ role: 'assistant', content: 'The answer is 42. '.repeat(8), creator: 'bench' }).toJSON();
const store = kind === 'sqlite' ? new SqliteLogStore({ directory: directory ?? '.' }) : new JsonlLogStore({ directory: directory ?? '.' });
const session = kind === 'sqlite' ? 'shared' : `shared-${writer}`;
for (let i = 0; i < Number(count); i++)
  store.write('messages', session, { writer: Number(writer), i, message: message as unknown as Record<string, unknown> });
await store.close();
