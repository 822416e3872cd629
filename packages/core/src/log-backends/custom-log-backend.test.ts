import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadSystemConfig } from '../config/system-config.js';
import { getDiscoverySection } from '../discovery-sections.js';
import { ConfigError } from '../errors.js';
import { createLogStore, listLogBackends, MemoryLogStore } from '../log-store.js';
import {
  checkLogOptions,
  defineLogBackend,
  isLogBackendDefinition,
  registerCustomLogBackend,
  registerLogBackendDiscovery,
} from './custom-log-backend.js';

const folder = mkdtempSync(join(tmpdir(), 'lllm-custom-log-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const received: unknown[] = [];
const capped = defineLogBackend({
  type: 'capped-test',
  options: z.object({ capacity: z.number().int().positive(), label: z.string().default('main') }).strict(),
  create(config) {
    received.push(config);
    return new MemoryLogStore();
  },
});

describe('custom log backends', () => {
  it('check log_options with the backend schema and pass the parsed value (defaults applied) to create', async () => {
    registerCustomLogBackend(capped);
    expect(listLogBackends()).toContain('capped-test');
    const store = await createLogStore({ type: 'capped-test', directory: '/logs', options: { capacity: 5 } });
    expect(store.type).toBe('memory');
    expect(received).toEqual([{ type: 'capped-test', directory: '/logs', options: { capacity: 5, label: 'main' } }]);
  });

  it('never quote a secret among the options in the error', async () => {
    const error = await createLogStore({ type: 'capped-test', options: { capacity: 1, password: 'hunter2-very-secret' } }).catch(
      (caught) => caught,
    );
    expect(error.message).toContain('password');
    expect(error.message).not.toContain('hunter2-very-secret');
  });

  it('refuse bad log_options with a ConfigError listing each problem by key path, before create runs', async () => {
    received.length = 0;
    const error = await createLogStore({ type: 'capped-test', options: { capacity: 'ten', colour: 'red' } }).catch((caught) => caught);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(error.message).toContain('log_options for log_type "capped-test" has 2 problems');
    expect(error.problems[0]).toMatch(/^log_options\.capacity: /);
    expect(error.problems[1]).toMatch(/colour/);
    expect(error.message).toContain('{"capacity":"ten","colour":"red"}');
    expect(received).toEqual([]);
    expect(() => checkLogOptions('capped-test', {})).toThrow('log_options.capacity');
    expect(checkLogOptions('not-registered', { any: 1 })).toEqual({ any: 1 });
  });

  it('the [log_backends] discovery section registers every definition a module exports', async () => {
    registerLogBackendDiscovery();
    registerLogBackendDiscovery();
    const handler = getDiscoverySection('log_backends');
    expect(handler).toBeDefined();
    const other = defineLogBackend({ type: 'discovered-test', create: () => new MemoryLogStore() });
    expect(isLogBackendDefinition(other)).toBe(true);
    expect(isLogBackendDefinition({ type: 'x', create: () => new MemoryLogStore() })).toBe(false);
    await handler?.({ other, unrelated: 42 }, { section: 'log_backends', file: 'x.ts', folder: '.', modulePath: 'x' });
    expect(listLogBackends()).toContain('discovered-test');
    expect((await createLogStore({ type: 'discovered-test', options: { free: 'form' } })).type).toBe('memory');
  });

  it('a system config carries log_options as a mapping, and refuses anything else naming the key', () => {
    mkdirSync(join(folder, 'config', 'sys'), { recursive: true });
    const file = join(folder, 'config', 'sys', 'default.yaml');
    const base = 'name: sys\nagent_type: single\nagent_configs: {}\nlog_type: capped-test\n';
    writeFileSync(file, `${base}log_options:\n  capacity: 3\n`);
    expect(loadSystemConfig(file).log_options).toEqual({ capacity: 3 });
    writeFileSync(file, base);
    expect(loadSystemConfig(file).log_options).toEqual({});
    writeFileSync(file, `${base}log_options: [1, 2]\n`);
    expect(() => loadSystemConfig(file)).toThrow(/log_options/);
  });
});
