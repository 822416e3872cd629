#!/usr/bin/env bash
# The README's test command: set up everything (Node 22, pnpm, dependencies, Debian packages for
# the integration tests), build, typecheck, lint, and run the whole test suite.
set -euo pipefail
export LLLM_APT="${LLLM_APT:-1}"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
pnpm build
pnpm typecheck
pnpm lint
pnpm test
