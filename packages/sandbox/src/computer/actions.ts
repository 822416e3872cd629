import { InvalidArgumentError } from '@lllm/core';

/** A point on the display. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Mouse buttons as the Responses API names them. */
export type MouseButton = 'left' | 'right' | 'wheel' | 'back' | 'forward';

/** The actions of the OpenAI Responses computer-use tool. */
export type ComputerAction =
  | {
      readonly type: 'click';
      readonly x: number;
      readonly y: number;
      readonly button?: MouseButton;
      readonly keys?: readonly string[] | null;
    }
  | { readonly type: 'double_click'; readonly x: number; readonly y: number; readonly keys?: readonly string[] | null }
  | {
      readonly type: 'scroll';
      readonly x: number;
      readonly y: number;
      readonly scroll_x: number;
      readonly scroll_y: number;
      readonly keys?: readonly string[] | null;
    }
  | { readonly type: 'type'; readonly text: string }
  | { readonly type: 'keypress'; readonly keys: readonly string[] }
  | { readonly type: 'move'; readonly x: number; readonly y: number; readonly keys?: readonly string[] | null }
  | { readonly type: 'drag'; readonly path: readonly Point[]; readonly keys?: readonly string[] | null }
  | { readonly type: 'wait'; readonly ms?: number }
  | { readonly type: 'screenshot' };

/** The action type names. */
export const COMPUTER_ACTION_TYPES = ['click', 'double_click', 'scroll', 'type', 'keypress', 'move', 'drag', 'wait', 'screenshot'] as const;

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function finite(raw: Record<string, unknown>, name: string, type: string): number {
  const value = raw[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`A "${type}" action needs a numeric "${name}", got ${JSON.stringify(value)}.`, { argument: name });
  }
  return value;
}

function keyList(raw: Record<string, unknown>, required: boolean, type: string): string[] | undefined {
  const value = raw.keys;
  if (value === undefined || value === null) {
    if (required) throw new InvalidArgumentError(`A "${type}" action needs "keys", a list of key names.`, { argument: 'keys' });
    return undefined;
  }
  if (!Array.isArray(value) || value.some((key) => typeof key !== 'string')) {
    throw new InvalidArgumentError(`"keys" must be a list of strings, got ${JSON.stringify(value)}.`, { argument: 'keys' });
  }
  return value as string[];
}

/** Validate an action from the wire (a `computer_call`'s `action`); throws an `InvalidArgumentError` naming the problem. */
export function parseComputerAction(value: unknown): ComputerAction {
  const raw = record(value);
  const type = raw.type;
  switch (type) {
    case 'click': {
      const button = raw.button ?? 'left';
      if (!['left', 'right', 'wheel', 'back', 'forward', 'middle'].includes(String(button))) {
        throw new InvalidArgumentError(`Unknown mouse button ${JSON.stringify(button)}; use left, right, wheel, back or forward.`, {
          argument: 'button',
        });
      }
      const keys = keyList(raw, false, type);
      return {
        type,
        x: finite(raw, 'x', type),
        y: finite(raw, 'y', type),
        button: button === 'middle' ? 'wheel' : (button as MouseButton),
        ...(keys ? { keys } : {}),
      };
    }
    case 'double_click':
    case 'move': {
      const keys = keyList(raw, false, type);
      return { type, x: finite(raw, 'x', type), y: finite(raw, 'y', type), ...(keys ? { keys } : {}) };
    }
    case 'scroll': {
      const keys = keyList(raw, false, type);
      return {
        type,
        x: finite(raw, 'x', type),
        y: finite(raw, 'y', type),
        scroll_x: typeof raw.scroll_x === 'number' ? raw.scroll_x : 0,
        scroll_y: typeof raw.scroll_y === 'number' ? raw.scroll_y : 0,
        ...(keys ? { keys } : {}),
      };
    }
    case 'type':
      if (typeof raw.text !== 'string') {
        throw new InvalidArgumentError(`A "type" action needs "text", a string, got ${JSON.stringify(raw.text)}.`, { argument: 'text' });
      }
      return { type, text: raw.text };
    case 'keypress':
      return { type, keys: keyList(raw, true, type) ?? [] };
    case 'drag': {
      if (!Array.isArray(raw.path) || raw.path.length < 2) {
        throw new InvalidArgumentError(`A "drag" action needs "path", at least two {x, y} points, got ${JSON.stringify(raw.path)}.`, {
          argument: 'path',
        });
      }
      const path = raw.path.map((point) => {
        const p = record(point);
        return { x: finite(p, 'x', type), y: finite(p, 'y', type) };
      });
      const keys = keyList(raw, false, type);
      return { type, path, ...(keys ? { keys } : {}) };
    }
    case 'wait':
      return typeof raw.ms === 'number' && raw.ms >= 0 ? { type, ms: raw.ms } : { type };
    case 'screenshot':
      return { type };
    default:
      throw new InvalidArgumentError(
        `Unknown computer action type ${JSON.stringify(type)}; expected one of ${COMPUTER_ACTION_TYPES.join(', ')}.`,
        {
          argument: 'type',
        },
      );
  }
}

/** A one-line description of an action, for logs and checkpoints. */
export function describeAction(action: ComputerAction): string {
  switch (action.type) {
    case 'click':
      return `click ${action.button ?? 'left'} at (${action.x}, ${action.y})${action.keys?.length ? ` holding ${action.keys.join('+')}` : ''}`;
    case 'double_click':
      return `double click at (${action.x}, ${action.y})`;
    case 'scroll':
      return `scroll (${action.scroll_x}, ${action.scroll_y}) at (${action.x}, ${action.y})`;
    case 'type':
      return `type ${JSON.stringify(action.text.length > 60 ? `${action.text.slice(0, 60)}…` : action.text)}`;
    case 'keypress':
      return `keypress ${action.keys.join('+')}`;
    case 'move':
      return `move to (${action.x}, ${action.y})`;
    case 'drag':
      return `drag ${action.path.map((p) => `(${p.x}, ${p.y})`).join(' → ')}`;
    case 'wait':
      return action.ms === undefined ? 'wait' : `wait ${action.ms} ms`;
    case 'screenshot':
      return 'screenshot';
  }
}
