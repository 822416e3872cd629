import { InvalidArgumentError } from '@lllm/core';
import { describe, expect, test } from 'vitest';
import { parseComputerAction } from './actions.js';
import { normaliseKeyCombo } from './keys.js';

describe('normaliseKeyCombo', () => {
  test.each([
    [['CTRL', 'A'], 'Control+a'],
    ['CTRL+A', 'Control+a'],
    ['ctrl+shift+t', 'Control+Shift+t'],
    [['shift', 'ctrl', 'T'], 'Control+Shift+t'],
    [['Enter'], 'Enter'],
    [['ENTER'], 'Enter'],
    [['return'], 'Enter'],
    [['ESC'], 'Escape'],
    [['space'], 'Space'],
    [['LEFT'], 'ArrowLeft'],
    [['ALT', 'left'], 'Alt+ArrowLeft'],
    [['PAGEDOWN'], 'PageDown'],
    [['cmd', 'c'], 'Meta+c'],
    [['super'], 'Meta'],
    [['f5'], 'F5'],
    [['A'], 'A'],
    ['ctrl++', 'Control++'],
    ['+', '+'],
    [['KeyA'], 'KeyA'],
  ] as const)('%j → %s', (keys, combo) => {
    expect(normaliseKeyCombo(keys).combo).toBe(combo);
  });

  test('bad keys are clear errors', () => {
    expect(() => normaliseKeyCombo([])).toThrow(InvalidArgumentError);
    expect(() => normaliseKeyCombo(['ctrl', 'bogus'])).toThrow(/Unknown key "bogus"/);
    expect(() => normaliseKeyCombo(['a', 'b'])).toThrow(/2 non-modifier keys \(a, b\)/);
    expect(() => normaliseKeyCombo([3 as unknown as string])).toThrow(/Keys must be strings/);
  });
});

describe('parseComputerAction', () => {
  test('accepts the wire shapes and fills defaults', () => {
    expect(parseComputerAction({ type: 'click', x: 1, y: 2 })).toEqual({ type: 'click', x: 1, y: 2, button: 'left' });
    expect(parseComputerAction({ type: 'click', x: 1, y: 2, button: 'middle', keys: null })).toEqual({
      type: 'click',
      x: 1,
      y: 2,
      button: 'wheel',
    });
    expect(parseComputerAction({ type: 'scroll', x: 1, y: 2, scroll_y: 30 })).toEqual({
      type: 'scroll',
      x: 1,
      y: 2,
      scroll_x: 0,
      scroll_y: 30,
    });
    expect(parseComputerAction({ type: 'wait' })).toEqual({ type: 'wait' });
    expect(parseComputerAction({ type: 'screenshot' })).toEqual({ type: 'screenshot' });
  });

  test('rejects malformed actions naming the field', () => {
    expect(() => parseComputerAction({ type: 'click', x: 1 })).toThrow(/numeric "y"/);
    expect(() => parseComputerAction({ type: 'click', x: 1, y: 1, button: 'thumb' })).toThrow(/Unknown mouse button "thumb"/);
    expect(() => parseComputerAction({ type: 'type' })).toThrow(/needs "text"/);
    expect(() => parseComputerAction({ type: 'keypress', keys: 'a' })).toThrow(/list of strings/);
    expect(() => parseComputerAction({ type: 'drag', path: [{ x: 1, y: 1 }] })).toThrow(/at least two/);
    expect(() => parseComputerAction(null)).toThrow(/Unknown computer action type undefined/);
  });
});
