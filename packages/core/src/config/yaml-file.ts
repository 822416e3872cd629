import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type * as Yaml from 'yaml';
import { ConfigError } from '../errors.js';

// yaml is loaded on the first config read, not when @lllm/core is imported (it was a large part of
// core's import time, and a program that never reads a YAML config never needs it).
const requireModule = createRequire(import.meta.url);

/**
 * Read one YAML file. A missing file, a syntax error (with line and column) or an alias bomb is a
 * `ConfigError` naming the file.
 */
export function readYamlFile(file: string): unknown {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`The system config ${path} does not exist.`, { file: path });
  const { parseDocument } = requireModule('yaml') as typeof Yaml;
  const document = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => {
      const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [0, 0];
      return `line ${line}, column ${column}: ${error.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${path}: invalid YAML:\n${problems.map((p) => `- ${p}`).join('\n')}`, { file: path, problems });
  }
  try {
    // Aliases are capped (the yaml default, explicit here): a few lines of nested aliases ("billion
    // laughs") would otherwise expand into gigabytes.
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const aliases = /alias/i.test(message);
    throw new ConfigError(
      `${path}: invalid YAML: ${message}${aliases ? ' (more than 100 alias expansions). Write the values out instead of nesting aliases.' : ''}`,
      { file: path, problems: [aliases ? 'too many alias expansions' : message], cause: error },
    );
  }
}
