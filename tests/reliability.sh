#!/usr/bin/env bash
# The README's Reliability table, made from what the fault suites print: each
# test that tries a fault prints `reliability: fault | runs | outcome`.
#   tests/reliability.sh            # prints the Markdown table
#   FERRY_KILLS=50 tests/reliability.sh
set -euo pipefail
cd "$(dirname "$0")/.."
suites=(faults:: kill_loop:: many:: security:: download:: tls:: segmented:: cli:: upload:: access:: desktop:: network::)
out=$(cargo test --test it -- "${suites[@]}" --nocapture --test-threads=2 2>&1) || {
  printf '%s\n' "$out" >target/reliability.log
  printf '%s\n' "$out" | grep -E -A3 "panicked|FAILED" >&2
  echo "a fault test failed; no table (the whole output: target/reliability.log)" >&2
  exit 1
}
echo "| Fault tried | Runs | Outcome |"
echo "|---|---|---|"
printf '%s\n' "$out" | sed -n 's/^reliability: //p' | sort |
  awk -F' [|] ' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
