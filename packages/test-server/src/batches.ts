// The providers' batch APIs on the wire server, in their documented shapes: OpenAI's Files
// (`POST /v1/files` multipart, `GET /v1/files/{id}`, `GET /v1/files/{id}/content`) and Batch API
// (`POST /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`), and Anthropic's
// Message Batches (`POST /v1/messages/batches`, `GET …/{id}`, `GET …/{id}/results`, `POST …/{id}/cancel`).
// A job runs each of its requests against the server's own scripted endpoint (`/v1/chat/completions`,
// `/v1/messages`, …), so the replies are whatever the test queued there. Written by this project
// from the public API reference: no recorded payload is copied here.
import { anthropicError, openaiError } from './bodies/errors.js';
import type { CapturedRequest, ScriptedResponse, WireServer } from './wire-server.js';

/** Options of `serveBatchApis`. */
export interface BatchApiOptions {
  /** How long a job stays in progress at least, in ms (default 50): clients must poll. */
  readonly processingMs?: number;
  /** Requests of one job run at once against the scripted endpoint (default 16). */
  readonly parallelism?: number;
}

/** A stored file (OpenAI Files API). */
export interface StoredFile {
  readonly id: string;
  readonly filename: string;
  readonly purpose: string;
  readonly content: string;
  readonly createdAt: number;
}

/** What the batch endpoints hold, for assertions. */
export interface BatchApis {
  readonly files: ReadonlyMap<string, StoredFile>;
  /** OpenAI batch objects by id (their current JSON). */
  readonly openaiBatches: ReadonlyMap<string, Record<string, unknown>>;
  /** Anthropic message batch objects by id (their current JSON). */
  readonly anthropicBatches: ReadonlyMap<string, Record<string, unknown>>;
}

const OPENAI_ENDPOINTS = ['/v1/chat/completions', '/v1/responses', '/v1/embeddings', '/v1/completions'];

