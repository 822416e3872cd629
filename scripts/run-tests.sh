#!/usr/bin/env bash
# The README's test command: set up everything (Node 22, pnpm, dependencies, Debian packages for
# the integration tests), build, typecheck, lint, and run the whole test suite:
#   1. the main suite with the recorded provider payloads hidden — it must pass on any fresh clone;
#   2. the conformance layer, which replays the genuine recordings in ../shared/fixtures/real-api
#      (or $LLLM_FIXTURES_DIR) when they are there and says in one line why it skipped when not;
#   3. the registry end-to-end suite: a release to a local Verdaccio, then scaffold, install and
#      upgrade from it in folders outside the repository (it releases the committed HEAD).
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
# Proxies cache responses by default (~/.lllm/cache): the tests keep theirs in a throwaway folder.
LLLM_CACHE_DIR="$(mktemp -d)"
export LLLM_CACHE_DIR
trap 'rm -rf "$summaries" "$LLLM_CACHE_DIR"' EXIT
run_suite() { LLLM_TEST_SUMMARY_FILE="$summaries" node scripts/test.mjs "$@"; }
echo "» main suite, recorded payloads hidden"
LLLM_FIXTURES=off run_suite || status=$?
echo "» conformance layer"
if [ "${CI:-}" = "true" ]; then
  LLLM_FIXTURES=required run_suite --project conformance || status=$?
else
  run_suite --project conformance || status=$?
fi
echo "» registry end-to-end: release to a local Verdaccio, then create, install, upgrade from it"
registry_log="$(mktemp)"
set +e
node scripts/registry-e2e.mjs 2>&1 | tee "$registry_log"
registry_status=${PIPESTATUS[0]}
set -e
[ "$registry_status" -eq 0 ] || status=$registry_status
# node:test closes with "# pass N" / "# fail N": counted in the total below.
awk '/^# pass /{p=$3} /^# fail /{f=$3} END{printf "tests: %d passed, %d failed\n", p, f}' "$registry_log" >>"$summaries"
rm -f "$registry_log"
# One closing line for the whole run (all parts).
awk '{ for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^skipped/) s += $i } }
     END { printf "tests: %d passed, %d failed%s\n", p, f, (s ? ", " s " skipped" : "") }' "$summaries"
exit "$status"
