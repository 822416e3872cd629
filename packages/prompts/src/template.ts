import { TemplateError } from '@lllm/core';

/** One piece of a parsed template: literal text or a `{name}` placeholder. */
type Piece = { readonly text: string } | { readonly name: string };

/** A compiled template: `{name}` placeholders, `{{` and `}}` for literal braces. */
export interface CompiledTemplate {
  readonly source: string;
  /** Placeholder names, in order of first appearance. */
  readonly placeholders: readonly string[];
  readonly pieces: readonly Piece[];
}

const PLACEHOLDER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compile a template. `{name}` is a placeholder (`name` an identifier), `{{`/`}}` are literal
 * braces, and any other brace is kept as written, so JSON examples need no escaping.
 */
export function compileTemplate(source: string): CompiledTemplate {
  const pieces: Piece[] = [];
  const placeholders: string[] = [];
  let text = '';
  let index = 0;
  while (index < source.length) {
    const char = source[index];
    const next = source[index + 1];
    if ((char === '{' && next === '{') || (char === '}' && next === '}')) {
      text += char;
      index += 2;
      continue;
    }
    if (char === '{') {
      const end = source.indexOf('}', index + 1);
      const name = end === -1 ? '' : source.slice(index + 1, end);
      if (PLACEHOLDER.test(name)) {
        if (text) pieces.push({ text });
        text = '';
        pieces.push({ name });
        if (!placeholders.includes(name)) placeholders.push(name);
        index = end + 1;
        continue;
      }
    }
    text += char;
    index += 1;
  }
  if (text) pieces.push({ text });
  return { source, placeholders, pieces };
}

/** Render a compiled template; every missing argument is named in one `TemplateError`. */
export function renderTemplate(template: CompiledTemplate, args: Readonly<Record<string, unknown>>, promptPath: string): string {
  // Own properties only: `{constructor}` or `{toString}` must not render what Object.prototype holds.
  const missing = template.placeholders.filter((name) => !Object.hasOwn(args, name) || args[name] === undefined);
  if (missing.length > 0) {
    const given = Object.keys(args).filter((key) => args[key] !== undefined);
    const list = (names: readonly string[]) => names.map((name) => `{${name}}`).join(', ');
    throw new TemplateError(
      `Prompt "${promptPath}" needs ${list(missing)}, but ${given.length ? `only ${list(given)} ${given.length === 1 ? 'was' : 'were'}` : 'no arguments were'} given.`,
      { promptPath, missing },
    );
  }
  return template.pieces.map((piece) => ('text' in piece ? piece.text : stringify(args[piece.name]))).join('');
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  return JSON.stringify(value, null, 2);
}
