import type { McpToolResult } from './types.js';

/** How many bytes a base64 string encodes (without decoding it). */
export function base64ByteLength(data: string): number {
  const clean = data.replace(/\s+/g, '');
  if (clean.length === 0) return 0;
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

/**
 * The text a model sees for an MCP tool result: text blocks as they are, images and audio as
 * `[image image/png, 1234 bytes]`, embedded resources as `[resource <uri>]` followed by their text
 * (binary ones summarised), resource links as `[resource link <uri>: <name>]`, and
 * `structuredContent` as JSON when there is no text. Blocks are separated by new lines.
 */
export function formatMcpResult(result: McpToolResult): string {
  const parts: string[] = [];
  let hasText = false;
  for (const block of result.content ?? []) {
    const item = block as unknown as Record<string, unknown>;
    switch (item.type) {
      case 'text':
        hasText = true;
        parts.push(String(item.text ?? ''));
        break;
      case 'image':
      case 'audio':
        parts.push(`[${item.type} ${String(item.mimeType ?? 'unknown type')}, ${base64ByteLength(String(item.data ?? ''))} bytes]`);
        break;
      case 'resource': {
        const resource = (item.resource ?? {}) as Record<string, unknown>;
        const mimeType = typeof resource.mimeType === 'string' ? `, ${resource.mimeType}` : '';
        if (typeof resource.text === 'string') {
          hasText = true;
          parts.push(`[resource ${String(resource.uri)}${mimeType}]\n${resource.text}`);
        } else {
          const size = typeof resource.blob === 'string' ? `, ${base64ByteLength(resource.blob)} bytes` : '';
          parts.push(`[resource ${String(resource.uri)}${mimeType}${size}]`);
        }
        break;
      }
      case 'resource_link': {
        const label = [item.title ?? item.name, item.description].filter((value) => typeof value === 'string' && value).join(' — ');
        const mimeType = typeof item.mimeType === 'string' ? ` (${item.mimeType})` : '';
        parts.push(`[resource link ${String(item.uri)}${mimeType}${label ? `: ${label}` : ''}]`);
        break;
      }
      default:
        parts.push(`[${String(item.type)} content]`);
    }
  }
  if (!hasText && result.structuredContent !== undefined) parts.unshift(JSON.stringify(result.structuredContent));
  return parts.length > 0 ? parts.join('\n') : '(the tool returned no content)';
}

/** The text of the text blocks of a result (for error messages), or its formatted form when it has none. */
export function mcpResultText(result: McpToolResult): string {
  const texts = (result.content ?? [])
    .filter((block): block is { type: 'text'; text: string } => block.type === 'text')
    .map((block) => block.text)
    .filter(Boolean);
  return texts.length > 0 ? texts.join('\n') : formatMcpResult(result);
}
