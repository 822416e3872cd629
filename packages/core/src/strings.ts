/** Levenshtein edit distance between two strings. */
export function editDistance(left: string, right: string): number {
  if (left === right) return 0;
  if (left.length === 0) return right.length;
  if (right.length === 0) return left.length;
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/**
 * The candidates closest to `query`, best first: those containing it (or contained in it) and
 * those within a third of its length in edits.
 */
export function closestMatches(query: string, candidates: Iterable<string>, limit = 3): string[] {
  const lowered = query.toLowerCase();
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of new Set(candidates)) {
    const other = candidate.toLowerCase();
    const distance = editDistance(lowered, other);
    const contains = other.includes(lowered) || lowered.includes(other);
    const threshold = Math.max(2, Math.ceil(Math.max(lowered.length, other.length) / 3));
    if (contains || distance <= threshold) scored.push({ candidate, score: contains ? distance / 2 : distance });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map((entry) => entry.candidate);
}

/** Shorten text for one-line summaries. */
export function truncate(text: string, max: number): string {
  const single = text.replace(/\s+/g, ' ').trim();
  return single.length <= max ? single : `${single.slice(0, Math.max(0, max - 1))}…`;
}

/** What `safeName` returns unchanged: allowed characters, no `--`, no `-` at either end, 1–64 characters. */
const SAFE_NAME = /^(?!.*--)[a-z0-9_](?:[a-z0-9_-]{0,62}[a-z0-9_])?$/;

/**
 * A safe file or session name derived from arbitrary text: lower-case letters, digits, `-` and `_`,
 * at most 64 characters, never empty, never `.`/`..`.
 */
export function safeName(text: string, fallback = 'session'): string {
  // Already safe (as every name made here is): cleaning would return it unchanged.
  if (SAFE_NAME.test(text)) return text;
  const cleaned = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 64)
    .replace(/-$/, '');
  return cleaned.length > 0 ? cleaned : fallback;
}
