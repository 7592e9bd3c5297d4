#!/usr/bin/env bash
# Playout speed: light (headline) and heavy playouts, 9x9 and 19x19, 1 and 2 threads.
# Prints one JSON object per line; run on an otherwise idle machine and compare ratios
# within one run.
#
#   scripts/bench_playouts.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ZEROGO=${ZEROGO:-.venv/bin/zerogo}
SECONDS_EACH=${1:-5}
for policy in light heavy; do
  for size in 9 19; do
    for threads in 1 2; do
      "$ZEROGO" bench playouts --policy "$policy" --size "$size" --threads "$threads" \
        --seconds "$SECONDS_EACH" --json
    done
  done
done
