import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDirectory } from './directories.js';
import { ConfigError } from './errors.js';

const root = mkdtempSync(join(tmpdir(), 'lllm-dirs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ensureDirectory', () => {
  it('creates missing parents with the mode asked for', () => {
    const target = join(root, 'a', 'b', 'c');
    expect(ensureDirectory(target, { setting: 'log_dir', mode: 0o700 })).toBe(target);
    expect(statSync(join(root, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(ensureDirectory(target, { setting: 'log_dir' })).toBe(target);
  });

  it('names the file a folder would sit under', () => {
    writeFileSync(join(root, 'file'), '');
    const error = (() => {
      try {
        ensureDirectory(join(root, 'file', 'logs'), { setting: 'log_dir' });
      } catch (caught) {
        return caught;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`${join(root, 'file')} is a file`);
  });

  it('refuses a dangling link in the way', () => {
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    expect(() => ensureDirectory(join(root, 'dangling'), { setting: '--dir' })).toThrow(
      /--dir .* in the way \(it is a file or a dangling link\)/,
    );
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
  });

  it('fails at once under /proc, where a recursive mkdir spins forever', () => {
    const started = Date.now();
    expect(() => ensureDirectory('/proc/lllm-test/logs', { setting: 'log_dir' })).toThrow(
      /log_dir "\/proc\/lllm-test\/logs" cannot be created: \/proc does not accept new folders/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
