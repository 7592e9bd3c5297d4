#!/usr/bin/env bash
# End-to-end check of the CUDA path, for a lent GPU machine (about 5 minutes):
# network speed, self-play games/hour with one big batch on the GPU, training
# samples/s with AMP, and a one-generation run of the learning loop on the GPU.
# Results go to ${OUT:-gpu-results}/ as JSON lines plus logs.
#
#   scripts/gpu_check.sh                 # in the repository root, with .venv built
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
PY=${PY:-.venv/bin/python}
Z="$PY -m zerogo"
export PYTHONUNBUFFERED=1
$PY -c "import torch; print(torch.__version__, torch.cuda.is_available(), torch.cuda.get_device_name(0))" | tee "$OUT/device.txt"
# 1. network evaluations/s by batch size, bf16 autocast
$Z bench nn --device cuda --dtype bfloat16 --batch-sizes 32 256 1024 4096 --seconds 5 --json | tee "$OUT/bench_nn.json"
# 2. self-play: one worker process driving many games into large GPU batches
$Z bench selfplay --device cuda --dtype bfloat16 --workers 1 --slots 512 --seconds 90 --json | tee "$OUT/bench_selfplay.json"
$Z bench selfplay --device cuda --dtype bfloat16 --workers 1 --slots 512 --gumbel 16 --seconds 60 --json | tee "$OUT/bench_selfplay_gumbel.json"
# 3. one generation of the loop on the GPU (self-play, AMP training, gating)
$Z train --run-dir "$OUT/run" --device cuda --dtype bfloat16 --workers 1 --slots 256 \
  --games-per-generation 512 --min-games 512 --gate-games 64 --generations 1 --quiet \
  2>&1 | tee "$OUT/train.log"
