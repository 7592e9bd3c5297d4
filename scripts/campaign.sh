#!/usr/bin/env bash
# The 9x9 training campaign: one resumable run whose state travels in the repository.
#
#   scripts/campaign.sh start    resume (or begin) in the background: nice, one worker,
#                                code frozen from HEAD into .campaign-code/ so edits to the
#                                working tree do not reach the running processes
#   scripts/campaign.sh pause    SIGSTOP the whole process group (before timing anything),
#                                and those of other background jobs in .bg-jobs/*.pid
#   scripts/campaign.sh resume   SIGCONT them
#   scripts/campaign.sh pause-run / resume-run   the campaign alone
#   scripts/campaign.sh bg NAME CMD...   run CMD niced in the background as job NAME
#                                (paused and resumed with the campaign; log .bg-jobs/NAME.out)
#   scripts/campaign.sh stop     clean stop: workers finish their step and write their
#                                games, gating stops after its game; waits for the exit
#   scripts/campaign.sh status   phase, games, CPU-hours, running or not
#   scripts/campaign.sh log      append this session's line to campaign/9x9/log.jsonl
#   scripts/campaign.sh restart  begin RUN on INIT with the games and CPU-hours of the
#                                previous run (PREVIOUS; scripts/campaign_restart.py)
#
# State (committed): campaign/9x9/kata/ without tb/ (shards/ and a pending candidate are
# committed with git add -f).  A fresh clone resumes from it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUN=${CAMPAIGN_RUN:-$ROOT/campaign/9x9/kata}
CODE=$ROOT/.campaign-code
PIDFILE=$RUN/campaign.pid
PY=${PYTHON:-$ROOT/.venv/bin/python}
# The campaign restarted on the equal-CPU comparison's winner (gumbel-kata-pcr, issue 9):
# its first network is that variant's best, and the old run (campaign/9x9/run, b6c64 at
# 100 visits, seeded from the shipped network) handed over its 4,000 games and CPU-hours
# (scripts/campaign_restart.py; see RUN/inherited.json).
INIT=$ROOT/campaign/variants9/best/networks/gen-0003.pt
PREVIOUS=$ROOT/campaign/9x9/run
SETTINGS=(--scheme gumbel-kata-pcr --size 9 --slots 48 --games-per-generation 1000
          --min-games 1000 --train-bf16 --dtype auto --workers 1 --threads 1 --quiet)
# --train-bf16 and --dtype auto use bfloat16 only where the CPU has AMX (float32 elsewhere)

# With the kernel's autogroup scheduling (sched_autogroup_enabled=1, the default on most
# desktops and here) every setsid session is a group with its own fair share, so a
# process's nice value only ranks it within its group: a "nice 19" campaign in its own
# session still took half the machine from a timed match.  niced_session runs CMD in a
# new session whose autogroup carries the niceness too (exec: the caller becomes it).
niced_session() {  # niced_session N CMD...
  local n=$1; shift
  exec setsid sh -c 'echo "$1" > /proc/self/autogroup 2>/dev/null; shift; exec nice -n "$0" "$@"' \
    "$n" "$n" "$@"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
signal_all() {  # signal the campaign's and every background job's process group
  local sig=$1 f
  for f in "$PIDFILE" "$ROOT"/.bg-jobs/*.pid; do
    [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && kill "-$sig" -- "-$(cat "$f")" \
      && echo "$sig $(basename "$f" .pid)"
  done
  return 0
}

case "${1:-status}" in
  start)
    if running; then echo "campaign already running (pid $(cat "$PIDFILE"))"; exit 0; fi
    mkdir -p "$RUN"
    rm -rf "$CODE" && mkdir -p "$CODE"
    git archive HEAD engine selfplay trainer nn zerogo gui | tar -x -C "$CODE"
    echo "$(git rev-parse HEAD)" > "$RUN/code.commit"
    # run from inside the frozen copy: `python -m` puts the current folder first on sys.path
    (cd "$CODE" && niced_session 19 "$PY" -m zerogo train --run-dir "$RUN" \
      --init "$INIT" "${SETTINGS[@]}" >> "$RUN/campaign.out" 2>&1) &
    echo $! > "$PIDFILE"
    echo "campaign started (pid $!, code $(cut -c1-10 "$RUN/code.commit")); log: $RUN/campaign.out"
    ;;
  restart)
    if running; then echo "the campaign is running: scripts/campaign.sh stop first"; exit 2; fi
    "$PY" scripts/campaign_restart.py --from "${2:-${PREVIOUS#"$ROOT"/}}" \
      --run-dir "${RUN#"$ROOT"/}" --init "${INIT#"$ROOT"/}" --note "${3:-}" -- "${SETTINGS[@]}"
    ;;
  pause)
    signal_all STOP
    ;;
  pause-run)   # the campaign only (a paused GTP match would take the pause for a hang)
    running && kill -STOP -- "-$(cat "$PIDFILE")" && echo "STOP campaign" || true
    ;;
  resume-run)
    running && kill -CONT -- "-$(cat "$PIDFILE")" && echo "CONT campaign" || true
    ;;
  resume)
    signal_all CONT
    ;;
  bg)
    name=$2; shift 2
    mkdir -p "$ROOT/.bg-jobs"
    niced_session 10 "$@" >> "$ROOT/.bg-jobs/$name.out" 2>&1 &
    echo $! > "$ROOT/.bg-jobs/$name.pid"
    echo "job $name started (pid $!); log .bg-jobs/$name.out"
    ;;
  stop)
    if ! running; then echo "not running"; exit 0; fi
    pid=$(cat "$PIDFILE")
    kill -CONT -- "-$pid" 2>/dev/null || true
    touch "$RUN/STOP"
    for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "no clean stop within 20 minutes: SIGKILL (finished games are journaled)"
      kill -KILL -- "-$pid" || true
    fi
    rm -f "$PIDFILE" "$RUN/STOP"
    echo stopped
    ;;
  status)
    running && echo "running (pid $(cat "$PIDFILE"))" || echo "not running"
    "$PY" scripts/campaign_log.py --run-dir "$RUN" --status
    ;;
  log)
    shift
    "$PY" scripts/campaign_log.py --run-dir "$RUN" "$@"
    ;;
  *)
    sed -n '2,21p' "$0"; exit 2
    ;;
esac
