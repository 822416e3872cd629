// The LogStore contract every store passes (sqlite, jsonl, localfile here; PostgreSQL in
// @lllm/log-postgres; yours): write order within a millisecond, session listing and deletion,
// snapshots at write time, persistence across reopening, and secrets never stored.
import type { LogStore } from '@lllm/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** How the contract suite makes, reopens and inspects the store under test. */
export interface LogStoreContractSubject {
  /** A new, empty place for a store: a folder, a database schema name, … */
  place(): string | Promise<string>;
  /** Open a store at `place` (called again on the same place to test persistence). */
  open(place: string): LogStore | Promise<LogStore>;
  /**
   * Everything the store kept at `place`, as text (the bytes of its files, the rows of its tables),
   * read after the store was closed: the secrets check searches it.
   */
  storedText(place: string): string | Promise<string>;
}

/**
 * Declare the contract tests (Vitest) for one store: `describe(`${name} store`)` with one test per
 * promise of core's `LogStore`. Call it at the top level of a test file.
 */
export function describeLogStoreContract(name: string, subject: LogStoreContractSubject): void {
  describe(`${name} store`, () => {
    let store: LogStore;
    let place: string;
    beforeEach(async () => {
      place = await subject.place();
      store = await subject.open(place);
    });
    afterEach(() => store.close());

    it('keeps write order within the same millisecond, per collection and session', async () => {
      for (let i = 0; i < 500; i++) store.write('messages', 's1', { i });
      store.write('frontend', 's1', { type: 'write', text: 'hi' });
      const entries = await store.read('messages', 's1');
      expect(entries.map((entry) => entry.data.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(new Set(entries.map((entry) => entry.time)).size).toBeLessThan(500);
      const sequences = entries.map((entry) => entry.sequence);
      expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
      expect(await store.read('frontend', 's1')).toHaveLength(1);
      expect(await store.read('dialogs', 's1')).toEqual([]);
      expect(await store.read('messages', 's1', { limit: 3 })).toHaveLength(3);
    });

    it('lists sessions newest first, then limits; filters by prefix and time; deletes', async () => {
      store.write('messages', 'run-a', { n: 1 });
      await store.flush();
      await new Promise((resolve) => setTimeout(resolve, 15));
      const middle = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 15));
      store.write('messages', 'run-b', { n: 2 });
      store.write('dialogs', 'other/x y', { n: 3 });
      const all = (await store.sessions()).map((info) => info.session);
      expect(all.at(-1)).toBe('run-a');
      expect([...all].sort()).toEqual(['other/x y', 'run-a', 'run-b']);
      expect((await store.sessions({ limit: 1 })).map((info) => info.session)).toEqual([all[0]]);
      expect((await store.sessions({ prefix: 'run-' })).map((info) => info.session)).toEqual(['run-b', 'run-a']);
      expect((await store.sessions({ prefix: 'run-', since: middle })).map((info) => info.session)).toEqual(['run-b']);
      expect((await store.sessions({ until: middle })).map((info) => info.session)).toEqual(['run-a']);
      const info = (await store.sessions({ prefix: 'run-a' }))[0];
      expect(info?.entries).toBe(1);
      await store.deleteSession('run-a');
      expect((await store.sessions({ prefix: 'run-' })).map((item) => item.session)).toEqual(['run-b']);
      expect(await store.read('messages', 'run-a')).toEqual([]);
    });

    it('logs an entry as it was when written, whatever happens to the object afterwards', async () => {
      const data = { step: { text: 'as written' }, list: [1] };
      store.write('messages', 'snapshot', data);
      data.step.text = 'changed later';
      data.list.push(2);
      expect((await store.read('messages', 'snapshot'))[0]?.data).toEqual({ step: { text: 'as written' }, list: [1] });
    });

    it('persists across reopening', async () => {
      store.write('messages', 'kept', { value: 'x' });
      await store.close();
      store = await subject.open(place);
      expect((await store.read('messages', 'kept'))[0]?.data).toEqual({ value: 'x' });
    });

    it('never stores a secret: keys under secret names, bearer tokens, provider keys in text', async () => {
      const planted = 'sk-proj-PLANTEDcontractKEY1234567890abcdef';
      store.write('messages', 'secrets', {
        message: { role: 'user', content: `my key is ${planted}` },
        raw: { request: { headers: { authorization: `Bearer ${planted}`, 'x-api-key': planted } } },
      });
      store.write('frontend', 'secrets', { type: 'write', text: `Authorization: Bearer ${planted}`, apiKey: planted });
      const read = JSON.stringify([...(await store.read('messages', 'secrets')), ...(await store.read('frontend', 'secrets'))]);
      expect(read).toContain('[REDACTED]');
      expect(read).not.toContain('PLANTEDcontract');
      await store.close();
      const stored = await subject.storedText(place);
      expect(stored).toContain('[REDACTED]');
      expect(stored).not.toContain('PLANTEDcontract');
      store = await subject.open(place);
    });
  });
}
