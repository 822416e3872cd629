import { type JsonSchema, redactString, type ToolContext, type ToolLike, type ValidationResult } from '@lllm/core';
import { z } from 'zod/v4';
import type { CellRunResult, RunAllResult } from './cell-execution.js';
import { clip, formatOutputs } from './outputs.js';
import type { JupyterSession } from './session.js';

/** Options for `createNotebookTools`. */
export interface NotebookToolsOptions {
  /** Tool-name prefix. Default `notebook` (`notebook_add_cell`, …). */
  readonly prefix?: string;
  /** Longest text a tool returns; longer output keeps its head and tail. Default 8,000 characters. */
  readonly maxResultChars?: number;
  /** Per-cell timeout for runs started by tools. Default: the session's. */
  readonly timeoutMs?: number;
}

function describeRun(result: CellRunResult, maxChars: number): string {
  const head =
    result.status === 'ok'
      ? `Cell ${result.index} ran${result.executionCount === null ? '' : ` [${result.executionCount}]`} in ${(result.durationMs / 1000).toFixed(1)} s.`
      : result.status === 'timeout'
        ? `Cell ${result.index} timed out.`
        : `Cell ${result.index} failed${result.error ? ` with ${result.error.ename}: ${result.error.evalue}` : ''}.`;
  const notice = result.notice ? `\n${result.notice}` : '';
  // formatOutputs redacts: a secret must be replaced before clipping could cut it in two.
  const text = formatOutputs(result.outputs);
  return `${head}${notice}${text ? `\nOutput:\n${clip(text, maxChars)}` : '\n(no output)'}`;
}

function describeRunAll(result: RunAllResult, maxChars: number): string {
  const lines: string[] = [];
  if (result.startIndex > 0) lines.push(`Cells 0-${result.startIndex - 1} had already run unchanged; not re-run.`);
  if (result.results.length === 0) lines.push('Nothing to run.');
  const share = Math.max(400, Math.floor(maxChars / Math.max(1, result.results.length)));
  for (const run of result.results) lines.push(describeRun(run, share));
  lines.push(
    result.status === 'ok'
      ? 'All cells ran successfully.'
      : `Stopped at cell ${result.failedIndex}; fix it and run again (the next run starts from the top).`,
  );
  return clip(lines.join('\n'), maxChars);
}

function makeTool<T>(spec: {
  name: string;
  description: string;
  parameters: JsonSchema;
  schema: z.ZodType<T>;
  run: (args: T, context: ToolContext) => Promise<string>;
}): ToolLike {
  return {
    name: spec.name,
    description: spec.description,
    parameters: spec.parameters,
    linked: true,
    validate(args: unknown): ValidationResult {
      const parsed = spec.schema.safeParse(args);
      return parsed.success
        ? { success: true, data: parsed.data }
        : {
            success: false,
            error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('; '),
          };
    },
    async execute(args: Record<string, unknown>, context: ToolContext): Promise<string> {
      // Everything a tool returns goes to the model: cell sources, outputs and file names alike.
      return redactString(await spec.run(spec.schema.parse(args), context));
    },
  };
}

const index = z.number().int().min(0);

/**
 * Tools that let an agent work in a notebook session: add, edit, delete and run cells, read the
 * notebook with its outputs, and list the session folder. Each returns plain text for the model.
 */
