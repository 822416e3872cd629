#!/usr/bin/env bash
# The README's main command: set up (Node 22, pnpm, dependencies), build, and run the example
# system end to end through `lllm run`: discovery, config, two agents, tool calls, structured
# output, logs. The provider comes from the environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, or
# OPENAI_BASE_URL for any OpenAI-compatible server); with none set, lllm says what to set and runs
# the same system on a scripted model, labelled as scripted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
pnpm build
cd "$LLLM_ROOT/templates/example"
task="${*:-How many more people live in Tokyo than in Paris?}"
pnpm exec lllm run "$task"
session="$(pnpm exec lllm replay --config example 2>/dev/null | sed -n '2p' | awk '{print $1}')"
if [ -n "$session" ]; then
  echo
  echo "» The logged session, replayed (lllm replay $session):"
  pnpm exec lllm replay "$session"
fi
