#!/usr/bin/env bash
# Headline benchmark (not a test): zerogo's MCTS against GNU Go 3.8 level 10 on 9x9.
#
#   scripts/match_gnugo.sh            # 100 games, 1 s per move, takes about an hour
#   GAMES=10 scripts/match_gnugo.sh   # a quick look
#
# Every setting can be overridden by an environment variable:
#   ZEROGO_ENGINE   first engine     (default: zerogo gtp --player mcts --seconds 1)
#   GNUGO_ENGINE    second engine    (default: /usr/games/gnugo --mode gtp --level 10 --chinese-rules)
#   GAMES SIZE KOMI TIME             (defaults: 100 9 7.5 1)
#   RESULTS_DIR                      (default: results/); EXTRA_ARGS: more flags for zerogo match
# GNU Go plays by level, not by clock: it is held only to the hang guard (--untimed-engine2),
# zerogo to TIME seconds per move (forfeit beyond max(2*TIME, TIME+1)).
# The JSON report is saved as $RESULTS_DIR/match_gnugo_<timestamp>.json (SGF files next to
# it in a folder of the same name) and printed.
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ -x .venv/bin/python ]]; then
    PYTHON=${PYTHON:-.venv/bin/python}
else
    PYTHON=${PYTHON:-python3}
fi

ZEROGO_ENGINE=${ZEROGO_ENGINE:-"$PYTHON -m zerogo gtp --player mcts --seconds 1"}
GNUGO_ENGINE=${GNUGO_ENGINE:-"/usr/games/gnugo --mode gtp --level 10 --chinese-rules"}
GAMES=${GAMES:-100}
SIZE=${SIZE:-9}
KOMI=${KOMI:-7.5}
TIME=${TIME:-1}
RESULTS_DIR=${RESULTS_DIR:-results}
EXTRA_ARGS=${EXTRA_ARGS:-}

stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$RESULTS_DIR"
out="$RESULTS_DIR/match_gnugo_$stamp.json"

# shellcheck disable=SC2086  # EXTRA_ARGS is split on purpose
"$PYTHON" -m zerogo match \
    --engine1 "$ZEROGO_ENGINE" \
    --engine2 "$GNUGO_ENGINE" \
    -n "$GAMES" --size "$SIZE" --komi "$KOMI" --time "$TIME" \
    --sgf-dir "$RESULTS_DIR/match_gnugo_$stamp" \
    --untimed-engine2 --json $EXTRA_ARGS > "$out"

echo "results: $out" >&2
cat "$out"
