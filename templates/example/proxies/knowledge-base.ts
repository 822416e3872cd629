// An internal knowledge base, the Python LLLM example's `kb` proxy (a stub upstream, no endpoints):
// here a folder of Markdown and text notes (default `kb/` in the working directory, or `$KB_DIR`),
// searched by keywords and read by file, served in code. Nothing leaves the machine.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { defineProxy, type ProxyDefinition, ProxyError } from '@lllm/proxy';
import { z } from 'zod';

/** Where the notes are. */
export interface KnowledgeBaseOptions {
  /** Default `$KB_DIR`, else `kb` under the working directory. */
  readonly directory?: string;
}

const NOTE = /\.(md|markdown|txt)$/i;
const MAX_FILES = 5000;

function notes(root: string): string[] {
  const found: string[] = [];
  const walk = (folder: string, depth: number) => {
    if (depth > 8) return;
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (found.length >= MAX_FILES) return;
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path, depth + 1);
      else if (NOTE.test(name)) found.push(path);
    }
  };
  walk(root, 0);
  return found;
}

/** The knowledge-base proxy over a folder of notes. */
export function knowledgeBaseProxy(options: KnowledgeBaseOptions = {}): ProxyDefinition {
  const root = () => resolve(options.directory ?? process.env.KB_DIR ?? 'kb');
  return defineProxy({
    path: 'kb',
    name: 'Internal Knowledge Base',
    description: "The team's own notes (Markdown and text files): search them by keywords, then read a note.",
    endpoints: [
      {
        category: 'notes',
        endpoint: '/search',
        key: 'search',
        name: 'Search notes',
        description: 'Notes containing every keyword (case-insensitive), with the matching lines.',
        parameters: z.object({
          query: z.string().min(1).describe('Keywords, e.g. "pricing policy"'),
          limit: z.number().int().min(1).max(50).optional().describe('At most this many notes (default 10)'),
        }),
        examples: { query: 'pricing policy', limit: 5 },
        exampleResponse: { results: [{ file: 'policies/pricing.md', lines: ['Our pricing policy: …'] }] },
        handler: (params) => {
          const base = root();
          const words = String(params.query).toLowerCase().split(/\s+/).filter(Boolean);
          const limit = Number(params.limit ?? 10);
          const results: { file: string; lines: string[] }[] = [];
          for (const file of notes(base)) {
            const text = readFileSync(file, 'utf8');
            const lower = text.toLowerCase();
            if (!words.every((word) => lower.includes(word))) continue;
            const lines = text.split('\n').filter((line) => words.some((word) => line.toLowerCase().includes(word)));
            results.push({ file: relative(base, file).split(sep).join('/'), lines: lines.slice(0, 5) });
            if (results.length >= limit) break;
          }
          return { results };
        },
      },
      {
        category: 'notes',
        endpoint: '/read',
        key: 'read',
        name: 'Read a note',
        description: 'The full text of one note, by the file name search returned.',
        parameters: z.object({ file: z.string().min(1).describe('A file from search, e.g. "policies/pricing.md"') }),
        examples: { file: 'policies/pricing.md' },
        exampleResponse: { file: 'policies/pricing.md', text: '# Pricing\n…' },
        handler: (params) => {
          const base = root();
          const path = resolve(base, String(params.file));
          if (!path.startsWith(base + sep) || !NOTE.test(path)) {
            throw new ProxyError(
              `kb/notes/read: "${String(params.file)}" is not a note of the knowledge base: use a file that search returned.`,
              {
                kind: 'validation',
                path: 'kb/notes/read',
              },
            );
          }
          try {
            return { file: relative(base, path).split(sep).join('/'), text: readFileSync(path, 'utf8') };
          } catch {
            throw new ProxyError(`kb/notes/read: no note "${String(params.file)}" in ${base}: use a file that search returned.`, {
              kind: 'not_found',
              path: 'kb/notes/read',
            });
          }
        },
      },
    ],
  });
}

/** The knowledge base in `$KB_DIR` or `./kb`: discovery registers it as `kb`. */
export const kb = knowledgeBaseProxy();
