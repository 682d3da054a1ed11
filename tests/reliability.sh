#!/usr/bin/env bash
# The README's Reliability table, made from what the fault suites print: each
# test that tries a fault prints `reliability: fault | runs | outcome`.
#   tests/reliability.sh            # prints the Markdown table
#   FERRY_KILLS=50 tests/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
suites=(--test faults --test kill_loop --test many --test security --test download --test tls --test segmented)
out=$(cargo test "${suites[@]}" -- --nocapture --test-threads=2 2>&1) || {
  printf '%s\n' "$out" | grep -E "panicked|FAILED" >&2
  echo "a fault test failed; no table" >&2
  exit 1
}
echo "| Fault tried | Runs | Outcome |"
echo "|---|---|---|"
printf '%s\n' "$out" | sed -n 's/^reliability: //p' | sort |
  awk -F' [|] ' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
