import { InvalidArgumentError } from '@lllm/core';
import { describe, expect, it } from 'vitest';
import { z as z3 } from 'zod/v3';
import { z } from 'zod/v4';
import { tool } from './function.js';
import { definePrompt } from './prompt.js';

// zod 3.25 ships zod 4 at `zod/v4` and zod 4 keeps zod 3 at `zod/v3`: the classic zod 3 schema is
// what a project on `zod@3` passes with `import { z } from 'zod'`.
describe('zod versions', () => {
  it('turns a zod 4 schema from zod/v4 into a tool spec', () => {
    const add = tool({ name: 'add', description: 'Add', parameters: z.object({ a: z.number(), b: z.number() }) });
    expect(add.parameters).toMatchObject({ type: 'object', required: ['a', 'b'], additionalProperties: false });
    expect(add.validate({ a: 1, b: 'x' }).success).toBe(false);
  });

  it('refuses a zod 3 tool schema with the import to use instead', () => {
    const build = () => tool({ name: 'add', description: 'Add', parameters: z3.object({ a: z3.number() }) as never });
    expect(build).toThrow(InvalidArgumentError);
    expect(build).toThrow(/tool "add" is a zod 3 schema.*import \{ z \} from 'zod\/v4'/);
  });

  it('refuses a zod 3 format with the import to use instead', () => {
    const build = () => definePrompt({ path: 'demo/answer', prompt: 'Answer.', format: z3.object({ answer: z3.string() }) as never });
    expect(build).toThrow(/prompt "demo\/answer" is a zod 3 schema.*upgrade to zod 4/);
  });
});