export function createNotebookTools(session: JupyterSession, options: NotebookToolsOptions = {}): ToolLike[] {
  const prefix = options.prefix ?? 'notebook';
  const maxChars = options.maxResultChars ?? 8_000;
  const runOptions = (context: ToolContext) => ({
    signal: context.signal,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });

  const addSchema = z.strictObject({
    source: z.string(),
    type: z.enum(['code', 'markdown']).default('code'),
    index: index.optional(),
    run: z.boolean().default(true),
  });
  const editSchema = z.strictObject({ index, source: z.string(), run: z.boolean().default(true) });
  const deleteSchema = z.strictObject({ indexes: z.array(index).min(1) });
  const runSchema = z.strictObject({ index: index.optional() });
  const readSchema = z.strictObject({ start: index.optional(), end: index.optional(), outputs: z.boolean().default(true) });

  return [
    makeTool({
      name: `${prefix}_add_cell`,
      description:
        'Add a cell to the notebook (Python code or markdown) and, for code, run it. Appends unless `index` is given (the cell is inserted before that index; cell 0 is the init cell defining CALL_API(path, params)).',
      parameters: {
        type: 'object',
        properties: {
          source: { type: 'string', description: 'The cell source.' },
          type: { type: 'string', enum: ['code', 'markdown'], description: 'Cell type (default code).' },
          index: { type: 'integer', minimum: 1, description: 'Insert before this index (default: append).' },
          run: { type: 'boolean', description: 'Run a code cell right away (default true).' },
        },
        required: ['source'],
        additionalProperties: false,
      },
      schema: addSchema,
      run: async (args, context) => {
        const at =
          args.index === undefined
            ? await session.appendCell(args.type, args.source)
            : await session.insertCell(args.index, args.type, args.source);
        if (args.type !== 'code' || !args.run) return `Added ${args.type} cell ${at}.`;
        return `Added code cell ${at}.\n${describeRun(await session.runCell(at, runOptions(context)), maxChars)}`;
      },
    }),
    makeTool({
      name: `${prefix}_edit_cell`,
      description: "Replace a cell's source (its outputs are cleared) and, for code, run it again.",
      parameters: {
        type: 'object',
        properties: {
          index: { type: 'integer', minimum: 1, description: 'The cell to replace.' },
          source: { type: 'string', description: 'The new source.' },
          run: { type: 'boolean', description: 'Run it after editing (default true).' },
        },
        required: ['index', 'source'],
        additionalProperties: false,
      },
      schema: editSchema,
      run: async (args, context) => {
        const cell = await session.overwriteCell(args.index, args.source);
        if (cell.cell_type !== 'code' || !args.run) return `Cell ${args.index} replaced.`;
        return `Cell ${args.index} replaced.\n${describeRun(await session.runCell(args.index, runOptions(context)), maxChars)}`;
      },
    }),
    makeTool({
      name: `${prefix}_delete_cells`,
      description: 'Delete cells by index (indexes refer to the notebook before the deletion; cell 0 cannot be deleted).',
      parameters: {
        type: 'object',
        properties: { indexes: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1 } },
        required: ['indexes'],
        additionalProperties: false,
      },
      schema: deleteSchema,
      run: async (args) => {
        await session.deleteCells(args.indexes);
        return `Deleted cell${args.indexes.length === 1 ? '' : 's'} ${[...new Set(args.indexes)].sort((a, b) => a - b).join(', ')}; the notebook now has ${session.length} cells.`;
      },
    }),
    makeTool({
      name: `${prefix}_run`,
      description:
        'Run one cell (give `index`) or the whole notebook (no index; stops at the first error, skips the prefix that already ran unchanged).',
      parameters: {
        type: 'object',
        properties: { index: { type: 'integer', minimum: 0, description: 'The cell to run; omit to run all.' } },
        additionalProperties: false,
      },
      schema: runSchema,
      run: async (args, context) =>
        args.index === undefined
          ? describeRunAll(await session.runAll(runOptions(context)), maxChars)
          : describeRun(await session.runCell(args.index, runOptions(context)), maxChars),
    }),
    makeTool({
      name: `${prefix}_read`,
      description: 'Read the notebook: each cell with its index, type, execution count, source and (by default) outputs.',
      parameters: {
        type: 'object',
        properties: {
          start: { type: 'integer', minimum: 0, description: 'First index (default 1, after the init cell).' },
          end: { type: 'integer', minimum: 0, description: 'Last index, inclusive (default: the last cell).' },
          outputs: { type: 'boolean', description: 'Include outputs (default true).' },
        },
        additionalProperties: false,
      },
      schema: readSchema,
      run: async (args) => {
        const cells = session.cells;
        const start = args.start ?? Math.min(1, cells.length - 1);
        const end = args.end ?? cells.length - 1;
        if (start > end || end >= cells.length) {
          // Reading through session.cell() gives the typed out-of-range error.
          session.cell(Math.max(start, end));
        }
        const parts: string[] = [];
        for (let i = start; i <= end; i++) {
          const cell = session.cell(i);
          const count = cell.cell_type === 'code' ? ` [${cell.execution_count ?? ' '}]` : '';
          const label = i === 0 ? ' (init cell: defines CALL_API)' : '';
          parts.push(`--- cell ${i} (${cell.cell_type})${count}${label} ---\n${cell.source}`);
          if (args.outputs && cell.cell_type === 'code' && cell.outputs.length > 0)
            parts.push(`--- output ---\n${formatOutputs(cell.outputs)}`);
        }
        return clip(redactString(parts.join('\n')) || '(empty notebook)', maxChars);
      },
    }),
    makeTool({
      name: `${prefix}_list_files`,
      description: "List the files in the session folder (the kernel's working directory).",
      parameters: { type: 'object', properties: {}, additionalProperties: false },
      schema: z.strictObject({}),
      run: async () => clip(redactString(await session.directoryTree()), maxChars),
    }),
  ];
}
