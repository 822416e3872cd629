// Text from a model, a tool or a log file is data, never terminal instructions: before it reaches a
// terminal, control characters are shown as escapes instead of being obeyed.

// C0 controls except tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
// (they reorder what a reader sees). ESC is one of the C0 controls, so every escape sequence (colours,
// clear screen, window titles, cursor moves, hyperlinks) loses its introducer and prints as text.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\u001b': '\\e' };

/**
 * `text` safe to print on a terminal: control characters other than `\n` and `\t` (C0, DEL, C1, so
 * every ANSI escape sequence) and bidirectional overrides are replaced by a visible escape (`\e`, `\r`,
 * `\x07`, `\u202e`), so model output or a log cannot clear the screen, set the window title, move the
 * cursor or fake lines. Apply it to the untrusted parts only, then add your own colours.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE, (character) => {
    const named = NAMED[character];
    if (named) return named;
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
