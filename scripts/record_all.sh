#!/usr/bin/env bash
# Re-measure every speed figure of BENCHMARKS.md on this machine, one after the other,
# with the campaign and other background jobs paused; each record goes to
# benchmarks/records/NAME.json (scripts/record.py: output, machine, load, commit, date).
#
#   scripts/record_all.sh            # about 15 minutes (and baselines9: 20 more)
#   scripts/record_all.sh nn envs    # only these records
#
# baselines9 trains to a CPU budget and plays without a clock, so it alone may run
# beside other work: scripts/record_all.sh baselines9
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ZG=.venv/bin/zerogo
W=zerogo/networks/b6c64-9x9.pt
R() { "$PY" scripts/record.py "$@"; }
want() { [ $# -eq 0 ] || [[ " $ALL " == *" $1 "* ]]; }
ALL="$*"
if [ "$ALL" != baselines9 ]; then  # speed records: pause the campaign (GTP matches go on)
  scripts/campaign.sh pause-run || true
  trap 'scripts/campaign.sh resume-run || true' EXIT
  sleep 3
fi
if want playouts; then R playouts -- scripts/bench_playouts.sh 5; fi
if want nn; then
  R nn -- "$ZG" bench nn --weights "$W" --backend torch:float32 openvino onnx:float32 \
    --batch-sizes 1 8 16 32 256 --threads 1 --rounds 3 --json
  R nn-2threads -- "$ZG" bench nn --weights "$W" --backend torch:float32 openvino \
    --batch-sizes 1 16 32 256 --threads 2 --rounds 2 --json
fi
if want selfplay; then
  for backend in openvino torch; do
    R "selfplay-agz100-$backend" -- "$ZG" bench selfplay --weights "$W" --visits 100 \
      --slots 48 --workers 2 --seconds 90 --backend "$backend" --json
  done
  R selfplay-gumbel16 -- "$ZG" bench selfplay --weights "$W" --gumbel 16 --slots 48 \
    --workers 2 --seconds 90 --json
  R selfplay-pcr -- "$ZG" bench selfplay --weights "$W" --visits 100 --full-search-prob 0.25 \
    --slots 48 --workers 2 --seconds 90 --json
fi
if want envs; then R envs -- "$PY" scripts/bench_envs.py --seconds 5 --size 9; fi
if want baselines9; then  # REINFORCE and DQN on 9x9, 300 CPU-seconds each, 200 games
  for kind in pg dqn; do
    out=runs/baselines/$kind-9-record.pt
    stop=(--iterations 100000000); [ "$kind" = dqn ] && stop=(--rounds 100000000)
    "$ZG" baseline "$kind" --size 9 --komi 7.5 --max-cpu-seconds 300 "${stop[@]}" \
      --eval-every 0 --threads 1 --seed 0 --out "$out" --no-log --quiet
    R "baseline9-$kind-vs-random" -- "$ZG" baseline eval "$out" --games 200 --json
    R "baseline9-$kind-vs-initial" -- "$ZG" baseline eval "$out" \
      --against "${out%.pt}-initial.pt" --games 200 --json
  done
fi
if want net_player; then
  R net-player-2threads -- "$PY" scripts/bench_net_player.py --threads 2 --seconds 8 --moves 6 --repeat 3
  R net-player-1thread -- "$PY" scripts/bench_net_player.py --threads 1 --seconds 8 --moves 6 --repeat 3
fi
