#!/usr/bin/env bash
# The kill-loop tests with 50 kills each instead of 10: the agent is SIGKILLed at
# random moments of a single-stream download, a 4-connection download and a tus
# upload, and every time the result must come whole.
#   tests/kill-loop.sh              # 50 kills
#   FERRY_KILLS=200 tests/kill-loop.sh
#   FERRY_SEED=12345 tests/kill-loop.sh   # replay the moments of a failed run
set -euo pipefail
cd "$(dirname "$0")/.."
export FERRY_KILLS=${FERRY_KILLS:-50}
cargo test --test it kill_loop:: -- --nocapture --test-threads=1 2>&1 |
  grep -E "FERRY_SEED|kills|^reliability:|^test |panicked|test result"
