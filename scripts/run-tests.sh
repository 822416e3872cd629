#!/usr/bin/env bash
# The README's test command: set up everything (Node 22, pnpm, dependencies, Debian packages for
# the integration tests), build, typecheck, lint, and run the whole test suite:
#   1. the main suite with the recorded provider payloads hidden — it must pass on any fresh clone;
#   2. the conformance layer, which replays the genuine recordings in ../shared/fixtures/real-api
#      (or $LLLM_FIXTURES_DIR) when they are there and says in one line why it skipped when not.
# Under CI=true the recordings are required (CI always has them beside the clone).
set -euo pipefail
export LLLM_APT="${LLLM_APT:-1}"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
pnpm build
pnpm typecheck
pnpm lint
# The public API as written down in api/*.api.md (a change to it is a deliberate, visible diff),
# and the packed tarballs: publint --strict, attw, and a clean install outside the repository.
node scripts/check-api.mjs --no-build
node scripts/check-packages.mjs
status=0
summaries="$(mktemp)"
trap 'rm -f "$summaries"' EXIT
run_suite() { LLLM_TEST_SUMMARY_FILE="$summaries" node scripts/test.mjs "$@"; }
echo "» main suite, recorded payloads hidden"
LLLM_FIXTURES=off run_suite || status=$?
echo "» conformance layer"
if [ "${CI:-}" = "true" ]; then
  LLLM_FIXTURES=required run_suite --project conformance || status=$?
else
  run_suite --project conformance || status=$?
fi
# One closing line for the whole run (both parts).
awk '{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
     END { printf "tests: %d passed, %d failed%s\n", p, f, (s ? ", " s " skipped" : "") }' "$summaries"
exit "$status"
