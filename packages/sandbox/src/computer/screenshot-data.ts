import type { Screenshot } from './browser.js';

/** A screenshot as the Responses API takes it: a PNG `data:` URL. */
export function dataUrl(screenshot: Screenshot): string {
  return `data:image/png;base64,${screenshot.png.toString('base64')}`;
}

function pngSize(head: Buffer): { width: number; height: number } | undefined {
  if (head.length < 24 || head.readUInt32BE(0) !== 0x89504e47 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** What stands in a log for a screenshot: `[screenshot 800×600, 51234 bytes]`. */
export function screenshotLabel(screenshot: Screenshot): string {
  const size = pngSize(screenshot.png);
  const label = size
    ? `[screenshot ${size.width}×${size.height}, ${screenshot.png.length} bytes]`
    : `[image, ${screenshot.png.length} bytes]`;
  return screenshot.stale ? `${label} (stale)` : label;
}

const DATA_URL = /^data:([\w.+/-]+);base64,/;

/** A copy of `value` with every base64 data URL replaced by a short label: logs never hold megabytes of images. */
export function withoutImages(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = DATA_URL.exec(value);
    if (!match) return value;
    const data = value.slice(match[0].length);
    const bytes = Math.floor((data.length * 3) / 4) - (data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0);
    const size = pngSize(Buffer.from(data.slice(0, 32), 'base64'));
    return size ? `[screenshot ${size.width}×${size.height}, ${bytes} bytes]` : `[image ${match[1]}, ${bytes} bytes]`;
  }
  if (Array.isArray(value)) return value.map(withoutImages);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutImages(item)]));
  }
  return value;
}
