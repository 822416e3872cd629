import { InvalidArgumentError } from './errors.js';

/** Image types providers accept, by their magic bytes. */
export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';

/**
 * The media type of base64 image data (a `data:` URL prefix is allowed), read from its magic
 * bytes. Anything that is not PNG, JPEG, WebP or GIF is an `InvalidArgumentError`.
 */
export function detectImageType(base64: string): ImageMediaType {
  const data = base64.replace(/^data:[^,]*,/, '').trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(data)) {
    throw new InvalidArgumentError(
      `Image data is not base64 (starts with ${JSON.stringify(data.slice(0, 16))}). Pass the file's bytes encoded with Buffer.from(bytes).toString("base64").`,
      { argument: 'base64' },
    );
  }
  const bytes = Buffer.from(data.slice(0, 24), 'base64');
  const starts = (...signature: number[]) => signature.every((byte, index) => bytes[index] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  const head = [...bytes.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  throw new InvalidArgumentError(
    `Image data is not PNG, JPEG, WebP or GIF (first bytes: ${head || 'none'}). Convert the image to one of those formats before sending it.`,
    { argument: 'base64' },
  );
}
