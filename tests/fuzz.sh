#!/usr/bin/env bash
# Run every fuzz target in tests/it/fuzz.rs for a bounded time with many cases.
#   tests/fuzz.sh            # 60 s per target
#   FUZZ_SECONDS=600 tests/fuzz.sh records::   # only the targets matching a filter
# Each round draws fresh random inputs; a failure is shrunk, saved in
# tests/it/fuzz.proptest-regressions (commit it) and stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
# cargo test runs the targets on a fixed seed; here every round draws new inputs.
export FUZZ_FRESH_SEEDS=1
filter=${1:-}
# Built once; the rounds run the binary, so editing the sources meanwhile is harmless.
binary=$(cargo test --release --test it --no-run 2>&1 | grep -o 'target/release/deps/it-[0-9a-f]*' | head -1)
[ -x "$binary" ] || { echo "the fuzz targets do not build" >&2; exit 1; }
targets=$("$binary" --list 2>/dev/null | sed -n 's/: test$//p' | grep '^fuzz::' | grep -v '^fuzz::found::' | grep -- "$filter" || true)

for target in $targets; do
  # Rounds of a few seconds each, so the time bound holds.
  case $target in
    fuzz::records::*) chunk=200 ;;             # a database or an engine per case
    fuzz::destinations_*) chunk=2000 ;;        # a folder per case
    *) chunk=20000 ;;
  esac
  start=$SECONDS rounds=0
  while (( SECONDS - start < seconds )); do
    PROPTEST_CASES=$chunk "$binary" --exact "$target" >/tmp/ferry-fuzz.log 2>&1 || {
      echo "FAILED: $target (see tests/it/fuzz.proptest-regressions)"
      grep -E "minimal failing input|Test failed" /tmp/ferry-fuzz.log | head -5
      exit 1
    }
    rounds=$((rounds + 1))
  done
  printf '%-70s %9d cases in %3d s, no failure\n' "$target" $((rounds * chunk)) $((SECONDS - start))
done
