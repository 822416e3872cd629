// `lllm replay [session]`: a logged session as a transcript (or JSON), the recent sessions, a search
// across sessions, or the local replay viewer (--serve).
import { createLogStore, redactSecrets } from '@lllm/core';
import { ReplaySession, renderTranscript, searchLog, serveReplayViewer } from '@lllm/log';
import { colorEnabled, type Io, line, note, printJson, UsageError } from '../io.js';
import { loadConfig, loadProject } from '../runtime.js';
import { shown } from './shared.js';

/** Options of `lllm replay`. */
export interface ReplayOptions {
  readonly config?: string;
  readonly serve?: boolean;
  readonly port?: string;
  readonly color?: boolean;
  readonly json?: boolean;
  readonly search?: string;
  readonly limit?: string;
}

export async function commandReplay(session: string | undefined, options: ReplayOptions, io: Io): Promise<number> {
  const port = options.port === undefined ? 0 : Number(options.port);
  if (options.serve && (!/^\d+$/.test(options.port ?? '0') || port > 65_535))
    throw new UsageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(options.port)}`);
  const limit = options.limit === undefined ? 20 : Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw new UsageError(`--limit must be a whole number from 1 to 10000, got ${JSON.stringify(options.limit)}`);
  const project = await loadProject({ cwd: io.cwd, env: io.env });
  const config = loadConfig(project, options.config);
  const store = await createLogStore({ type: config.log_type, directory: config.log_dir, options: config.log_options });
  try {
    if (options.serve) {
      if (session !== undefined) await ReplaySession.load(store, session);
      const viewer = await serveReplayViewer({ store, port });
      const url = session === undefined ? viewer.url : `${viewer.url}&session=${encodeURIComponent(session)}`;
      line(io, `Replay viewer: ${url} (Ctrl+C to stop; the token in the address is required)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await viewer.close();
      return 0;
    }
    if (options.search !== undefined) {
      const hits = await searchLog(store, options.search, { ...(session === undefined ? {} : { session }), limit });
      if (options.json) {
        printJson(io, { query: options.search, method: hits.method, hits: hits.hits });
        return 0;
      }
      note(
        io,
        `${hits.hits.length} match${hits.hits.length === 1 ? '' : 'es'} (${hits.method === 'fts5' ? 'SQLite FTS5' : hits.method === 'tsvector' ? 'PostgreSQL full-text' : 'scan'})`,
      );
      for (const hit of hits.hits) {
        line(
          io,
          `${shown(hit.session)}  ${shown(hit.dialogId.slice(0, 8))}#${hit.index}  ${shown(hit.role)} · ${shown(hit.creator)}${hit.promptPath ? ` [${shown(hit.promptPath)}]` : ''}${hit.pruned ? ' ✂' : ''}`,
        );
        line(io, `  ${shown(hit.snippet)}`);
      }
      return 0;
    }
    if (!session) {
      const recent = await store.sessions({ limit });
      if (options.json) {
        printJson(io, { sessions: recent });
        return 0;
      }
      line(io, recent.length ? 'Recent sessions:' : 'No logged sessions yet.');
      for (const info of recent) line(io, `  ${shown(info.session)}  ${new Date(info.lastTime).toISOString()}  ${info.entries} entries`);
      return 0;
    }
    const replay = await ReplaySession.load(store, session);
    if (options.json) printJson(io, redactSecrets(replay.toJSON()));
    else line(io, renderTranscript(replay, { color: options.color ?? colorEnabled(io.stdout, io.env) }));
    return 0;
  } finally {
    await store.close();
  }
}
