import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { SandboxError } from '../errors.js';

/** A MIME bundle: `text/plain`, `text/html`, `image/png` (base64), `application/json`, … */
export type MimeBundle = Record<string, unknown>;

/** Text written to stdout or stderr. */
export interface StreamOutput {
  readonly output_type: 'stream';
  readonly name: 'stdout' | 'stderr';
  readonly text: string;
}

/** The value of the cell's last expression. */
export interface ExecuteResultOutput {
  readonly output_type: 'execute_result';
  readonly execution_count: number | null;
  readonly data: MimeBundle;
  readonly metadata: Record<string, unknown>;
}

/** Rich output shown with `display(...)` (HTML, images, …). */
export interface DisplayDataOutput {
  readonly output_type: 'display_data';
  readonly data: MimeBundle;
  readonly metadata: Record<string, unknown>;
}

/** An exception raised by the cell. */
export interface ErrorOutput {
  readonly output_type: 'error';
  readonly ename: string;
  readonly evalue: string;
  readonly traceback: readonly string[];
}

/** One nbformat-4 output. */
export type CellOutput = StreamOutput | ExecuteResultOutput | DisplayDataOutput | ErrorOutput;

/** A code cell. */
export interface CodeCell {
  readonly cell_type: 'code';
  readonly id: string;
  readonly source: string;
  readonly metadata: Record<string, unknown>;
  readonly execution_count: number | null;
  readonly outputs: readonly CellOutput[];
}

/** A markdown cell. */
export interface MarkdownCell {
  readonly cell_type: 'markdown';
  readonly id: string;
  readonly source: string;
  readonly metadata: Record<string, unknown>;
}

/** A raw cell (kept as found in loaded notebooks). */
export interface RawCell {
  readonly cell_type: 'raw';
  readonly id: string;
  readonly source: string;
  readonly metadata: Record<string, unknown>;
}

/** A notebook cell; `source` and output text are plain strings in memory (split into lines on disk). */
export type NotebookCell = CodeCell | MarkdownCell | RawCell;

/** An nbformat 4.5 notebook. */
export interface NotebookDocument {
  readonly nbformat: 4;
  readonly nbformat_minor: number;
  readonly metadata: Record<string, unknown>;
  readonly cells: readonly NotebookCell[];
}

/** A fresh nbformat cell id (8 hex characters, as Jupyter makes them). */
export function newCellId(): string {
  return randomBytes(4).toString('hex');
}

/** The default notebook metadata for a Python 3 kernel. */
export function pythonNotebookMetadata(kernelName = 'python3', displayName = 'Python 3 (ipykernel)'): Record<string, unknown> {
  return {
    kernelspec: { name: kernelName, display_name: displayName, language: 'python' },
    language_info: { name: 'python' },
  };
}

// nbformat stores multi-line strings as lists of lines; Jupyter splits these MIME types.
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
    lines.push(text.slice(start, end + 1));
    start = end + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

function joinText(value: unknown): string {
  if (Array.isArray(value)) return value.map((part) => String(part)).join('');
  return typeof value === 'string' ? value : '';
}

function isSplittableMime(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'image/svg+xml' || mime === 'application/javascript';
}

function bundleToDisk(bundle: MimeBundle): MimeBundle {
  const out: MimeBundle = {};
  for (const [mime, value] of Object.entries(bundle)) {
    out[mime] = typeof value === 'string' && isSplittableMime(mime) ? splitLines(value) : value;
  }
  return out;
}

function bundleFromDisk(bundle: unknown): MimeBundle {
  const out: MimeBundle = {};
  if (!bundle || typeof bundle !== 'object') return out;
  for (const [mime, value] of Object.entries(bundle as Record<string, unknown>)) {
    out[mime] = Array.isArray(value) && (isSplittableMime(mime) || mime.startsWith('image/')) ? joinText(value) : value;
  }
  return out;
}

