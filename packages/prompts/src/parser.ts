import { ParseError } from '@lllm/core';

/** What the default parser extracts from a reply. */
export interface ParsedReply {
  /** The reply text as received. */
  readonly raw: string;
  /** Contents of every `<tag>…</tag>`, per tag, in order (trimmed). */
  readonly xmlTags: Readonly<Record<string, readonly string[]>>;
  /** Contents of every fenced block opened with exactly ```` ```tag ````, per tag, in order. */
  readonly mdTags: Readonly<Record<string, readonly string[]>>;
  /** Whether `<TAG>` (or `<TAG/>`) appears, per signal tag. */
  readonly signalTags: Readonly<Record<string, boolean>>;
}

/** Which tags the default parser looks for. */
export interface TagSpec {
  readonly xmlTags?: readonly string[];
  readonly mdTags?: readonly string[];
  readonly signalTags?: readonly string[];
  /** XML tags that must appear (they are extracted even if not in `xmlTags`). */
  readonly requiredXmlTags?: readonly string[];
  /** Markdown fences that must appear (extracted even if not in `mdTags`). */
  readonly requiredMdTags?: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function unique(...lists: (readonly string[] | undefined)[]): string[] {
  return [...new Set(lists.flatMap((list) => list ?? []))];
}

/**
 * The patterns of each tag, compiled once: a prompt parses every reply with the same few tags, and
 * building a RegExp per parse was a measurable part of an agent call. Bounded: tags come from
 * prompts, but a program could make them up.
 */
const patterns = new Map<string, RegExp>();

function pattern(kind: 'xml' | 'md' | 'signal', tag: string): RegExp {
  const key = `${kind}\u0000${tag}`;
  let compiled = patterns.get(key);
  if (compiled) return compiled;
  const name = escapeRegExp(tag);
  compiled =
    kind === 'xml'
      ? new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}\\s*>`, 'g')
      : kind === 'md'
        ? new RegExp(`(^|\\n)[ \\t]*\`\`\`${name}[ \\t]*\\r?\\n([\\s\\S]*?)\\r?\\n?[ \\t]*\`\`\`(?=[ \\t]*(\\r?\\n|$))`, 'g')
        : new RegExp(`<${name}\\s*/?>`);
  if (patterns.size >= 1_000) patterns.clear();
  patterns.set(key, compiled);
  return compiled;
}

/** Every `<tag>…</tag>` body (tag matched literally), trimmed. */
export function findXmlTags(text: string, tag: string): string[] {
  // matchAll works on a copy of the pattern, so the shared one keeps no lastIndex.
  return [...text.matchAll(pattern('xml', tag))].map((match) => (match[1] ?? '').trim());
}

/** Every fenced block opened with exactly ```` ```tag ```` (```` ```py ```` never matches ```` ```python ````). */
export function findMdTags(text: string, tag: string): string[] {
  return [...text.matchAll(pattern('md', tag))].map((match) => match[2] ?? '');
}

/** Whether `<tag>` or `<tag/>` appears. */
export function hasSignalTag(text: string, tag: string): boolean {
  return pattern('signal', tag).test(text);
}

interface TagLists {
  readonly xml: readonly string[];
  readonly md: readonly string[];
  readonly signal: readonly string[];
  readonly requiredXml: readonly string[];
  readonly requiredMd: readonly string[];
}

/** The tag lists of a frozen spec (a prompt's), worked out once; any other spec each time. */
const tagLists = new WeakMap<TagSpec, TagLists>();

function listsOf(spec: TagSpec): TagLists {
  const known = tagLists.get(spec);
  if (known) return known;
  const lists: TagLists = {
    xml: unique(spec.xmlTags, spec.requiredXmlTags),
    md: unique(spec.mdTags, spec.requiredMdTags),
    signal: unique(spec.signalTags),
    requiredXml: unique(spec.requiredXmlTags),
    requiredMd: unique(spec.requiredMdTags),
  };
  const frozen = (list: readonly string[] | undefined) => list === undefined || Object.isFrozen(list);
  if (
    Object.isFrozen(spec) &&
    frozen(spec.xmlTags) &&
    frozen(spec.mdTags) &&
    frozen(spec.signalTags) &&
    frozen(spec.requiredXmlTags) &&
    frozen(spec.requiredMdTags)
  ) {
    tagLists.set(spec, lists);
  }
  return lists;
}

/** The default parser: extract tags, and fail with every missing required tag listed. */
export function defaultParse(text: string, spec: TagSpec): ParsedReply {
  const xmlTags: Record<string, string[]> = {};
  const mdTags: Record<string, string[]> = {};
  const signalTags: Record<string, boolean> = {};
  const lists = listsOf(spec);
  for (const tag of lists.xml) xmlTags[tag] = findXmlTags(text, tag);
  for (const tag of lists.md) mdTags[tag] = findMdTags(text, tag);
  for (const tag of lists.signal) signalTags[tag] = hasSignalTag(text, tag);
  const problems: string[] = [];
  for (const tag of lists.requiredXml) {
    if ((xmlTags[tag] ?? []).length === 0) problems.push(`Missing the required <${tag}>…</${tag}> block.`);
  }
  for (const tag of lists.requiredMd) {
    if ((mdTags[tag] ?? []).length === 0) problems.push(`Missing the required \`\`\`${tag} fenced block.`);
  }
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
