import type { JsonSchema, ValidationResult } from '@lllm/core';
import { InvalidArgumentError } from '@lllm/core';
import { type ZodType, z } from 'zod/v4';

/**
 * Refuse a zod 3 schema (from `zod` 3.x, or `zod/v3`): it has `_def` and `safeParse` but no `_zod`,
 * and would otherwise be read as a plain JSON schema and fail with a misleading message.
 */
export function assertNotZod3(value: unknown, what: string, argument: string): void {
  if (typeof value !== 'object' || value === null || '_zod' in value || !('_def' in value)) return;
  if (typeof (value as { safeParse?: unknown }).safeParse !== 'function') return;
  throw new InvalidArgumentError(
    `${what} is a zod 3 schema; LLLM needs zod 4 schemas. With zod 3.25 write \`import { z } from 'zod/v4'\`, or upgrade to zod 4 (\`import { z } from 'zod'\`).`,
    { argument },
  );
}

/** Whether a value is a zod schema. */
export function isZodSchema(value: unknown): value is ZodType {
  return (
    typeof value === 'object' && value !== null && '_zod' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function'
  );
}

/**
 * The JSON schema of a zod schema, as providers want it: no `$schema` key and no safe-integer
 * bounds zod adds to every `.int()`.
 */
export function zodToJsonSchema(schema: ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return stripSafeIntegerBounds(json, io === 'input') as JsonSchema;
}

// zod's input schemas leave objects open because zod strips unknown keys; the model should be told
// plainly that no other keys are expected.
function stripSafeIntegerBounds(value: unknown, closeObjects: boolean): unknown {
  if (Array.isArray(value)) return value.map((item) => stripSafeIntegerBounds(item, closeObjects));
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'minimum' && item === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && item === Number.MAX_SAFE_INTEGER)) continue;
    copy[key] = key === 'properties' ? mapValues(item, closeObjects) : stripSafeIntegerBounds(item, closeObjects);
  }
  if (closeObjects && copy.type === 'object' && copy.properties !== undefined && copy.additionalProperties === undefined) {
    copy.additionalProperties = false;
  }
  return copy;
}

function mapValues(value: unknown, closeObjects: boolean): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripSafeIntegerBounds(item, closeObjects)]));
}

/**
 * Whether a schema meets OpenAI's strict-mode rules: every object lists all its properties as
 * required and forbids additional ones.
 */
export function isStrictCompatible(schema: unknown): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  if (typeof schema !== 'object' || schema === null) return true;
  const record = schema as Record<string, unknown>;
  if (record.type === 'object' || record.properties !== undefined) {
    const properties = Object.keys((record.properties as Record<string, unknown> | undefined) ?? {});
    const required = new Set((record.required as string[] | undefined) ?? []);
    if (record.additionalProperties !== false) return false;
    if (!properties.every((name) => required.has(name))) return false;
  }
  return Object.entries(record).every(([key, value]) => key === 'default' || key === 'examples' || isStrictCompatible(value));
}

/** Validate with zod, reporting every issue with its path. */
export function validateWithZod(schema: ZodType, value: unknown): ValidationResult {
  const result = schema.safeParse(value);
  if (result.success) return { success: true, data: result.data };
  return {
    success: false,
    error: result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; '),
  };
}

/** Require a JSON schema (or a zod schema) describing an object. */
export function assertObjectSchema(schema: JsonSchema, what: string): void {
  if (schema.type !== 'object') {
    throw new InvalidArgumentError(
      `${what} must describe an object (type "object"), got ${JSON.stringify(schema.type ?? schema)}. Wrap the fields in z.object({ … }).`,
      {
        argument: 'parameters',
      },
    );
  }
}
