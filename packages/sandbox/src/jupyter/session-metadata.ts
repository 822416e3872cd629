import { ConfigError, InvalidArgumentError } from '@lllm/core';
import { z } from 'zod/v4';

/** The saved description of a notebook session: enough to rebuild it exactly. */
export interface SessionMetadataJSON {
  readonly version: 1;
  readonly id: string;
  readonly name: string;
  /** ISO timestamp. */
  readonly createdAt: string;
  /** The kernel spec name, e.g. `python3`. */
  readonly kernelName: string;
  /** The notebook file name inside the session folder. */
  readonly notebook: string;
  /** Proxies `CALL_API` may reach; empty means every proxy the bridge serves. */
  readonly proxies: readonly string[];
  /** Data cutoff date (ISO date or timestamp), or null. */
  readonly cutoffDate: string | null;
  /** A folder put on the kernel's `sys.path`, or null. */
  readonly projectRoot: string | null;
  /** Default per-cell timeout in milliseconds. */
  readonly cellTimeoutMs: number;
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const schema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(SESSION_ID, 'letters, digits, ".", "_" or "-" (1-64 characters, not starting with a symbol)'),
  name: z.string(),
  createdAt: z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO timestamp'),
  kernelName: z.string().min(1),
  notebook: z.string().regex(/^[^/\\]+\.ipynb$/, 'a file name ending in .ipynb'),
  proxies: z.array(z.string().min(1)),
  cutoffDate: z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), 'an ISO date such as "2024-06-30"')
    .nullable(),
  projectRoot: z.string().nullable(),
  cellTimeoutMs: z.number().int().positive(),
});

/** Check a session id; throws an `InvalidArgumentError` naming the rule. */
export function assertSessionId(id: string): void {
  if (!SESSION_ID.test(id)) {
    throw new InvalidArgumentError(
      `Session id "${id}" is not allowed: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      { argument: 'id' },
    );
  }
}

/** Normalise a cutoff date given as a Date or an ISO string; throws an `InvalidArgumentError` otherwise. */
export function normaliseCutoffDate(value: string | Date | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError('cutoffDate is an invalid Date.', { argument: 'cutoffDate' });
    return value.toISOString();
  }
  if (Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`cutoffDate "${value}" is not an ISO date; pass e.g. "2024-06-30".`, { argument: 'cutoffDate' });
  }
  return value;
}

/** Session metadata with `toJSON()` / `fromJSON()`. */
export class SessionMetadata {
  readonly version = 1 as const;
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly kernelName: string;
  readonly notebook: string;
  readonly proxies: readonly string[];
  readonly cutoffDate: string | null;
  readonly projectRoot: string | null;
  readonly cellTimeoutMs: number;

  constructor(fields: Omit<SessionMetadataJSON, 'version'>) {
    this.id = fields.id;
    this.name = fields.name;
    this.createdAt = fields.createdAt;
    this.kernelName = fields.kernelName;
    this.notebook = fields.notebook;
    this.proxies = Object.freeze([...fields.proxies]);
    this.cutoffDate = fields.cutoffDate;
    this.projectRoot = fields.projectRoot;
    this.cellTimeoutMs = fields.cellTimeoutMs;
    Object.freeze(this);
  }

  /** A copy with some fields changed. */
  with(changes: Partial<Omit<SessionMetadataJSON, 'version' | 'id' | 'createdAt'>>): SessionMetadata {
    return new SessionMetadata({ ...this.toJSON(), ...changes });
  }

  toJSON(): SessionMetadataJSON {
    return {
      version: 1,
      id: this.id,
      name: this.name,
      createdAt: this.createdAt,
      kernelName: this.kernelName,
      notebook: this.notebook,
      proxies: [...this.proxies],
      cutoffDate: this.cutoffDate,
      projectRoot: this.projectRoot,
      cellTimeoutMs: this.cellTimeoutMs,
    };
  }

  /** Validate and rebuild; every problem is listed in a `ConfigError`, each prefixed with its key. */
  static fromJSON(value: unknown, file?: string): SessionMetadata {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new ConfigError(`Session metadata${file ? ` in ${file}` : ''} is invalid:\n${problems.map((p) => `- ${p}`).join('\n')}`, {
        problems,
        file,
      });
    }
    return new SessionMetadata(parsed.data);
  }
}
