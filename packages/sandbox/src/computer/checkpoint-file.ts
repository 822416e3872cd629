import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { redactSecrets } from '@lllm/core';

/** Mode of every file the computer-use agent writes: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every folder it creates: owner only. */
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Screenshots (`data:` URLs) and opaque payloads (`encrypted_content`) hold no text to redact, and must survive byte for byte. */
const OPAQUE_KEYS = new Set(['encrypted_content']);
const DATA_URL = /^data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=]*$/i;

/**
 * A copy of a checkpoint with core's redaction applied (registered secrets, `*_API_KEY`-style
 * environment values, key-shaped strings, secret-named fields), except for screenshots and
 * encrypted payloads: redaction patterns could match inside base64 by chance and corrupt them.
 */
export function redactCheckpoint<T>(value: T): T {
  // Markers carry a random nonce, so no string of the checkpoint can pose as one.
  const nonce = randomBytes(8).toString('hex');
  const kept = new Map<string, string>();
  const protect = (item: unknown, key: string | undefined): unknown => {
    if (typeof item === 'string') {
      if ((key !== undefined && OPAQUE_KEYS.has(key)) || (item.startsWith('data:image/') && DATA_URL.test(item))) {
        const marker = `lllm-opaque-${nonce}-${kept.size}`;
        kept.set(marker, item);
        return marker;
      }
      return item;
    }
    if (Array.isArray(item)) return item.map((entry) => protect(entry, undefined));
    if (item && typeof item === 'object') {
      return Object.fromEntries(Object.entries(item).map(([name, entry]) => [name, protect(entry, name)]));
    }
    return item;
  };
  const restore = (item: unknown): unknown => {
    if (typeof item === 'string') {
      return kept.get(item) ?? item;
    }
    if (Array.isArray(item)) return item.map(restore);
    if (item && typeof item === 'object') return Object.fromEntries(Object.entries(item).map(([name, entry]) => [name, restore(entry)]));
    return item;
  };
  return restore(redactSecrets(protect(value, undefined))) as T;
}

/** Create `directory` and its missing parents with mode 0700 (a folder that already exists keeps its mode). */
export async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/**
 * Write `text` to `path` atomically with mode 0600: a temporary file created 0600 (never readable by
 * others, not even for a moment), flushed, then renamed over the old file (whose mode does not carry over).
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(text, 'utf8');
    // umask can only remove bits, but a file system may ignore the create mode: set it explicitly.
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
}

/** Redact a checkpoint and write it privately (folder 0700, file 0600). */
export async function writeCheckpointFile(directory: string, path: string, checkpoint: unknown): Promise<void> {
  await ensurePrivateDirectory(directory);
  await writePrivateFile(path, `${JSON.stringify(redactCheckpoint(checkpoint))}\n`);
}
