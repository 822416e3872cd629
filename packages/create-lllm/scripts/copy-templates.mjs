// Ship the repository's templates inside create-lllm, so `pnpm create lllm` needs nothing else.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../templates/', import.meta.url));
const target = fileURLToPath(new URL('../templates/', import.meta.url));
if (!existsSync(source)) throw new Error(`create-lllm build: the templates are missing at ${source}`);
rmSync(target, { recursive: true, force: true });
cpSync(source, target, {
  recursive: true,
  filter: (path) => !/[/\\](node_modules|logs|dist|ckpt|\.turbo|\.env)([/\\]|$)/.test(path),
});
