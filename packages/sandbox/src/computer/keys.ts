import { InvalidArgumentError } from '@lllm/core';

/** A key combination in Playwright's terms. */
export interface KeyCombo {
  /** Modifiers in canonical order: `Control`, `Alt`, `Shift`, `Meta`. */
  readonly modifiers: readonly string[];
  /** The main key (`Enter`, `ArrowLeft`, `a`, `F5`, …), or undefined for modifiers alone. */
  readonly key: string | undefined;
  /** What `keyboard.press()` takes, e.g. `Control+Shift+t`. */
  readonly combo: string;
}

const MODIFIERS: Readonly<Record<string, string>> = {
  ctrl: 'Control',
  control: 'Control',
  ctl: 'Control',
  alt: 'Alt',
  option: 'Alt',
  opt: 'Alt',
  shift: 'Shift',
  meta: 'Meta',
  cmd: 'Meta',
  command: 'Meta',
  super: 'Meta',
  win: 'Meta',
  windows: 'Meta',
};

const MODIFIER_ORDER = ['Control', 'Alt', 'Shift', 'Meta'];

const NAMED_KEYS: Readonly<Record<string, string>> = {
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  tab: 'Tab',
  space: 'Space',
  spacebar: 'Space',
  backspace: 'Backspace',
  delete: 'Delete',
  del: 'Delete',
  insert: 'Insert',
  ins: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  page_up: 'PageUp',
  pgup: 'PageUp',
  pagedown: 'PageDown',
  page_down: 'PageDown',
  pgdn: 'PageDown',
  up: 'ArrowUp',
  arrowup: 'ArrowUp',
  arrow_up: 'ArrowUp',
  down: 'ArrowDown',
  arrowdown: 'ArrowDown',
  arrow_down: 'ArrowDown',
  left: 'ArrowLeft',
  arrowleft: 'ArrowLeft',
  arrow_left: 'ArrowLeft',
  right: 'ArrowRight',
  arrowright: 'ArrowRight',
  arrow_right: 'ArrowRight',
  capslock: 'CapsLock',
  caps_lock: 'CapsLock',
  numlock: 'NumLock',
  printscreen: 'PrintScreen',
  pause: 'Pause',
  contextmenu: 'ContextMenu',
  menu: 'ContextMenu',
  plus: '+',
  minus: '-',
};

function splitCombo(token: string): string[] {
  // "ctrl++" means Control and "+"; "+" alone is the plus key.
  if (token === '+') return ['+'];
  const parts = token.split('+');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    if (part === '' && i === parts.length - 1 && parts.length > 1 && parts[i - 1] === '') out.push('+');
    else if (part !== '') out.push(part.trim());
  }
  return out.filter((part) => part.length > 0);
}

function normaliseKey(raw: string): string {
  const lower = raw.toLowerCase();
  const named = NAMED_KEYS[lower];
  if (named) return named;
  if (/^f([1-9]|1[0-9]|2[0-4])$/.test(lower)) return lower.toUpperCase();
  if ([...raw].length === 1) return raw;
  // Playwright's own names (KeyA, Digit1, Numpad0, Backquote, …) pass through.
  if (
    /^(Key[A-Z]|Digit[0-9]|Numpad\w+|Backquote|Minus|Equal|Backslash|BracketLeft|BracketRight|Semicolon|Quote|Comma|Period|Slash)$/.test(
      raw,
    )
  )
    return raw;
  throw new InvalidArgumentError(
    `Unknown key "${raw}"; use a single character or a key name such as Enter, Tab, Escape, Backspace, ArrowLeft, PageDown or F5, with modifiers Ctrl, Alt, Shift, Meta.`,
    { argument: 'keys' },
  );
}

/**
 * Normalise a key combination as models send it (`["CTRL", "A"]`, `"ctrl+shift+t"`, `["Enter"]`,
 * `"ESC"`) into Playwright's form (`Control+a`, `Control+Shift+t`, `Enter`, `Escape`). Letters are
 * lower-cased when a modifier is held, so `CTRL+A` is Control+a, not Control+Shift+a.
 */
export function normaliseKeyCombo(keys: string | readonly string[]): KeyCombo {
  const tokens = (typeof keys === 'string' ? [keys] : [...keys]).flatMap((token) => {
    if (typeof token !== 'string') {
      throw new InvalidArgumentError(`Keys must be strings, got ${JSON.stringify(token)}.`, { argument: 'keys' });
    }
    return splitCombo(token);
  });
  if (tokens.length === 0) throw new InvalidArgumentError('A keypress needs at least one key, got none.', { argument: 'keys' });
  const modifiers = new Set<string>();
  const others: string[] = [];
  for (const token of tokens) {
    const modifier = MODIFIERS[token.toLowerCase()];
    if (modifier) modifiers.add(modifier);
    else others.push(normaliseKey(token));
  }
  if (others.length > 1) {
    throw new InvalidArgumentError(
      `Key combination ${JSON.stringify(keys)} holds ${others.length} non-modifier keys (${others.join(', ')}); press them one after another instead.`,
      { argument: 'keys' },
    );
  }
  const ordered = MODIFIER_ORDER.filter((modifier) => modifiers.has(modifier));
  let key = others[0];
  if (key !== undefined && ordered.length > 0 && /^[A-Z]$/.test(key)) key = key.toLowerCase();
  const combo = key === undefined ? ordered.join('+') : [...ordered, key].join('+');
  return { modifiers: ordered, key, combo };
}
