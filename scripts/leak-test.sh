#!/usr/bin/env bash
# The randomised TLP leak test (test/http/leak.test.ts, issue 4) with many worlds:
# rounds with consecutive seeds from a random base seed, on PGlite and, when
# TAXII_TEST_DATABASE_URL is set, on PostgreSQL too (same seeds).
#
#   scripts/leak-test.sh [rounds] [base-seed]      (defaults: 20 rounds, random seed)
#
# Every round prints its seed; replay a failing round alone with
#   TAXII_LEAK_SEED=<seed> TAXII_LEAK_ROUNDS=1 npx tap test/http/leak.test.ts
set -uo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-${TAXII_LEAK_ROUNDS:-20}}
seed=${2:-$(( (RANDOM << 15 | RANDOM) % 1000000000 ))}
last=$(( seed + rounds - 1 ))
# A round takes up to ~90 s on PGlite.
timeout=$(( rounds * 120 + 60 ))

echo "leak test: ${rounds} rounds, seeds ${seed}..${last}"
echo "replay all:  TAXII_LEAK_SEED=${seed} TAXII_LEAK_ROUNDS=${rounds} npx tap test/http/leak.test.ts"
echo "replay one:  TAXII_LEAK_SEED=<seed of the failing round> TAXII_LEAK_ROUNDS=1 npx tap test/http/leak.test.ts"

failed=()
run() {
  local label=$1
  shift
  echo
  echo "=== ${label}: seeds ${seed}..${last}"
  if env "$@" TAXII_LEAK_SEED="$seed" TAXII_LEAK_ROUNDS="$rounds" npx tap --timeout="$timeout" --disable-coverage test/http/leak.test.ts; then
    echo "=== ${label}: passed (seeds ${seed}..${last})"
  else
    echo "=== ${label}: FAILED (seeds ${seed}..${last}; the failing rounds are named 'leak test, seed N' above)"
    failed+=("$label")
  fi
}

run PGlite -u TAXII_TEST_DATABASE_URL
if [ -n "${TAXII_TEST_DATABASE_URL:-}" ]; then
  run PostgreSQL TAXII_TEST_DATABASE_URL="$TAXII_TEST_DATABASE_URL"
else
  echo
  echo "(TAXII_TEST_DATABASE_URL not set: PostgreSQL skipped)"
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "leak test FAILED on: ${failed[*]} (seeds ${seed}..${last})"
  exit 1
fi
echo "leak test passed: ${rounds} rounds, seeds ${seed}..${last}"
