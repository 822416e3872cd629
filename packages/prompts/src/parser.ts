import { type ParsedReply, ParseError } from '@lllm/core';

export type { ParsedReply } from '@lllm/core';

/**
 * Which tags the default parser looks for. As upstream's `default_parser`, every tag listed in
 * `xmlTags` or `mdTags` must appear, or the reply is a `ParseError` (retried by the agent call).
 */
export interface TagSpec {
  /** `<tag>…</tag>` blocks the reply must contain (each at least once). */
  readonly xmlTags?: readonly string[];
  /** ```` ```tag ```` fenced blocks the reply must contain (each at least once). */
  readonly mdTags?: readonly string[];
  /** Tags whose presence as `<TAG>` is reported as a boolean; never required. */
  readonly signalTags?: readonly string[];
  /** Also required (upstream's second list); extracted even when not in `xmlTags`. */
  readonly requiredXmlTags?: readonly string[];
  /** Also required (upstream's second list); extracted even when not in `mdTags`. */
  readonly requiredMdTags?: readonly string[];
  /** `<tag>…</tag>` blocks extracted when present, never required (not in upstream). */
  readonly optionalXmlTags?: readonly string[];
  /** ```` ```tag ```` blocks extracted when present, never required (not in upstream). */
  readonly optionalMdTags?: readonly string[];
}

// Python's str.isspace() set: `\s` in a Python `re` pattern and what str.strip() removes. JavaScript's
// `\s` and trim() differ slightly (\x1c-\x1f and \x85 are missing, \ufeff is extra), and a fence body
// must strip exactly as upstream's does.
const WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP = new RegExp(`^[${WHITESPACE}]+|[${WHITESPACE}]+$`, 'g');
/** A fence opening: three backticks and the word after them (upstream: ```` ```[^\s]+ ````). */
const FENCE_OPEN = new RegExp(`\`\`\`[^${WHITESPACE}]+`, 'g');
/** A fence closing: three backticks before whitespace or the end (upstream: ```` ```(?=\s|$) ````). */
const FENCE_CLOSE = new RegExp(`\`\`\`(?=[${WHITESPACE}]|$)`, 'g');

/** Strip whitespace from both ends as Python's `str.strip()` does. */
function strip(text: string): string {
  return text.replace(STRIP, '');
}

/**
 * Every `<tag>…</tag>` body, verbatim (not trimmed), as upstream's `find_xml_blocks`: the opening
 * and closing tags are matched exactly (no attributes), each body ends at the first closing tag.
 * The tag name is taken literally (upstream put it into a regular expression, so `a.b` matched
 * `<aXb>`).
 */
export function findXmlTags(text: string, tag: string): string[] {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const bodies: string[] = [];
  let from = 0;
  // Each pass moves `from` forward past a closing tag, so the loop ends within text.length passes.
  for (;;) {
    const start = text.indexOf(open, from);
    if (start < 0) break;
    const end = text.indexOf(close, start + open.length);
    if (end < 0) break;
    bodies.push(text.slice(start + open.length, end));
    from = end + close.length;
  }
  return bodies;
}

/** One outermost fenced block: where it starts and ends, and the word after its opening backticks. */
interface FenceBlock {
  /** The opening token, e.g. ```` ```python ````. */
  readonly opening: string;
  readonly start: number;
  /** Just past the closing backticks. */
  readonly end: number;
}

/**
 * The outermost fenced blocks of a reply, as upstream's `find_level1_blocks_sorted`: an opening is
 * three backticks followed by a word, anywhere (a fence need not start a line); a closing is three
 * backticks followed by whitespace or the end; openings nest, and only blocks at nesting level one
 * count.
 */
function fenceBlocks(text: string): FenceBlock[] {
  const openings = [...text.matchAll(FENCE_OPEN)].map((match) => ({ at: match.index, token: match[0] }));
  const closings = [...text.matchAll(FENCE_CLOSE)].map((match) => match.index);
  const blocks: FenceBlock[] = [];
  const stack: { at: number; token: string }[] = [];
  let lastEnd = -1;
  let i = 0;
  let j = 0;
  // Every pass consumes one opening or one closing: bounded by their total.
  while (i < openings.length || j < closings.length) {
    const opening = openings[i];
    const closing = closings[j];
    if (opening && (closing === undefined || opening.at < closing)) {
      stack.push(opening);
      i += 1;
      continue;
    }
    j += 1;
    const outer = stack.pop();
    if (outer === undefined || closing === undefined || stack.length > 0) continue;
    if (outer.at > lastEnd) {
      blocks.push({ opening: outer.token, start: outer.at, end: closing + 3 });
      lastEnd = closing + 3;
    }
  }
  return blocks;
}

function bodiesOf(text: string, blocks: readonly FenceBlock[], tag: string): string[] {
  const opening = `\`\`\`${tag}`;
  // The opening word must be exactly the tag: upstream compared prefixes, so `py` matched ```python.
  return blocks.filter((block) => block.opening === opening).map((block) => strip(text.slice(block.start + opening.length, block.end - 3)));
}

