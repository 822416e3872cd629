import { InvalidArgumentError } from '@lllm/core';
import type { DateCutoff } from './define.js';

/** Turns a date as an API writes it into epoch milliseconds (undefined when it cannot be read). */
export type DateParser = (value: unknown) => number | undefined;

const TOKENS: Record<string, { pattern: string; field: 'year' | 'year2' | 'month' | 'day' | 'hour' | 'minute' | 'second' }> = {
  '%Y': { pattern: '(\\d{4})', field: 'year' },
  '%y': { pattern: '(\\d{2})', field: 'year2' },
  '%m': { pattern: '(\\d{1,2})', field: 'month' },
  '%d': { pattern: '(\\d{1,2})', field: 'day' },
  '%H': { pattern: '(\\d{1,2})', field: 'hour' },
  '%M': { pattern: '(\\d{1,2})', field: 'minute' },
  '%S': { pattern: '(\\d{1,2})', field: 'second' },
};

function parseIso(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  // A date or date-time without a zone is read as UTC, so a run does not depend on the machine's zone.
  const naive = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.test(text);
  const ms = Date.parse(naive ? `${text.replace(' ', 'T')}${text.length > 10 ? 'Z' : ''}` : text);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseEpoch(scale: number): DateParser {
  return (value) => {
    const number =
      typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
    return Number.isFinite(number) ? number * scale : undefined;
  };
}

/** The parser for a `dtCutoff.format`; an unknown directive is an `InvalidArgumentError`. */
export function parseDateFormat(format: string): DateParser {
  if (format === 'iso') return parseIso;
  if (format === 'unix') return parseEpoch(1000);
  if (format === 'unix_ms') return parseEpoch(1);
  if (!format.includes('%')) {
    throw new InvalidArgumentError(
      `Date format ${JSON.stringify(format)} is not known: use "iso", "unix", "unix_ms" or a strftime pattern such as "%Y-%m-%d".`,
      {
        argument: 'format',
      },
    );
  }
  const fields: (typeof TOKENS)[string]['field'][] = [];
  let source = '';
  for (let index = 0; index < format.length; index++) {
    const character = format[index] ?? '';
    if (character === '%') {
      const directive = format.slice(index, index + 2);
      const token = TOKENS[directive];
      if (!token) {
        throw new InvalidArgumentError(
          `Date format ${JSON.stringify(format)} uses ${directive}, which is not supported (use %Y %y %m %d %H %M %S).`,
          {
            argument: 'format',
          },
        );
      }
      source += token.pattern;
      fields.push(token.field);
      index += 1;
    } else {
      source += character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  if (!fields.includes('year') && !fields.includes('year2')) {
    throw new InvalidArgumentError(`Date format ${JSON.stringify(format)} has no year (%Y or %y).`, { argument: 'format' });
  }
  const regex = new RegExp(`^${source}$`);
  return (value) => {
    if (typeof value !== 'string') return undefined;
    const match = regex.exec(value.trim());
    if (!match) return undefined;
    const parts = { year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    fields.forEach((field, index) => {
      const number = Number(match[index + 1]);
      if (field === 'year2') parts.year = number < 69 ? 2000 + number : 1900 + number;
      else parts[field] = number;
    });
    const ms = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    const check = new Date(ms);
    // Reject dates that roll over (2024-02-31).
    if (check.getUTCMonth() !== parts.month - 1 || check.getUTCDate() !== parts.day) return undefined;
    return ms;
  };
}

/**
 * A cutoff: data dated at or after `beforeMs` is withheld. As upstream's `filter_by_dt_cutoff`
 * (`date < cutoff_date`), only what is strictly before the cutoff is kept: a `YYYY-MM-DD` cutoff
 * starts at that day's midnight (UTC), so nothing of the cutoff day itself reaches a backtest.
 */
export interface Cutoff {
  /** As given, normalised: `2024-06-30` or a full ISO timestamp. */
  readonly iso: string;
  /** The first instant that is withheld (midnight UTC starting the day, for a date-only cutoff). */
  readonly beforeMs: number;
}

/** Read a cutoff date: `YYYY-MM-DD` (the day starts the withheld range), an ISO timestamp, or a `Date`. */
export function parseCutoff(value: string | Date): Cutoff {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new InvalidArgumentError('The cutoff date is an invalid Date.', { argument: 'cutoffDate' });
    return { iso: value.toISOString(), beforeMs: value.getTime() };
  }
  const text = String(value).trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = parseIso(text);
    if (start !== undefined && new Date(start).toISOString().slice(0, 10) === text) return { iso: text, beforeMs: start };
  } else {
    const ms = parseIso(text);
    if (ms !== undefined) return { iso: new Date(ms).toISOString(), beforeMs: ms };
  }
  throw new InvalidArgumentError(
    `Cutoff date ${JSON.stringify(value)} is not a date: write it as YYYY-MM-DD (e.g. "2024-06-30") or an ISO timestamp.`,
    {
      argument: 'cutoffDate',
    },
  );
}

/** What the filter did. */
export interface CutoffResult {
  /** The response with later entries removed, or an explanatory object when the whole response is later. */
  readonly value: unknown;
  /** How many entries were withheld. */
  readonly withheld: number;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment.length > 0);
}

/**
 * Withhold everything dated on or after the cutoff. Lists (at any depth along the key path) keep
 * only their elements dated strictly before it, as upstream's `filter_by_dt_cutoff`; an entry whose
 * date cannot be read is withheld too (a backtest must never see data it cannot date). When the
 * response itself is one entry dated on or after the cutoff, an explanatory error object takes its place.
 */
export function applyCutoff(response: unknown, spec: DateCutoff, cutoff: Cutoff, path: string): CutoffResult {
  const parse = parseDateFormat(spec.format ?? 'iso');
  const segments = splitPath(spec.key);
  let withheld = 0;
  let lastDate: unknown;
  const visit = (node: unknown, depth: number): { keep: boolean; value: unknown } => {
    if (Array.isArray(node)) {
      const kept: unknown[] = [];
      for (const element of node) {
        const result = visit(element, depth);
        if (result.keep) kept.push(result.value);
        else withheld += 1;
      }
      return { keep: true, value: kept };
    }
    if (typeof node !== 'object' || node === null) return { keep: true, value: node };
    const record = node as Record<string, unknown>;
    const segment = segments[depth] ?? '';
    if (depth === segments.length - 1) {
      // The entry's own date: missing or unreadable means it cannot be shown to be before the cutoff.
      const ms = parse(record[segment]);
      if (ms === undefined || ms >= cutoff.beforeMs) {
        lastDate = record[segment];
        return { keep: false, value: node };
      }
      return { keep: true, value: node };
    }
    // Nothing below to date along this path: the node carries no dated data.
    if (!(segment in record)) return { keep: true, value: node };
    const child = visit(record[segment], depth + 1);
    if (!child.keep) return { keep: false, value: node };
    return { keep: true, value: child.value === record[segment] ? node : { ...record, [segment]: child.value } };
  };
  const result = visit(response, 0);
  if (result.keep) return { value: result.value, withheld };
  return {
    value: {
      error: 'cutoff',
      message: `${path} returned data dated ${JSON.stringify(lastDate)}, on or after the cutoff date ${cutoff.iso}; it is withheld in this run. Ask for an earlier period.`,
      cutoffDate: cutoff.iso,
      date: lastDate ?? null,
    },
    withheld: withheld + 1,
  };
}

/** Remove a slash-separated key path from a response (lists on the way are walked). Returns a new value. */
export function removeKeyPath(value: unknown, path: string): unknown {
  const segments = splitPath(path);
  const visit = (node: unknown, depth: number): unknown => {
    if (Array.isArray(node)) return node.map((element) => visit(element, depth));
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    const segment = segments[depth] ?? '';
    if (!(segment in record)) return node;
    const copy = { ...record };
    if (depth === segments.length - 1) delete copy[segment];
    else copy[segment] = visit(record[segment], depth + 1);
    return copy;
  };
  return segments.length === 0 ? value : visit(value, 0);
}
