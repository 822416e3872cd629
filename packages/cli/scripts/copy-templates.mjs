// Ship the repository's templates inside the package, so `lllm create` works from npm.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../../templates/', import.meta.url));
const target = fileURLToPath(new URL('../templates/', import.meta.url));
rmSync(target, { recursive: true, force: true });
if (existsSync(source)) {
  cpSync(source, target, {
    recursive: true,
    filter: (path) => !/[/\\](node_modules|logs|dist|\.turbo)([/\\]|$)/.test(path),
  });
}
