/**
 * Package tarballs (`lllm pkg export`, tarball dependencies): gzip'd ustar archives, written and read
 * with Node's zlib and a small ustar codec (no native tar, no extra dependency). Reading refuses links,
 * absolute paths and `..`, so an archive can only write inside its target folder.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ConfigError } from '../errors.js';

// zlib loads when a tarball is made or read, not when @lllm/core is imported (a few ms of every start).
const zlib = () => process.getBuiltinModule('node:zlib') as typeof import('node:zlib');

const BLOCK = 512;
/** The largest archive read (packages are prompts and configs, not data sets). */
const MAX_UNPACKED_BYTES = 256 * 1024 * 1024;

function header(name: string, size: number, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new ConfigError(`Cannot archive ${name}: its path is too long for a tarball (max 255 bytes).`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  block.write(base, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** Pack `files` (paths relative to `folder`, `/`-separated) under `prefix/` into a .tgz buffer. */
export function packTarball(folder: string, files: readonly string[], prefix = 'package'): Buffer {
  const parts: Buffer[] = [];
  // A fixed mtime: the same files give the same archive.
  for (const file of [...files].sort()) {
    const data = readFileSync(join(folder, ...file.split('/')));
    parts.push(header(`${prefix}/${file}`, data.length, 0));
    parts.push(data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return zlib().gzipSync(Buffer.concat(parts), { level: 9 });
}

/** Every file under `folder`, relative and `/`-separated, leaving out dot-folders, node_modules and `skip` folders. */
export function listFiles(folder: string, skip: readonly string[] = []): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(current, entry.name);
      const rel = relative(folder, path).split(sep).join('/');
      if (skip.includes(rel)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) found.push(rel);
    }
  };
  walk(folder);
  return found;
}

const text = (block: Buffer, start: number, length: number) => {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return slice.subarray(0, end < 0 ? length : end).toString('utf8');
};

/**
 * Unpack a .tgz into `target`, dropping the single top folder (`package/` as npm writes it). Only
 * regular files and folders are written; anything else, and any path leaving `target`, is an error.
 */
export function unpackTarball(file: string, target: string): string[] {
  let data: Buffer;
  try {
    data = zlib().gunzipSync(readFileSync(file), { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch (error) {
    throw new ConfigError(
      `${file} is not a gzip'd tarball (${error instanceof Error ? error.message : String(error)}). Build one with lllm pkg export.`,
      {
        file,
        cause: error,
      },
    );
  }
  const entries: { name: string; body: Buffer }[] = [];
  for (let offset = 0; offset + BLOCK <= data.length; ) {
    const block = data.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const name = [text(block, 345, 155), text(block, 0, 100)].filter(Boolean).join('/');
    const size = Number.parseInt(text(block, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(block[156] ?? 48);
    offset += BLOCK;
    if (type === '0' || type === '\0') entries.push({ name, body: data.subarray(offset, offset + size) });
    else if (type !== '5' && type !== 'x' && type !== 'g') {
      throw new ConfigError(
        `${file}: entry "${name}" is a link or device (type ${type}); a package tarball holds only files and folders.`,
        { file },
      );
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  const tops = new Set(entries.map((entry) => entry.name.split('/')[0]));
  const strip = tops.size === 1 && entries.every((entry) => entry.name.includes('/'));
  const written: string[] = [];
  const root = resolve(target);
  for (const entry of entries) {
    const name = strip ? entry.name.slice(entry.name.indexOf('/') + 1) : entry.name;
    const path = resolve(root, name);
    if (name.startsWith('/') || !path.startsWith(`${root}${sep}`)) {
      throw new ConfigError(`${file}: entry "${entry.name}" would be written outside ${root}; refusing the tarball.`, { file });
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entry.body);
    written.push(name);
  }
  return written;
}

/** Whether `path` is a tarball by its name. */
export const isTarball = (path: string) => /\.(tgz|tar\.gz)$/i.test(path);

/** The modification time of a file in ms (0 when missing). */
export const mtimeOf = (path: string) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
};
