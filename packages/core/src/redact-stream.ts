// Redaction for text that arrives in pieces (a streamed model reply): a secret split across two
// pieces ("sk-abc" + "def…") is in neither piece, so redacting piece by piece lets it through. A
// `StreamRedactor` holds back the end of what it was given for as long as a secret could still be
// completed there, and releases the rest redacted as the whole text would be.

import { encodedForms } from './redact/encodings.js';
import { knownSecrets, redactString } from './redact.js';

/** Past this many held characters, text is released even mid-word (known secret values still held). */
const MAX_HELD = 8_192;
/**
 * A word that may start a secret spanning spaces: an auth scheme (`Bearer …`), a secret name before its
 * value (`api_key = …`, `"password": "…"`), a separator, or a private key block's first line.
 */
const TRIGGER = /key|appid|sig|token|secret|pass|pwd|pat|credential|auth|cookie|string|webhook|bearer|basic|[:=]|-----/i;
/** Secrets by shape or name span at most this many space-separated words (`api_key`, `=`, `value`). */
const WORDS_PER_SECRET = 3;
/** How many earlier cut points are tried before everything is held. */
const MAX_CUT_TRIES = 32;

interface SecretForms {
  readonly forms: readonly string[];
  readonly firstCharacters: ReadonlySet<string>;
  readonly longest: number;
}

const formsCache = new WeakMap<readonly string[], SecretForms>();

function formsOf(secrets: readonly string[]): SecretForms {
  const cached = formsCache.get(secrets);
  if (cached) return cached;
  const forms = [...new Set(secrets.flatMap((secret) => (typeof secret === 'string' && secret.length > 0 ? encodedForms(secret) : [])))];
  const built: SecretForms = {
    forms,
    firstCharacters: new Set(forms.map((form) => form.charAt(0))),
    longest: forms.reduce((longest, form) => Math.max(longest, form.length), 0),
  };
  formsCache.set(secrets, built);
  return built;
}

const isSpace = (character: string | undefined) => character !== undefined && /\s/.test(character);

/** Where the run of non-space characters that ends at `end` starts (`end` itself after a space). */
function wordStart(text: string, end: number): number {
  let start = end;
  while (start > 0 && !isSpace(text[start - 1])) start -= 1;
  return start;
}

/** The cut point before `cut`: the start of the previous word. */
function previousCut(text: string, cut: number): number {
  let position = cut;
  while (position > 0 && isSpace(text[position - 1])) position -= 1;
  return wordStart(text, position);
}

/**
 * Redacts text given in pieces so that a secret split across pieces is still replaced. `push` returns
 * what can be shown now; `flush` (at the end of the text) returns the rest. Together they give exactly
 * what `redactString` gives for the whole text, with these parts held back until they can no longer be
 * part of a secret:
 * - a tail that could begin one of the known secret values (in any of its encoded forms);
 * - the last word while it is still growing (secrets recognised by shape, such as `sk-…` keys, have no
 *   fixed length);
 * - up to three words after a secret name, auth scheme or separator (`api_key = …`, `Bearer …`);
 * - an open private key block, up to its END line.
 * Ordinary prose is released word by word. Past 8 KiB held without a break, text is released anyway
 * (known secret values still held back).
 */
export class StreamRedactor {
  #pending = '';
  readonly #secrets: () => readonly string[];

  /** `secrets`: the known secret values to look for; default `knownSecrets()`, read at every piece. */
  constructor(secrets: (() => readonly string[]) | readonly string[] = knownSecrets) {
    this.#secrets = typeof secrets === 'function' ? secrets : () => secrets;
  }

  /** How many characters are held back right now. */
  get held(): number {
    return this.#pending.length;
  }

  /** Take the next piece; returns the redacted text that can be shown now (possibly empty). */
  push(piece: string): string {
    if (piece.length === 0) return '';
    this.#pending += piece;
    const secrets = this.#secrets();
    const text = this.#pending;
    const cut = this.#cutPoint(text, secrets);
    if (cut === 0) return '';
    this.#pending = text.slice(cut);
    return redactString(text.slice(0, cut), secrets);
  }

  /** The text is complete: returns everything still held, redacted. */
  flush(): string {
    const text = this.#pending;
    this.#pending = '';
    return text.length === 0 ? '' : redactString(text, this.#secrets());
  }

  /** The longest prefix of `text` whose redaction cannot change whatever comes next. */
  #cutPoint(text: string, secrets: readonly string[]): number {
    const known = formsOf(secrets);
    const partial = partialFormStart(text, known);
    if (text.length > MAX_HELD) return partial;
    let cut = Math.min(partial, wordStart(text, text.length));
    cut = Math.min(cut, triggerHold(text, cut), openKeyBlock(text));
    if (cut === 0) return 0;
    // What is complete already: a secret must not straddle the cut.
    const whole = redactString(text, secrets);
    for (let tries = 0; cut > 0 && tries < MAX_CUT_TRIES; tries++) {
      if (redactString(text.slice(0, cut), secrets) + redactString(text.slice(cut), secrets) === whole) return cut;
      cut = previousCut(text, cut);
    }
    return 0;
  }
}

/** Where a tail of `text` that could begin a known secret form starts (`text.length` when none does). */
function partialFormStart(text: string, known: SecretForms): number {
  if (known.longest === 0) return text.length;
  for (let position = Math.max(0, text.length - known.longest + 1); position < text.length; position++) {
    if (!known.firstCharacters.has(text.charAt(position))) continue;
    const tail = text.slice(position);
    if (known.forms.some((form) => form.length > tail.length && form.startsWith(tail))) return position;
  }
  return text.length;
}

/** Hold from the earliest trigger word among the last three words before `cut` (on the same line). */
function triggerHold(text: string, cut: number): number {
  let hold = cut;
  let position = cut;
  for (let words = 0; words < WORDS_PER_SECRET && position > 0; words++) {
    let end = position;
    while (end > 0 && isSpace(text[end - 1]) && text[end - 1] !== '\n') end -= 1;
    if (end === 0 || text[end - 1] === '\n') break;
    const start = wordStart(text, end);
    if (TRIGGER.test(text.slice(start, end))) hold = start;
    position = start;
  }
  return hold;
}

/** The start of a private key block that has no END line yet (`text.length` when there is none). */
function openKeyBlock(text: string): number {
  const begin = text.lastIndexOf('-----BEGIN');
  return begin >= 0 && !text.includes('-----END', begin) ? begin : text.length;
}
