// Translation between the Python LLLM's log records (`LocalFileLog`: one `{ timestamp, value, metadata }`
// JSON file per entry) and this package's entry data (`dialogs` / `messages` / `frontend` as `Dialog`
// and `Stream` write them). Read for the shapes upstream writes at f810ffb: `Dialog.__post_init__`
// (dialogs: value = dialog id, metadata.parent_dialog), `Dialog.append` (messages: value = content,
// metadata = `Message.metadata_log`) and `StreamWrapper.log` (frontend: value = text, metadata.type).
import type { JsonObject, LogCollection, MessageJSON, Usage } from '@lllm/core';

/** One file as upstream's `LocalFileLog.write` saves it. */
export interface UpstreamRecord {
  /** `datetime.now().isoformat()`: local time, no zone, microseconds unless they are 0. */
  readonly timestamp: string;
  readonly value: unknown;
  readonly metadata: Record<string, unknown>;
}

/** Our own entry, carried inside the upstream record's metadata so it reads back exactly. */
export const OWN_ENTRY_KEY = 'lllm_ts';

/** Milliseconds since the epoch of a naive local ISO timestamp (`2025-11-27T10:11:12.123456`). */
export function upstreamTime(timestamp: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?/.exec(timestamp);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second, fraction = '0'] = match;
  const milliseconds = Math.floor(Number(fraction.padEnd(6, '0')) / 1000);
  return new Date(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second), milliseconds).getTime();
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The naive local ISO timestamp upstream writes, with microseconds (always six digits, so names sort). */
export function upstreamTimestamp(microsecondsSinceEpoch: number): string {
  const date = new Date(Math.floor(microsecondsSinceEpoch / 1000));
  const micro = microsecondsSinceEpoch % 1_000_000;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(micro, 6)}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An OpenAI usage block as upstream logs it (`completion.usage.model_dump_json()`) in our terms. */
function usageOf(usage: unknown): Usage | undefined {
  if (!isObject(usage) || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return undefined;
  const details = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const cached = typeof details.cached_tokens === 'number' ? details.cached_tokens : 0;
  const completion = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    inputTokens: Math.max(0, usage.prompt_tokens - cached),
    outputTokens: usage.completion_tokens,
    ...(cached ? { cachedInputTokens: cached } : {}),
    ...(typeof completion.reasoning_tokens === 'number' && completion.reasoning_tokens
      ? { reasoningTokens: completion.reasoning_tokens }
      : {}),
  };
}

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'tool_call']);

/** A `Message.metadata_log` (plus the content upstream stores as `value`) as our `MessageJSON`. */
function messageOf(content: string, metadata: Record<string, unknown>, time: number): MessageJSON {
  const role = typeof metadata.role === 'string' && ROLES.has(metadata.role) ? metadata.role : 'user';
  const usage = usageOf(metadata.usage);
  const errors = Array.isArray(metadata._errors) ? metadata._errors.map(String) : [];
  const attempts = Array.isArray(metadata._attempts) ? metadata._attempts.filter(isObject) : [];
  const extra = isObject(metadata.extra) ? { ...metadata.extra } : {};
  // What has no field here stays readable under extra.upstream.
  const kept: Record<string, unknown> = {};
  for (const key of ['model_args', 'logprobs', 'modality'] as const) {
    const value = metadata[key];
    if (
      value !== undefined &&
      value !== null &&
      !(Array.isArray(value) && value.length === 0) &&
      !(isObject(value) && Object.keys(value).length === 0)
    )
      kept[key] = value;
  }
  if (errors.length) kept.errors = errors;
  return {
    role: role as MessageJSON['role'],
    content,
    creator: typeof metadata.creator === 'string' ? metadata.creator : role,
    ...(metadata.modality === 'image' ? { modality: 'image' as const } : {}),
    ...(isObject(metadata.parsed) && Object.keys(metadata.parsed).length ? { parsed: metadata.parsed } : {}),
    ...(typeof metadata.model === 'string' ? { model: metadata.model } : {}),
    ...(usage ? { usage } : {}),
    ...(attempts.length
      ? {
          attempts: attempts.map((attempt, index) => ({
            kind: 'parse' as const,
            error:
              Array.isArray(attempt._errors) && attempt._errors.length
                ? attempt._errors.map(String).join('; ')
                : (errors[index] ?? 'a failed attempt'),
            message: messageOf(typeof attempt.content === 'string' ? attempt.content : '', attempt, time),
            at: time,
          })),
        }
      : {}),
    extra: Object.keys(kept).length ? { ...extra, upstream: kept } : extra,
    createdAt: time,
  };
}

/** A frontend record (`StreamWrapper.log(msg, type)`) as our stream event. */
function frontendOf(value: unknown, metadata: Record<string, unknown>): JsonObject {
  const type = typeof metadata.type === 'string' ? metadata.type : 'write';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (type === 'code') return { type: 'code', code: text };
  if (type === 'markdown') return { type: 'markdown', text };
  if (type === 'divider') return { type: 'divider' };
  if (type === 'write') return { type: 'write', text };
  // balloons, snow, status, spinner, expander: kept as written, under their upstream type.
  return { type: 'write', text, upstreamType: type };
}

/**
 * Our entry data for a record upstream wrote. `dialogId` is the dialog folder a message was found in
 * (`messages/<session>/<dialog_id>/`), `index` its position there.
 */
export function fromUpstream(
  collection: LogCollection,
  record: UpstreamRecord,
  time: number,
  place: { dialogId?: string; index?: number } = {},
): JsonObject {
  const metadata = record.metadata;
  if (collection === 'dialogs') {
    const parent = typeof metadata.parent_dialog === 'string' ? metadata.parent_dialog : null;
    return { dialogId: String(record.value), parentDialogId: parent, branch: parent ? 'fork' : 'root', createdAt: time };
  }
  if (collection === 'frontend') return frontendOf(record.value, metadata);
  const extra = isObject(metadata.extra) ? metadata.extra : {};
  const dialogId = place.dialogId ?? (typeof extra.dialog_id === 'string' ? extra.dialog_id : 'upstream');
  return {
    dialogId,
    index: place.index ?? 0,
    message: messageOf(
      typeof record.value === 'string' ? record.value : JSON.stringify(record.value),
      metadata,
      time,
    ) as unknown as JsonObject,
  };
}

/** The `value` and upstream-shaped metadata for one of our entries, so upstream's own reader understands it too. */
export function toUpstream(collection: LogCollection, data: JsonObject): { value: unknown; metadata: Record<string, unknown> } {
  if (collection === 'dialogs') {
    return { value: typeof data.dialogId === 'string' ? data.dialogId : '', metadata: { parent_dialog: data.parentDialogId ?? null } };
  }
  if (collection === 'frontend') {
    const text = typeof data.text === 'string' ? data.text : typeof data.code === 'string' ? data.code : (data.message ?? data.label ?? '');
    return { value: text, metadata: { type: typeof data.type === 'string' ? data.type : 'write' } };
  }
  const message = isObject(data.message) ? data.message : undefined;
  if (!message) return { value: '', metadata: {} };
  return {
    value: typeof message.content === 'string' ? message.content : '',
    metadata: {
      role: message.role,
      creator: message.creator,
      modality: message.modality ?? 'text',
      parsed: message.parsed ?? {},
      model: message.model ?? null,
      extra: {
        ...(isObject(message.extra) ? message.extra : {}),
        ...(typeof data.dialogId === 'string' ? { dialog_id: data.dialogId } : {}),
      },
    },
  };
}
