// The forms a secret takes once some layer has encoded it: an API that echoes its request URL sends
// the key percent-encoded, a Basic header carries it in base64, a JSON document escapes it. Each form
// is a literal to look for, computed once per secret set.

/** Forms shorter than this are not searched for: they would match ordinary text. */
const MIN_FORM_LENGTH = 8;

function percentHexLower(text: string): string {
  return text.replace(/%[0-9A-F]{2}/g, (sequence) => sequence.toLowerCase());
}

/** `application/x-www-form-urlencoded`, as `URLSearchParams` writes a value. */
function formEncode(text: string): string {
  return new URLSearchParams({ v: text }).toString().slice(2);
}

/**
 * The base64 text that appears wherever `secret`'s bytes are encoded inside a longer base64 text,
 * whatever bytes come before it: for each of the three alignments, the characters that depend only on
 * the secret's own bytes.
 */
function base64Fragments(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const fragments: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const text = padded.toString('base64').replace(/=+$/, '');
    const start = offset === 0 ? 0 : offset === 1 ? 2 : 3;
    const total = padded.length;
    const remainder = total % 3;
    const end = Math.floor(total / 3) * 4 + (remainder === 0 ? 0 : remainder === 1 ? 1 : 2);
    fragments.push(text.slice(start, end));
  }
  return fragments;
}

/**
 * Every form of `secret` to redact: as is, JSON-escaped (once and twice), percent-encoded (`encodeURIComponent` and
 * form encoding with `+` for a space, upper- and lower-case hex, and twice encoded), and base64 /
 * base64url at every alignment. Forms under 8 characters are left out, except the secret itself.
 */
export function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const add = (form: string) => {
    if (form.length >= MIN_FORM_LENGTH) forms.add(form);
  };
  const escaped = JSON.stringify(secret).slice(1, -1);
  add(escaped);
  // JSON inside a JSON string (tool arguments in a logged request body).
  add(JSON.stringify(escaped).slice(1, -1));
  const uri = encodeURIComponent(secret);
  const form = formEncode(secret);
  for (const encoded of [uri, form]) {
    add(encoded);
    add(percentHexLower(encoded));
    add(encodeURIComponent(encoded));
  }
  if (secret.length >= MIN_FORM_LENGTH) {
    for (const fragment of base64Fragments(secret)) {
      add(fragment);
      add(fragment.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...forms];
}