/**
 * Every outermost fenced block opened with exactly ```` ```tag ```` (```` ```py ```` never matches
 * ```` ```python ````), its body stripped of surrounding whitespace, as upstream's `find_md_blocks`.
 */
export function findMdTags(text: string, tag: string): string[] {
  return bodiesOf(text, fenceBlocks(text), tag);
}

/** Whether `<tag>` appears, literally, as upstream's signal tags (`<tag/>` does not count). */
export function hasSignalTag(text: string, tag: string): boolean {
  return text.includes(`<${tag}>`);
}

const SPACE = new RegExp(`[${WHITESPACE}]`);

/**
 * Why tags of a spec can never match, one line each (empty when all can): a name that is empty or
 * holds whitespace (a fence's tag ends at the first whitespace), or an XML or signal name holding
 * `<` or `>`.
 */
export function tagSpecProblems(spec: TagSpec): string[] {
  const problems: string[] = [];
  const lists: [keyof TagSpec, boolean][] = [
    ['xmlTags', true],
    ['requiredXmlTags', true],
    ['optionalXmlTags', true],
    ['signalTags', true],
    ['mdTags', false],
    ['requiredMdTags', false],
    ['optionalMdTags', false],
  ];
  for (const [key, angled] of lists) {
    for (const tag of spec[key] ?? []) {
      if (typeof tag !== 'string' || tag === '' || SPACE.test(tag) || (angled && /[<>]/.test(tag))) {
        problems.push(
          `${key}: ${JSON.stringify(tag)} can never match; a tag is one word without whitespace${angled ? ', "<" or ">"' : ''}.`,
        );
      }
    }
  }
  return problems;
}

interface TagLists {
  readonly xml: readonly string[];
  readonly md: readonly string[];
  readonly signal: readonly string[];
  readonly requiredXml: ReadonlySet<string>;
  readonly requiredMd: ReadonlySet<string>;
}

/** The tag lists of a frozen spec (a prompt's), worked out once; any other spec each time. */
const tagLists = new WeakMap<TagSpec, TagLists>();

function unique(...lists: (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))];
}

function listsOf(spec: TagSpec): TagLists {
  const known = tagLists.get(spec);
  if (known) return known;
  const requiredXml = unique(spec.xmlTags, spec.requiredXmlTags);
  const requiredMd = unique(spec.mdTags, spec.requiredMdTags);
  const lists: TagLists = {
    xml: unique(requiredXml, spec.optionalXmlTags),
    md: unique(requiredMd, spec.optionalMdTags),
    signal: unique(spec.signalTags),
    requiredXml: new Set(requiredXml),
    requiredMd: new Set(requiredMd),
  };
  const given = [
    spec.xmlTags,
    spec.mdTags,
    spec.signalTags,
    spec.requiredXmlTags,
    spec.requiredMdTags,
    spec.optionalXmlTags,
    spec.optionalMdTags,
  ];
  if (Object.isFrozen(spec) && given.every((list) => list === undefined || Object.isFrozen(list))) tagLists.set(spec, lists);
  return lists;
}

/**
 * The default parser, as upstream's `default_parser`: extract every listed tag; a tag of `xmlTags`,
 * `mdTags`, `requiredXmlTags` or `requiredMdTags` that does not appear is a `ParseError` listing
 * every missing one. XML bodies are kept verbatim, fence bodies are stripped, a signal tag is the
 * literal `<TAG>`.
 */
export function defaultParse(text: string, spec: TagSpec): ParsedReply {
  const xmlTags: Record<string, string[]> = {};
  const mdTags: Record<string, string[]> = {};
  const signalTags: Record<string, boolean> = {};
  const lists = listsOf(spec);
  const problems: string[] = [];
  for (const tag of lists.xml) {
    xmlTags[tag] = findXmlTags(text, tag);
    if (xmlTags[tag].length === 0 && lists.requiredXml.has(tag)) {
      problems.push(`Missing the required <${tag}>…</${tag}> block.`);
    }
  }
  if (lists.md.length > 0) {
    const blocks = fenceBlocks(text);
    for (const tag of lists.md) {
      mdTags[tag] = bodiesOf(text, blocks, tag);
      if (mdTags[tag].length === 0 && lists.requiredMd.has(tag)) {
        problems.push(`Missing the required \`\`\`${tag} fenced block.`);
      }
    }
  }
  for (const tag of lists.signal) signalTags[tag] = hasSignalTag(text, tag);
  if (problems.length > 0) throw new ParseError(problems);
  return { raw: text, xmlTags, mdTags, signalTags };
}

/** Decode a JSON reply, tolerating one surrounding ```` ```json ```` fence. */
export function decodeJsonReply(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?[ \t]*\r?\n([\s\S]*?)\r?\n?```$/.exec(trimmed);
  const body = fenced?.[1] ?? trimmed;
  try {
    return JSON.parse(body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ParseError(`The reply is not valid JSON (${detail}). Reply with one JSON object that matches the schema, and nothing else.`, {
      cause: error,
    });
  }
}