/** Add the batch endpoints to `server` (again after each `server.reset()`). */
export function serveBatchApis(server: WireServer, options: BatchApiOptions = {}): BatchApis {
  const processingMs = options.processingMs ?? 50;
  const parallelism = options.parallelism ?? 16;
  const files = new Map<string, StoredFile>();
  const openaiBatches = new Map<string, Record<string, unknown>>();
  const anthropicBatches = new Map<string, Record<string, unknown>>();
  const anthropicResults = new Map<string, string>();
  const cancelled = new Set<string>();
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}${(++counter).toString(36).padStart(6, '0')}`;
  const now = () => Math.floor(Date.now() / 1000);

  /** Send one job line to the server's own endpoint: its status and JSON body. */
  const dispatch = async (path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // A scripted malformed body stays text: the client sees what the endpoint sent.
    }
    return { status: response.status, body: json };
  };

  /** Run `work` over `items`, `parallelism` at a time, stopping when `stop()` says so. */
  const runAll = async <T>(items: readonly T[], work: (item: T, index: number) => Promise<void>, stop: () => boolean) => {
    let next = 0;
    const lane = async () => {
      while (next < items.length && !stop()) {
        const index = next++;
        await work(items[index] as T, index);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelism, items.length) }, lane));
  };

  const json = (status: number, body: unknown): ScriptedResponse => ({ status, json: body });

  // ---- OpenAI Files -------------------------------------------------------------------------
  server.route(/^\/v1\/files$/, (request) => {
    if (request.method !== 'POST') return json(200, { object: 'list', data: [...files.values()].map(fileObject), has_more: false });
    const parts = multipart(request);
    const file = parts.find((part) => part.name === 'file');
    const purpose = parts.find((part) => part.name === 'purpose')?.content ?? '';
    if (!file) return openaiError({ status: 400, message: "Missing required parameter: 'file'.", param: 'file' });
    if (!purpose) return openaiError({ status: 400, message: "Missing required parameter: 'purpose'.", param: 'purpose' });
    const stored: StoredFile = {
      id: nextId('file-'),
      filename: file.filename ?? 'upload',
      purpose,
      content: file.content,
      createdAt: now(),
    };
    files.set(stored.id, stored);
    return json(200, fileObject(stored));
  });
  server.route(/^\/v1\/files\/[^/]+\/content$/, (request) => {
    const id = request.path.split('/')[3] ?? '';
    const file = files.get(id);
    if (!file) return openaiError({ status: 404, message: `No such File object: ${id}`, param: 'id' });
    return { raw: file.content, contentType: 'application/octet-stream' };
  });
  server.route(/^\/v1\/files\/[^/]+$/, (request) => {
    const id = request.path.split('/')[3] ?? '';
    const file = files.get(id);
    return file ? json(200, fileObject(file)) : openaiError({ status: 404, message: `No such File object: ${id}`, param: 'id' });
  });

  // ---- OpenAI Batch API ---------------------------------------------------------------------
  const runOpenAIBatch = async (
    batch: Record<string, unknown>,
    lines: { custom_id: string; url: string; body: unknown }[],
    auth: Record<string, string>,
  ) => {
    const id = batch.id as string;
    const started = Date.now();
    // The create response says `validating`; the job starts after it.
    await new Promise((resolve) => setImmediate(resolve));
    Object.assign(batch, { status: 'in_progress', in_progress_at: now() });
    const output: string[] = [];
    const errors: string[] = [];
    const counts = batch.request_counts as { total: number; completed: number; failed: number };
    await runAll(
      lines,
      async (line) => {
        const reply = await dispatch(line.url, line.body, auth);
        const record = {
          id: nextId('batch_req_'),
          custom_id: line.custom_id,
          response: { status_code: reply.status, request_id: nextId('req_'), body: reply.body },
          error: null,
        };
        if (reply.status >= 200 && reply.status < 300) {
          counts.completed += 1;
          output.push(JSON.stringify(record));
        } else {
          counts.failed += 1;
          errors.push(JSON.stringify(record));
        }
      },
      () => cancelled.has(id),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, processingMs - (Date.now() - started))));
    if (cancelled.has(id)) {
      Object.assign(batch, { status: 'cancelled', cancelled_at: now() });
      return;
    }
    const store = (lines: string[], name: string) => {
      if (lines.length === 0) return null;
      const file: StoredFile = {
        id: nextId('file-'),
        filename: name,
        purpose: 'batch_output',
        content: `${lines.join('\n')}\n`,
        createdAt: now(),
      };
      files.set(file.id, file);
      return file.id;
    };
    Object.assign(batch, {
      status: 'finalizing',
      finalizing_at: now(),
    });
    Object.assign(batch, {
      status: 'completed',
      completed_at: now(),
      output_file_id: store(output, `${id}_output.jsonl`),
      error_file_id: store(errors, `${id}_error.jsonl`),
    });
  };

  server.route(/^\/v1\/batches$/, (request) => {
    if (request.method !== 'POST') return json(200, { object: 'list', data: [...openaiBatches.values()], has_more: false });
    const body = (request.body ?? {}) as { input_file_id?: string; endpoint?: string; completion_window?: string; metadata?: unknown };
    const file = body.input_file_id ? files.get(body.input_file_id) : undefined;
    if (!file)
      return openaiError({
        status: 400,
        message: `Invalid 'input_file_id': ${JSON.stringify(body.input_file_id)}.`,
        param: 'input_file_id',
      });
    if (!body.endpoint || !OPENAI_ENDPOINTS.includes(body.endpoint)) {
      return openaiError({ status: 400, message: `Invalid 'endpoint': ${JSON.stringify(body.endpoint)}.`, param: 'endpoint' });
    }
    if (body.completion_window !== '24h') {
      return openaiError({
        status: 400,
        message: `Invalid 'completion_window': ${JSON.stringify(body.completion_window)}. Supported: '24h'.`,
        param: 'completion_window',
      });
    }
    const lines: { custom_id: string; method: string; url: string; body: unknown }[] = [];
    for (const [index, text] of file.content.split('\n').entries()) {
      if (text.trim() === '') continue;
      let line: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
      try {
        line = JSON.parse(text) as typeof line;
      } catch {
        return openaiError({ status: 400, message: `Line ${index + 1} of the input file is not valid JSON.`, param: 'input_file_id' });
      }
      if (typeof line.custom_id !== 'string' || line.method !== 'POST' || line.url !== body.endpoint || typeof line.body !== 'object') {
        return openaiError({
          status: 400,
          message: `Line ${index + 1} of the input file needs custom_id, method "POST", url "${body.endpoint}" and a body.`,
          param: 'input_file_id',
        });
      }
      if (lines.some((other) => other.custom_id === line.custom_id)) {
        return openaiError({
          status: 400,
          message: `Duplicate custom_id ${JSON.stringify(line.custom_id)} in the input file.`,
          param: 'input_file_id',
        });
      }
      lines.push(line as { custom_id: string; method: string; url: string; body: unknown });
    }
    const batch: Record<string, unknown> = {
      id: nextId('batch_'),
      object: 'batch',
      endpoint: body.endpoint,
      errors: null,
      input_file_id: file.id,
      completion_window: '24h',
      status: 'validating',
      output_file_id: null,
      error_file_id: null,
      created_at: now(),
      in_progress_at: null,
      expires_at: now() + 86_400,
      finalizing_at: null,
      completed_at: null,
      failed_at: null,
      expired_at: null,
      cancelling_at: null,
      cancelled_at: null,
      request_counts: { total: lines.length, completed: 0, failed: 0 },
      metadata: body.metadata ?? null,
    };
    openaiBatches.set(batch.id as string, batch);
    const auth: Record<string, string> = request.headers.authorization ? { authorization: request.headers.authorization } : {};
    void runOpenAIBatch(batch, lines, auth);
    return json(200, { ...batch });
  });
  server.route(/^\/v1\/batches\/[^/]+\/cancel$/, (request) => {
    const id = request.path.split('/')[3] ?? '';
    const batch = openaiBatches.get(id);
    if (!batch) return openaiError({ status: 404, message: `No such Batch object: ${id}`, param: 'id' });
    if (batch.status === 'validating' || batch.status === 'in_progress') {
      cancelled.add(id);
      Object.assign(batch, { status: 'cancelling', cancelling_at: now() });
    }
    return json(200, { ...batch });
  });
  server.route(/^\/v1\/batches\/[^/]+$/, (request) => {
    const id = request.path.split('/')[3] ?? '';
    const batch = openaiBatches.get(id);
    return batch ? json(200, { ...batch }) : openaiError({ status: 404, message: `No such Batch object: ${id}`, param: 'id' });
  });

  // ---- Anthropic Message Batches --------------------------------------------------------------
  const runAnthropicBatch = async (
    batch: Record<string, unknown>,
    requests: { custom_id: string; params: unknown }[],
    auth: Record<string, string>,
  ) => {
    const id = batch.id as string;
    const started = Date.now();
    const counts = batch.request_counts as Record<string, number>;
    const results = new Map<number, string>();
    await runAll(
      requests,
      async (item, index) => {
        const reply = await dispatch('/v1/messages', item.params, auth);
        counts.processing = (counts.processing ?? 0) - 1;
        if (reply.status >= 200 && reply.status < 300) {
          counts.succeeded = (counts.succeeded ?? 0) + 1;
          results.set(index, JSON.stringify({ custom_id: item.custom_id, result: { type: 'succeeded', message: reply.body } }));
        } else {
          counts.errored = (counts.errored ?? 0) + 1;
          results.set(index, JSON.stringify({ custom_id: item.custom_id, result: { type: 'errored', error: reply.body } }));
        }
      },
      () => cancelled.has(id),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, processingMs - (Date.now() - started))));
    for (const [index, item] of requests.entries()) {
      if (results.has(index)) continue;
      counts.processing = (counts.processing ?? 0) - 1;
      counts.canceled = (counts.canceled ?? 0) + 1;
      results.set(index, JSON.stringify({ custom_id: item.custom_id, result: { type: 'canceled' } }));
    }
    anthropicResults.set(
      id,
      `${[...results.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, line]) => line)
        .join('\n')}\n`,
    );
    Object.assign(batch, {
      processing_status: 'ended',
      ended_at: new Date().toISOString(),
      results_url: `${server.url}/v1/messages/batches/${id}/results`,
    });
  };

  server.route(/^\/v1\/messages\/batches$/, (request) => {
    if (request.method !== 'POST')
      return json(200, { data: [...anthropicBatches.values()], has_more: false, first_id: null, last_id: null });
    const body = (request.body ?? {}) as { requests?: unknown };
    const items = Array.isArray(body.requests) ? (body.requests as { custom_id?: unknown; params?: unknown }[]) : undefined;
    if (!items || items.length === 0)
      return anthropicError({ status: 400, type: 'invalid_request_error', message: 'requests: at least one request is required' });
    const seen = new Set<string>();
    for (const [index, item] of items.entries()) {
      if (
        typeof item.custom_id !== 'string' ||
        !/^[a-zA-Z0-9_-]{1,64}$/.test(item.custom_id) ||
        typeof item.params !== 'object' ||
        item.params === null
      ) {
        return anthropicError({
          status: 400,
          type: 'invalid_request_error',
          message: `requests.${index}: custom_id must match ^[a-zA-Z0-9_-]{1,64}$ and params must be an object`,
        });
      }
      if (seen.has(item.custom_id))
        return anthropicError({
          status: 400,
          type: 'invalid_request_error',
          message: `requests.${index}.custom_id: duplicate ${JSON.stringify(item.custom_id)}`,
        });
      seen.add(item.custom_id);
    }
    const created = new Date();
    const batch: Record<string, unknown> = {
      id: nextId('msgbatch_'),
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: items.length, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    };
    anthropicBatches.set(batch.id as string, batch);
    const auth: Record<string, string> = {};
    for (const name of ['x-api-key', 'anthropic-version']) if (request.headers[name]) auth[name] = request.headers[name] as string;
    void runAnthropicBatch(batch, items as { custom_id: string; params: unknown }[], auth);
    return json(200, { ...batch });
  });
  server.route(/^\/v1\/messages\/batches\/[^/]+\/results$/, (request) => {
    const id = request.path.split('/')[4] ?? '';
    const results = anthropicResults.get(id);
    if (!anthropicBatches.has(id)) return anthropicError({ status: 404, type: 'not_found_error', message: `No message batch ${id}` });
    if (results === undefined)
      return anthropicError({ status: 400, type: 'invalid_request_error', message: `Message batch ${id} has not ended yet.` });
    return { raw: results, contentType: 'application/binary' };
  });
  server.route(/^\/v1\/messages\/batches\/[^/]+\/cancel$/, (request) => {
    const id = request.path.split('/')[4] ?? '';
    const batch = anthropicBatches.get(id);
    if (!batch) return anthropicError({ status: 404, type: 'not_found_error', message: `No message batch ${id}` });
    if (batch.processing_status === 'in_progress') {
      cancelled.add(id);
      Object.assign(batch, { processing_status: 'canceling', cancel_initiated_at: new Date().toISOString() });
    }
    return json(200, { ...batch });
  });
  server.route(/^\/v1\/messages\/batches\/[^/]+$/, (request) => {
    const id = request.path.split('/')[4] ?? '';
    const batch = anthropicBatches.get(id);
    return batch ? json(200, { ...batch }) : anthropicError({ status: 404, type: 'not_found_error', message: `No message batch ${id}` });
  });

  return { files, openaiBatches, anthropicBatches };
}

function fileObject(file: StoredFile): Record<string, unknown> {
  return {
    id: file.id,
    object: 'file',
    bytes: Buffer.byteLength(file.content),
    created_at: file.createdAt,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    expires_at: null,
    status_details: null,
  };
}

interface Part {
  readonly name: string;
  readonly filename?: string;
  readonly content: string;
}

/** The parts of a `multipart/form-data` body. */
function multipart(request: CapturedRequest): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(request.headers['content-type'] ?? '');
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return [];
  const parts: Part[] = [];
  for (const chunk of request.rawBody.split(`--${marker}`)) {
    const split = chunk.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = chunk.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    const content = chunk.slice(split + 4).replace(/\r\n$/, '');
    parts.push({ name, ...(filename === undefined ? {} : { filename }), content });
  }
  return parts;
}