function outputToDisk(output: CellOutput): Record<string, unknown> {
  switch (output.output_type) {
    case 'stream':
      return { output_type: 'stream', name: output.name, text: splitLines(output.text) };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: output.execution_count,
        data: bundleToDisk(output.data),
        metadata: output.metadata,
      };
    case 'display_data':
      return { output_type: 'display_data', data: bundleToDisk(output.data), metadata: output.metadata };
    case 'error':
      return { output_type: 'error', ename: output.ename, evalue: output.evalue, traceback: [...output.traceback] };
  }
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function outputFromDisk(value: unknown): CellOutput | undefined {
  const raw = record(value);
  switch (raw.output_type) {
    case 'stream':
      return { output_type: 'stream', name: raw.name === 'stderr' ? 'stderr' : 'stdout', text: joinText(raw.text) };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        execution_count: typeof raw.execution_count === 'number' ? raw.execution_count : null,
        data: bundleFromDisk(raw.data),
        metadata: record(raw.metadata),
      };
    case 'display_data':
      return { output_type: 'display_data', data: bundleFromDisk(raw.data), metadata: record(raw.metadata) };
    case 'error':
      return {
        output_type: 'error',
        ename: String(raw.ename ?? ''),
        evalue: String(raw.evalue ?? ''),
        traceback: Array.isArray(raw.traceback) ? raw.traceback.map(String) : [],
      };
    default:
      return undefined;
  }
}

/** The notebook as nbformat JSON, the way Jupyter writes it (lines split, one-space indent, trailing newline). */
export function serializeNotebook(notebook: NotebookDocument): string {
  const cells = notebook.cells.map((cell) => {
    if (cell.cell_type === 'code') {
      return {
        cell_type: 'code',
        execution_count: cell.execution_count,
        id: cell.id,
        metadata: cell.metadata,
        outputs: cell.outputs.map(outputToDisk),
        source: splitLines(cell.source),
      };
    }
    return { cell_type: cell.cell_type, id: cell.id, metadata: cell.metadata, source: splitLines(cell.source) };
  });
  const document = { cells, metadata: notebook.metadata, nbformat: 4, nbformat_minor: Math.max(5, notebook.nbformat_minor) };
  return `${JSON.stringify(document, null, 1)}\n`;
}

/** Parse nbformat-4 JSON (cells without ids get one, as nbformat 4.5 requires). */
export function parseNotebook(text: string, origin = 'notebook'): NotebookDocument {
  let raw: Record<string, unknown>;
  try {
    raw = record(JSON.parse(text));
  } catch (error) {
    throw new SandboxError(`${origin} is not valid JSON: ${(error as Error).message}`, { kind: 'corrupt', cause: error });
  }
  if (raw.nbformat !== 4) {
    throw new SandboxError(`${origin} has nbformat ${JSON.stringify(raw.nbformat)}; only nbformat 4 notebooks are supported.`, {
      kind: 'corrupt',
    });
  }
  if (!Array.isArray(raw.cells)) throw new SandboxError(`${origin} has no "cells" list.`, { kind: 'corrupt' });
  const seen = new Set<string>();
  const cells = raw.cells.map((value, index): NotebookCell => {
    const cell = record(value);
    let id = typeof cell.id === 'string' && /^[a-zA-Z0-9-_]{1,64}$/.test(cell.id) && !seen.has(cell.id) ? cell.id : newCellId();
    while (seen.has(id)) id = newCellId();
    seen.add(id);
    const source = joinText(cell.source);
    const metadata = record(cell.metadata);
    switch (cell.cell_type) {
      case 'code':
        return {
          cell_type: 'code',
          id,
          source,
          metadata,
          execution_count: typeof cell.execution_count === 'number' ? cell.execution_count : null,
          outputs: (Array.isArray(cell.outputs) ? cell.outputs : []).map(outputFromDisk).filter((output) => output !== undefined),
        };
      case 'markdown':
        return { cell_type: 'markdown', id, source, metadata };
      case 'raw':
        return { cell_type: 'raw', id, source, metadata };
      default:
        throw new SandboxError(`${origin}: cell ${index} has unknown cell_type ${JSON.stringify(cell.cell_type)}.`, { kind: 'corrupt' });
    }
  });
  return {
    nbformat: 4,
    nbformat_minor: typeof raw.nbformat_minor === 'number' ? raw.nbformat_minor : 5,
    metadata: record(raw.metadata),
    cells,
  };
}

/** Write atomically (temp file + rename) so a crash never leaves half a notebook. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

/** Read and parse a notebook file. */
export async function readNotebookFile(path: string): Promise<NotebookDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new SandboxError(`Cannot read notebook ${path}: ${(error as Error).message}`, { kind: 'corrupt', cause: error });
  }
  return parseNotebook(text, path);
}
