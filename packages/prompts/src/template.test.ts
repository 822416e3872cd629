import { TemplateError } from '@lllm/core';
import { describe, expect, it } from 'vitest';
import { compileTemplate, renderTemplate } from './template.js';

describe('placeholders are looked up among the own arguments only', () => {
  it('{constructor}, {toString} and {__proto__}-like names are missing arguments, not Object.prototype members', () => {
    const template = compileTemplate('Build {constructor} with {toString} and {hasOwnProperty}');
    let error: unknown;
    try {
      renderTemplate(template, {}, 'proto/task');
    } catch (caught) {
      error = caught;
    }
    expect(TemplateError.isInstance(error)).toBe(true);
    expect((error as TemplateError).missing).toEqual(['constructor', 'toString', 'hasOwnProperty']);
    expect((error as TemplateError).message).toBe(
      'Prompt "proto/task" needs {constructor}, {toString}, {hasOwnProperty}, but no arguments were given.',
    );
  });

  it('renders them when they are given', () => {
    const template = compileTemplate('Build {constructor} with {toString}');
    expect(renderTemplate(template, { constructor: 'a house', toString: 'bricks' }, 'proto/task')).toBe('Build a house with bricks');
  });

  it('an argument object without a prototype works too', () => {
    const args = Object.assign(Object.create(null) as Record<string, unknown>, { name: 'Ada' });
    expect(renderTemplate(compileTemplate('Hi {name}'), args, 'proto/task')).toBe('Hi Ada');
  });
});
