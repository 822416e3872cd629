import type { JsonSchema } from '@lllm/core';

/** The name, version and title an MCP server (or client) reports about itself. */
export interface McpImplementation {
  /** The program name, e.g. `mcp-servers/everything`. */
  readonly name: string;
  /** Its version, e.g. `2.0.0`. */
  readonly version: string;
  /** A display name, when the server gives one. */
  readonly title?: string;
}

/** A tool an MCP server offers, as `tools/list` describes it. */
export interface McpTool {
  /** The tool's name on the server (MCP allows `.` and `/`, which agent tool names do not). */
  readonly name: string;
  /** A display name, when the server gives one. */
  readonly title?: string;
  /** What the tool does. */
  readonly description?: string;
  /** JSON schema of the arguments object. */
  readonly inputSchema: JsonSchema;
  /** JSON schema of `structuredContent`, when the tool declares one (the SDK checks results against it). */
  readonly outputSchema?: JsonSchema;
  /** Hints such as `readOnlyHint` or `destructiveHint`; advisory only. */
  readonly annotations?: Readonly<Record<string, unknown>>;
  /**
   * Whether the tool runs as an MCP task: `required` tools cannot be called with a plain
   * `tools/call`, so `asTools()` and `asProxy()` leave them out.
   */
  readonly taskSupport?: 'forbidden' | 'optional' | 'required';
}

/** A text block of a tool result. */
export interface McpTextContent {
  readonly type: 'text';
  readonly text: string;
}

/** An image or audio block: base64 `data` of `mimeType`. */
export interface McpMediaContent {
  readonly type: 'image' | 'audio';
  /** Base64-encoded bytes. */
  readonly data: string;
  readonly mimeType: string;
}

/** A resource embedded in a tool result: text or base64 `blob`. */
export interface McpEmbeddedResource {
  readonly type: 'resource';
  readonly resource: {
    readonly uri: string;
    readonly mimeType?: string;
    readonly text?: string;
    /** Base64-encoded bytes. */
    readonly blob?: string;
  };
}

/** A link to a resource the server can read (`resources/read`). */
export interface McpResourceLink {
  readonly type: 'resource_link';
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** One block of a tool result's `content`. */
export type McpContentBlock = McpTextContent | McpMediaContent | McpEmbeddedResource | McpResourceLink;

/** What a successful `tools/call` returned. */
export interface McpToolResult {
  /** Content blocks, in the server's order (text, images, resources, links). */
  readonly content: readonly McpContentBlock[];
  /** A JSON object matching the tool's `outputSchema`, when it has one. */
  readonly structuredContent?: Readonly<Record<string, unknown>>;
  /** Always false or absent here: error results are thrown as `ProxyError`s. */
  readonly isError?: boolean;
}
