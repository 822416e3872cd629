#!/usr/bin/env bash
# The README's main command: set up (Node 22, pnpm, dependencies), build, and run the example.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
pnpm build
pnpm example "$@"
