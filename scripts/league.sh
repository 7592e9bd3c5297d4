#!/usr/bin/env bash
# The league (a benchmark, not a test): random, pure MCTS, policy gradient, DQN and the best
# AlphaGo Zero network of a training run play a round robin through GTP on 9x9, and are rated
# by maximum-likelihood Elo (random = 0), at equal training compute.
#
#   scripts/league.sh                                   # runs/9x9-main; trains PG and DQN first
#   PG_WEIGHTS=pg9.pt DQN_WEIGHTS=dqn9.pt scripts/league.sh   # baselines already trained
#   SIZE=5 KOMI=0.5 GAMES=2 BUDGET=20 RUN_DIR=runs/5x5 scripts/league.sh   # a quick look
#
# Equal training compute: unless PG_WEIGHTS / DQN_WEIGHTS are given, each baseline is trained
# (zerogo baseline pg|dqn --max-cpu-seconds BUDGET, one torch thread) until its training
# process has used BUDGET CPU-seconds, BUDGET being by default the core-seconds the run spent
# to produce its best network (self-play + training + gating, from the run's logs; see
# zerogo/league.py).  The trained files are kept in BASELINE_DIR and reused by later calls.
#
# Settings (environment variables):
#   RUN_DIR        zerogo train run directory whose best network plays  (runs/9x9-main)
#   SIZE KOMI      board and komi                                        (9 7.5)
#   GAMES          games per pair, colours alternating                   (20)
#   MCTS_PLAYOUTS  pure MCTS playouts per move                           (400)
#   NET_VISITS     PUCT visits per move of the network                   (200)
#   OPENING_MOVES  random plies starting each two games of a pair        (4)
#   PARALLEL       pairs played at once                                  (1)
#   BUDGET         training CPU-seconds of each baseline                 (the network's)
#   PG_WEIGHTS DQN_WEIGHTS   existing baseline checkpoints               (train them)
#   BASELINE_DIR   where trained baselines go                            (runs/baselines)
#   PG_ARGS DQN_ARGS         more flags for zerogo baseline pg / dqn
#   OUT_DIR        results folder; an existing one resumes its pairs     (results/league<SIZE>)
#   EXTRA_ARGS     more flags for zerogo league, e.g.
#                  --engine "gnugo=/usr/games/gnugo --mode gtp --level 10 --chinese-rules"
# Writes OUT_DIR/league.json, league.md (paste into BENCHMARKS.md), league.png, pairs.jsonl
# and the games as SGF under OUT_DIR/sgf/, then prints the Markdown.
set -euo pipefail

cd "$(dirname "$0")/.."
if [[ -x .venv/bin/python ]]; then
    PYTHON=${PYTHON:-.venv/bin/python}
else
    PYTHON=${PYTHON:-python3}
fi

RUN_DIR=${RUN_DIR:-runs/9x9-main}
SIZE=${SIZE:-9}
KOMI=${KOMI:-7.5}
GAMES=${GAMES:-20}
MCTS_PLAYOUTS=${MCTS_PLAYOUTS:-400}
NET_VISITS=${NET_VISITS:-200}
OPENING_MOVES=${OPENING_MOVES:-4}
PARALLEL=${PARALLEL:-1}
BASELINE_DIR=${BASELINE_DIR:-runs/baselines}
OUT_DIR=${OUT_DIR:-results/league$SIZE}
PG_ARGS=${PG_ARGS:-}
DQN_ARGS=${DQN_ARGS:-}
EXTRA_ARGS=${EXTRA_ARGS:-}

if [[ -z "${BUDGET:-}" ]]; then
    BUDGET=$("$PYTHON" - "$RUN_DIR" <<'EOF'
import sys

from zerogo.league import best_network, network_training_seconds

name, _ = best_network(sys.argv[1])
seconds, how = network_training_seconds(sys.argv[1], name)
if not seconds:
    sys.exit(f"league: cannot tell what {name} cost to train ({how}); set BUDGET")
print(f"{name}: {how}", file=sys.stderr)
print(f"{seconds:.0f}")
EOF
    )
fi
if ! [[ "$BUDGET" =~ ^[0-9]+([.][0-9]+)?$ ]] || [[ "$BUDGET" =~ ^0+([.]0+)?$ ]]; then
    echo "league: BUDGET must be a positive number of CPU-seconds, not '$BUDGET'" >&2
    exit 2
fi
echo "league: training budget of each baseline: $BUDGET CPU-seconds" >&2

train() {  # train KIND OUT [FLAGS...]: a baseline to BUDGET CPU-seconds, unless OUT exists
    local kind=$1 out=$2
    shift 2
    if [[ -f "$out" ]]; then
        echo "league: reusing $out" >&2
        return
    fi
    echo "league: training $kind for $BUDGET CPU-seconds -> $out" >&2
    # shellcheck disable=SC2068  # the extra flags are split on purpose
    "$PYTHON" -m zerogo baseline "$kind" --size "$SIZE" --komi "$KOMI" \
        --max-cpu-seconds "$BUDGET" --eval-every 0 --threads 1 --no-log --quiet \
        --out "$out" $@
}

mkdir -p "$BASELINE_DIR" "$OUT_DIR"
if [[ -z "${PG_WEIGHTS:-}" ]]; then
    PG_WEIGHTS="$BASELINE_DIR/pg$SIZE-cpu$BUDGET.pt"
    # shellcheck disable=SC2086
    train pg "$PG_WEIGHTS" --iterations 100000000 $PG_ARGS
fi
if [[ -z "${DQN_WEIGHTS:-}" ]]; then
    DQN_WEIGHTS="$BASELINE_DIR/dqn$SIZE-cpu$BUDGET.pt"
    # shellcheck disable=SC2086
    train dqn "$DQN_WEIGHTS" --rounds 100000000 $DQN_ARGS
fi

# shellcheck disable=SC2086  # EXTRA_ARGS is split on purpose
"$PYTHON" -m zerogo league \
    --size "$SIZE" --komi "$KOMI" --games "$GAMES" --opening-moves "$OPENING_MOVES" \
    --mcts-playouts "$MCTS_PLAYOUTS" --pg "$PG_WEIGHTS" --dqn "$DQN_WEIGHTS" \
    --run-dir "$RUN_DIR" --net-visits "$NET_VISITS" --parallel "$PARALLEL" \
    --out-dir "$OUT_DIR" --sgf $EXTRA_ARGS

echo "results: $OUT_DIR/league.json, $OUT_DIR/league.md, $OUT_DIR/league.png" >&2
cat "$OUT_DIR/league.md"
