#!/usr/bin/env bash
# A self-play + training burst of the 9x9 campaign on a lent GPU (the device tool).
# It resumes from the committed campaign state, runs the loop on the GPU for MINUTES,
# and packs the state it reached (networks, trainee, journals, shards, CPU counters)
# into $OUT/burst.tar.gz, which --adopt unpacks here.
#
#   scripts/gpu_burst.sh --prepare      # here, once: the campaign stopped and committed,
#                                       # .wheels/ gets sgfmill (the device image lacks it)
#   # the device call, one command in the repository root, carrying .wheels and the shards:
#   #   carry: [".wheels", "campaign/9x9/kata/shards"]
#   #   PY=python3 scripts/gpu_check.sh && PY=python3 MINUTES=5 scripts/gpu_burst.sh
#   scripts/gpu_burst.sh --adopt FILES_AT/burst.tar.gz   # here, after it; then commit and
#                                       # scripts/campaign.sh start
#
# The device's python3 has torch, numba and numpy but not sgfmill (engine.coords needs
# it), gymnasium, pygame or openvino (the loop needs none of those three).  The local
# campaign must not run meanwhile: both would write the same run folder's state.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-campaign/9x9/kata}   # RUN, DEVICE, DTYPE: other values for a dry run here
case "${1:-}" in
  --prepare)
    if [ -f "$RUN/campaign.pid" ] && kill -0 "$(cat "$RUN/campaign.pid")" 2>/dev/null; then
      echo "stop the campaign first: scripts/campaign.sh stop (then commit its state)" >&2
      exit 2
    fi
    mkdir -p .wheels
    .venv/bin/python -m pip download --quiet --no-deps --only-binary=:all: -d .wheels sgfmill
    grep -qx '/.wheels/' .git/info/exclude 2>/dev/null || echo '/.wheels/' >> .git/info/exclude
    ls .wheels
    exit 0
    ;;
  --adopt)
    tarball=${2:?usage: scripts/gpu_burst.sh --adopt BURST.tar.gz}
    if [ -f "$RUN/campaign.pid" ] && kill -0 "$(cat "$RUN/campaign.pid")" 2>/dev/null; then
      echo "the campaign is running here: scripts/campaign.sh stop first" >&2
      exit 2
    fi
    tar -xzf "$tarball" -C "$(dirname "$RUN")"
    .venv/bin/python scripts/campaign_log.py --run-dir "$RUN" --status
    echo "adopted $tarball; commit the state (scripts/campaign.sh log --note 'GPU burst')"
    exit 0
    ;;
esac
OUT=${OUT:-gpu-results}
mkdir -p "$OUT"
PY=${PY:-.venv/bin/python}
MINUTES=${MINUTES:-5}
for wheel in .wheels/*.whl; do  # pure-Python wheels import straight from the zip
  [ -e "$wheel" ] && export PYTHONPATH="$PWD/$wheel${PYTHONPATH:+:$PYTHONPATH}"
done
export PYTHONUNBUFFERED=1
hours=$("$PY" -c "print($MINUTES / 60)")
marker=$(mktemp)  # shards older than this came from here: they stay out of the tarball
# the campaign's own settings (pipeline.json) with the GPU's: many games per worker so
# the network sees large batches, bfloat16 autocast; --hours stops self-play mid-phase
"$PY" -m zerogo train --run-dir "$RUN" --device "${DEVICE:-cuda}" --dtype "${DTYPE:-bfloat16}" \
  --backend torch \
  --workers 2 --slots 512 --threads 1 --quiet --hours "$hours" 2>&1 | tee "$OUT/burst.log"
"$PY" scripts/campaign_log.py --run-dir "$RUN" --status | tee "$OUT/status.txt"
# pipeline.json stays behind: the campaign goes on with its CPU settings here
# (and only the shards it wrote: the tarball must stay under the device's 16 MiB a file)
name=$(basename "$RUN")
(cd "$(dirname "$RUN")" && find "$name" \( -path "$name/tb" -o -path "$name/candidates" \
  -o -path "$name/shards" \) -prune -o -type f ! -name pipeline.json ! -name campaign.pid \
  ! -name .lock ! -name STOP -print; find "$name/shards" -type f \( -newer "$marker" \
  -o -name lineage.jsonl \) 2>/dev/null) > "$marker.list"
tar -czf "$OUT/burst.tar.gz" -C "$(dirname "$RUN")" -T "$marker.list"
rm -f "$marker" "$marker.list"
ls -la "$OUT"
