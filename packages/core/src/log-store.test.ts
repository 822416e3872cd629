import { describe, expect, it } from 'vitest';
import { createLogStore, type LogEntry, type LogStore, listLogBackends, MemoryLogStore, registerLogBackend } from './log-store.js';

describe('log backends', () => {
  it('create built-in stores by name and list registered ones on a miss', async () => {
    expect((await createLogStore({ type: 'none' })).type).toBe('none');
    expect((await createLogStore({ type: 'memory' })).type).toBe('memory');
    await expect(createLogStore({ type: 'memroy' })).rejects.toThrow('Unknown log_type "memroy". Registered backends: "none", "memory"');
  });

  it('plug in a custom backend by name with no change to core', async () => {
    const written: string[] = [];
    class ListStore extends MemoryLogStore implements LogStore {
      override write(...args: Parameters<MemoryLogStore['write']>): void {
        written.push(`${args[0]}:${args[1]}`);
        super.write(...args);
      }
    }
    registerLogBackend('list-test', (config) => {
      expect(config.options).toEqual({ shard: 3 });
      return new ListStore();
    });
    expect(listLogBackends()).toContain('list-test');
    const store = await createLogStore({ type: 'list-test', options: { shard: 3 } });
    store.write('messages', 'sess', { a: 1 });
    expect(written).toEqual(['messages:sess']);
    expect(() => registerLogBackend('bad name!', () => new MemoryLogStore())).toThrow('not valid');
  });

  it('memory store lists sessions newest first, filters, limits, deletes and redacts', async () => {
    const store = new MemoryLogStore();
    store.write('messages', 'alpha-1', { apiKey: 'secret-value-xyz' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    store.write('messages', 'alpha-2', { n: 2 });
    store.write('frontend', 'beta', { n: 3 });
    expect((await store.sessions()).map((s) => s.session)).toEqual(['beta', 'alpha-2', 'alpha-1']);
    expect((await store.sessions({ prefix: 'alpha', limit: 1 })).map((s) => s.session)).toEqual(['alpha-2']);
    const [entry] = (await store.read('messages', 'alpha-1')) as LogEntry[];
    expect(entry?.data.apiKey).toBe('[REDACTED]');
    await store.deleteSession('alpha-1');
    expect((await store.sessions()).map((s) => s.session)).toEqual(['beta', 'alpha-2']);
  });
});
